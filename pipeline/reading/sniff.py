"""Tell a file's type from its bytes, never from its name."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path
from typing import Literal

FileType = Literal["docx", "pdf", "image", "doc", "ofd", "xlsx", "xls", "csv", "zip", "empty", "unknown"]

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",  # BMP
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / encrypted OOXML


def sniff(path: Path) -> FileType:
    with path.open("rb") as fh:
        head = fh.read(2048)
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "word/document.xml" in names or any(n.endswith("/document.xml") for n in names):
            return "docx"
        if "OFD.xml" in names or any(n.endswith("/Document.xml") and n.startswith("Doc_") for n in names):
            return "ofd"  # GB/T 33190: the entry file, or a producer that left it out but kept Doc_N/
        if "xl/workbook.xml" in names:
            return "xlsx"  # an Excel or WPS spreadsheet (.xlsx, and .et saved in that format)
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "xls" if _ole_workbook(path) else "doc"
    if path.suffix.lower() == ".csv" and _text_like(head):
        return "csv"  # plain text has no signature: a .csv name with text inside is a table
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if any(head.startswith(m) for m in _IMAGE_MAGIC):
        return "image"
    return "unknown"


_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le") + b"\x00\x00")
_WORD = "WordDocument".encode("utf-16-le")


def _ole_workbook(path: Path) -> bool:
    """An OLE file's directory names its streams (UTF-16): Excel and WPS 表格 write Workbook (or Book),
    Word and WPS 文字 WordDocument."""
    with path.open("rb") as fh:
        data = fh.read(8 * 1024 * 1024)  # the directory of a letter-sized file lies well inside this
    return any(w in data for w in _WORKBOOK) and _WORD not in data


def _text_like(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)  # a cut last character is fine
            return True
        except UnicodeDecodeError:
            continue
    return False


def looks_complete(path: Path) -> bool:
    """Does the file end the way its format ends? False for a file still being copied in.

    A PDF ends with %%EOF, a zip package (.docx) with its central directory, a
    PNG with IEND, a JPEG with FFD9. Formats without such an end are taken as
    complete; so is anything this cannot tell.
    """
    kind = sniff(path)
    if kind == "empty":
        return False
    if kind in ("zip", "xlsx"):
        return zipfile.is_zipfile(path) and _zip_reads(path)
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if kind == "pdf":
        return b"%%EOF" in tail
    if head.startswith(b"\x89PNG"):
        return b"IEND" in tail[-16:]
    if head.startswith(b"\xff\xd8\xff"):
        return b"\xff\xd9" in tail[-1024:]
    return True


def _zip_reads(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            zf.namelist()
        return True
    except (zipfile.BadZipFile, OSError):
        return False
