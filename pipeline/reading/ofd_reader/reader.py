"""An OFD letter -> Document, through the same page layout as a text PDF.

The PDF page reader works on glyphs, rules and images in points; an OFD page
gives exactly those, so it is handed over as a page-like object and tables,
lines, page furniture and provenance come out the same way. A page that holds
only images goes to OCR (the dispatcher renders it through `render`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.document import Document
from pipeline.errors import LettersError, NotALetter, ScannedLetter
from pipeline.reading.ofd_reader.content import PageContent, read_content
from pipeline.reading.ofd_reader.package import OfdPackage
from pipeline.reading.pdf_reader.page import PageResult, read_page
from pipeline.reading.pdf_reader.reader import build

log = logging.getLogger("pipeline.reading.ofd_reader")

MAX_PAGES = 60  # a letter and its roster; more is not a letter


class _Page:
    """What `read_page` asks of a pdfplumber page, from an OFD page's content."""

    rotation = 0

    def __init__(self, content: PageContent) -> None:
        self.width = content.width
        self.height = content.height
        self.bbox = (0.0, 0.0, content.width, content.height)
        self.chars = content.chars
        self.edges = content.edges
        self.images = [{"x0": i.x0, "x1": i.x1, "top": i.top, "bottom": i.bottom} for i in content.images]

    def find_tables(self, settings: dict) -> list:
        from pdfplumber.table import TableFinder

        return TableFinder(self, settings).tables  # type: ignore[arg-type]


def read_pages(path: Path) -> tuple[OfdPackage, list[PageContent]]:
    """The package and every page's content (used by the reader and the renderer)."""
    pkg = OfdPackage(path)
    refs = pkg.pages()
    if not refs:
        raise NotALetter(
            f"{path.name}: OFD document has no pages",
            "该 OFD 文件中没有任何页面，无法作为来函读取，请向来函单位索取完整文件。",
        )
    return pkg, [read_content(pkg, r.part, r.templates, r.size) for r in refs[:MAX_PAGES]]


def read_ofd(path: Path) -> Document:
    """Read an OFD letter. Raises ScannedLetter for image-only pages (OCR takes them)."""
    path = Path(path)
    pkg, contents = read_pages(path)
    pages: list[PageResult] = [read_page(_Page(c), n) for n, c in enumerate(contents, start=1)]
    if not any(p.good for p in pages):
        if any(c.images for c in contents):
            raise ScannedLetter(
                f"{path.name}: OFD pages hold only images",
                "该 OFD 文件为扫描图像，需要文字识别（OCR）组件才能处理，请联系系统管理员安装。",
            )
        raise NotALetter(
            f"{path.name}: OFD document has no text",
            "该 OFD 文件中没有可读取的文字（可能只有图形、签章或文字以轮廓绘制），请向来函单位索取 PDF 或 .docx 文件。",
        )
    try:
        document = build(pages, path)
    except ScannedLetter:
        raise
    except LettersError:
        raise
    document.source_type = "ofd"
    if pkg.entities:
        document.notes.append("该 OFD 文件含有未展开的 XML 实体引用，已忽略，请核对原件。")
    log.debug("%s: OFD read, %d pages", path.name, len(pages))
    return document
