"""The document model every reader produces and extraction consumes.

Readers (docx, text PDF, OCR) differ wildly; extraction must not care which one
ran. A Document is the body in reading order — paragraphs and tables — with
headers and footers kept apart, and every piece knows where it came from so a
clerk can be shown the spot on the original letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from pipeline.ideographs import fold

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points (origin top-left)

Part = Literal["body", "header", "footer", "textbox", "footnote"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a piece of text sits in the original file.

    PDFs (and OCR) fill `page` and `bbox`; .docx fills `paragraph` (index of the
    body paragraph) or `table`/`row`/`col` (index of the body table and cell).
    """

    part: Part = "body"
    page: int | None = None
    bbox: BBox | None = None
    paragraph: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None

    def to_json(self) -> dict:
        return {
            k: v
            for k, v in (
                ("part", self.part),
                ("page", self.page),
                ("bbox", [round(c, 1) for c in self.bbox] if self.bbox else None),
                ("paragraph", self.paragraph),
                ("table", self.table),
                ("row", self.row),
                ("col", self.col),
            )
            if v is not None
        }

    @classmethod
    def from_json(cls, data: dict) -> Location:
        bbox = data.get("bbox")
        return cls(
            part=data.get("part", "body"),
            page=data.get("page"),
            bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])) if bbox else None,
            paragraph=data.get("paragraph"),
            table=data.get("table"),
            row=data.get("row"),
            col=data.get("col"),
        )


@dataclass(slots=True)
class Paragraph:
    """One paragraph (.docx) or one visual line (PDF/OCR) of text."""

    text: str
    location: Location = field(default_factory=Location)
    confidence: float = 1.0  # reader's confidence in the text itself (OCR < 1)
    align: Literal["left", "center", "right", "justify"] | None = None
    font_size: float | None = None  # points, when known
    bold: bool | None = None

    def __post_init__(self) -> None:
        self.text = fold(self.text)  # radicals as the ideographs a person reads (every reader)


@dataclass(slots=True)
class Cell:
    text: str
    location: Location = field(default_factory=Location)
    confidence: float = 1.0
    # A spreadsheet stored the value as a number: an 18-digit ID kept only 15 digits (Excel's limit).
    numeric: bool = False

    def __post_init__(self) -> None:
        self.text = fold(self.text)


@dataclass(slots=True)
class Table:
    """A table as a grid of rows. Merged cells repeat their text in each slot
    they cover, so every row has the table's full width."""

    rows: list[list[Cell]]
    location: Location = field(default_factory=Location)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


Block = Paragraph | Table


@dataclass(slots=True)
class Attachment:
    """A file that came with the letter, read on its own: its name as sent, and what it holds."""

    name: str
    document: Document


SourceType = Literal["docx", "pdf", "ocr", "ofd", "sheet"]


@dataclass(slots=True)
class Document:
    """A read letter: body blocks in reading order, page furniture apart."""

    blocks: list[Block]
    source_type: SourceType
    headers: list[Paragraph] = field(default_factory=list)
    footers: list[Paragraph] = field(default_factory=list)
    page_count: int | None = None
    notes: list[str] = field(default_factory=list)  # reader observations for the clerk (Chinese)
    problems: list[str] = field(default_factory=list)  # what the reader found that blocks a reply (Chinese)
    # Files that came with the letter (a roster as a spreadsheet or a second document), in order.
    attachments: list[Attachment] = field(default_factory=list)
    # A born-digital PDF's text layer read by a second, independent library (pypdfium2): the values a
    # reply prints are compared with it (pipeline.extraction.crosscheck).
    second_reading: str | None = None

    def paragraphs(self) -> Iterator[Paragraph]:
        """Body paragraphs only, in order."""
        return (b for b in self.blocks if isinstance(b, Paragraph))

    def tables(self) -> Iterator[Table]:
        return (b for b in self.blocks if isinstance(b, Table))

    @property
    def is_ocr(self) -> bool:
        return self.source_type == "ocr"

    def text(self) -> str:
        """Plain text of the body, tables as tab-separated rows (for debugging and search)."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                out.append(block.text)
            else:
                out.extend("\t".join(c.text for c in row) for row in block.rows)
        return "\n".join(out)
