"""The PDF reader's entry point: open, read each page, decide, build the Document."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from pipeline.document import Cell, Document, Location, Paragraph, Table
from pipeline.errors import CorruptFile, EncryptedFile, LettersError, ScannedLetter
from pipeline.privacy import mask_ids_in
from pipeline.reading.pdf_reader.glyphs import Line
from pipeline.reading.pdf_reader.layout import (
    align,
    merge_continuations,
    scan_verdict,
    split_furniture,
    text_area,
)
from pipeline.reading.pdf_reader.page import PageResult, read_page

log = logging.getLogger("pipeline.reading.pdf_reader")


def build(pages: list[PageResult], path: Path) -> Document:
    verdict = scan_verdict(pages)
    if verdict:
        raise ScannedLetter(f"{path.name}: {verdict[0]}", verdict[1])

    notes: list[str] = []
    if all(p.image_cover >= 0.8 for p in pages):
        notes.append("该 PDF 为扫描件附带文字层，文字层可能存在识别错误，请核对原件。")
    for p in pages:
        if p.vertical > 20 and p.vertical > 0.3 * p.good:  # a few rotated chars are a seal's ring text
            notes.append(f"第{p.number}页有竖排或旋转的文字，未读取，请核对原件。")
        if p.bad:
            notes.append(
                f"第{p.number}页有{p.bad}个字符无法识别（字体缺少编码表或为自造字），请核对原件中的姓名、号码等内容。"
            )

    heads, foots = split_furniture(pages)
    # one text area per page width (a landscape roster page has its own margins)
    width_of = {p.number: round(p.width) for p in pages}
    by_width: dict[int, list[Line]] = defaultdict(list)
    for p in pages:
        by_width[width_of[p.number]].extend(p.lines)
    areas = {w: text_area(lns, w) for w, lns in by_width.items()}
    for ln in [*(ln for p in pages for ln in p.lines), *heads, *foots]:
        w = width_of[ln.page]
        left, right = areas.get(w) or text_area([], w)
        ln.align = align(ln, left, right, w)

    def para(ln: Line, part: str = "body") -> Paragraph:
        return Paragraph(
            text=ln.text,
            location=Location(part=part, page=ln.page, bbox=ln.bbox),  # type: ignore[arg-type]
            align=ln.align,  # type: ignore[arg-type]
            font_size=ln.size,
            bold=ln.bold,
        )

    blocks: list[Paragraph | Table] = []
    n_tables = 0
    for b in merge_continuations(pages):
        if isinstance(b, Line):
            blocks.append(para(b))
            continue
        rows = [
            [
                Cell(text=c.text, location=Location(page=c.page, bbox=c.bbox, table=n_tables, row=r, col=j))
                for j, c in enumerate(row)
            ]
            for r, row in enumerate(b.rows)
        ]
        blocks.append(Table(rows=rows, location=Location(page=b.page, bbox=b.bbox, table=n_tables)))
        n_tables += 1
    log.debug("%s: %d pages, %d blocks, %d tables", path.name, len(pages), len(blocks), n_tables)
    return Document(
        blocks=blocks,
        source_type="pdf",
        headers=[para(ln, "header") for ln in heads],
        footers=[para(ln, "footer") for ln in foots],
        page_count=len(pages),
        notes=notes,
    )


def _looks_complete(path: Path) -> bool:
    """A PDF ends with %%EOF; without it the file was cut off (pages may be missing
    even when what is left still parses)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 8192))
        return b"%%EOF" in fh.read()


def _is_password_error(exc: BaseException) -> bool:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, PDFPasswordIncorrect | PDFEncryptionError):
            return True
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _unreadable(path: Path, exc: Exception) -> LettersError:
    if _is_password_error(exc):
        return EncryptedFile(f"{path.name}: encrypted PDF needs a password")
    detail = mask_ids_in(str(exc)[:200])  # parser messages can quote page content
    return CorruptFile(f"{path.name}: PDF cannot be parsed ({type(exc).__name__}: {detail})")


def read_pdf(path: Path) -> Document:
    """Read a PDF with a text layer into a Document.

    Raises ScannedLetter when there is no usable text (the dispatcher then
    tries OCR), EncryptedFile when a password is needed, CorruptFile for a
    damaged or truncated file.
    """
    import pdfplumber

    path = Path(path)
    try:
        complete = _looks_complete(path)
    except OSError as exc:
        raise CorruptFile(f"{path.name}: cannot read file ({exc})") from exc
    if not complete:
        raise CorruptFile(
            f"{path.name}: PDF is truncated (no %%EOF)",
            "文件不完整（结尾缺失），可能在下载或传输中被截断，请向来函单位索取完整文件。",
        )
    pages: list[PageResult] = []
    try:
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                try:
                    pages.append(read_page(page, number))
                finally:
                    page.close()
    except LettersError:
        raise
    except Exception as exc:  # pdfminer raises many kinds of errors on bad input
        raise _unreadable(path, exc) from exc
    if not pages:
        raise CorruptFile(f"{path.name}: PDF has no pages", "文件中没有任何页面，请向来函单位索取完整文件。")
    document = build(pages, path)
    document.second_reading = second_reading(path)
    if document.second_reading is None:
        document.problems.append(
            "PDF文字层无法用第二种方式读取，无法交叉核对姓名、号码等内容，请对照原件核实"
        )
    return document


def second_reading(path: Path) -> str | None:
    """The text layer as pypdfium2 reads it (an engine independent of pdfminer), as it reads it: the
    comparison folds both readings the same way (pipeline.extraction.crosscheck.key); None when it
    cannot read the file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pdfium's own errors on a file pdfminer accepted
        log.warning("%s: pypdfium2 cannot read the text layer: %s", path.name, type(exc).__name__)
        return None
    parts: list[str] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    parts.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
    except Exception as exc:
        log.warning("%s: pypdfium2 failed on a page: %s", path.name, type(exc).__name__)
        return None
    finally:
        pdf.close()
    return "\n".join(parts)
