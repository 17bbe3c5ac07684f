"""Reading: a file on disk -> a Document.

Readers are pluggable: each registers for the file types it understands.
When the text-PDF reader finds no usable text layer it raises ScannedLetter;
the dispatcher then hands the file to a scan reader (OCR) if one is
registered, so adding OCR never touches extraction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.document import Document
from pipeline.errors import CorruptFile, EmptyFile, ScannedLetter, UnsupportedFormat
from pipeline.reading.sniff import FileType, sniff

Reader = Callable[[Path], Document]

_READERS: dict[str, Reader] = {}


def register(kind: str, reader: Reader) -> None:
    """Register a reader for a sniffed type, or for "scan" (image-only PDFs and images)."""
    _READERS[kind] = reader


def _load_builtin() -> None:
    if _READERS:
        return
    from pipeline.reading import bundle, docx_reader, legacy, ofd_reader, pdf_reader, sheet_reader

    register("docx", docx_reader.read_docx)
    register("pdf", pdf_reader.read_pdf)
    register("doc", legacy.read_legacy)  # .doc / .wps through LibreOffice
    register("ofd", ofd_reader.read_ofd)
    register("xlsx", sheet_reader.read_xlsx)  # a roster sent as a spreadsheet
    register("xls", sheet_reader.read_legacy_sheet)  # .xls / WPS .et through LibreOffice
    register("csv", sheet_reader.read_csv)
    register("zip", lambda path: bundle.read_bundle(path, read_document))  # a letter with its attachments
    try:  # OCR is optional: its models are large and not every install has them
        from pipeline.reading import ocr_reader
    except ImportError:
        return
    if ocr_reader.available():
        register("scan", ocr_reader.read_scan)


def read_document(path: Path) -> Document:
    """Read any supported letter file; raises an UnreadableLetter subclass otherwise."""
    _load_builtin()
    kind: FileType = sniff(path)
    if kind == "empty":
        raise EmptyFile(f"{path.name}: file is empty")
    if kind == "ofd" and "ofd" not in _READERS:
        raise UnsupportedFormat(
            f"{path.name}: OFD document (GB/T 33190), no OFD reader yet",
            "该文件为 OFD 版式文件，本系统暂不能读取；请向来函单位索取 PDF 或 .docx 文件，或在 OFD 阅读器中另存为 PDF 后重新放入。",
        )
    if kind == "zip" and "zip" not in _READERS:
        raise CorruptFile(f"{path.name}: zip archive that is not a Word document")
    if kind == "image":
        scan = _READERS.get("scan")
        if scan is None:
            raise ScannedLetter(
                f"{path.name}: image file and no OCR reader installed",
                "该文件为图片，需要文字识别（OCR）组件才能处理，请联系系统管理员安装。",
            )
        return scan(path)
    reader = _READERS.get(kind)
    if reader is None:
        raise UnsupportedFormat(f"{path.name}: unsupported file type ({kind})")
    try:
        return reader(path)
    except ScannedLetter:
        scan = _READERS.get("scan")
        if scan is None:
            raise
        return scan(path)
