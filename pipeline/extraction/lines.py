"""A flat, ordered view of a Document for the field rules.

Field rules (文号, addressee, signature, contact) read lines of text; the
roster rules read tables. Tables that are not rosters (a letterhead laid out
in a table, a signature block in a borderless table) still carry letter text,
so their cells become lines too.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.document import Document, Location, Paragraph, Table
from pipeline.domain.letter import Source
from pipeline.extraction.text import compact


@dataclass(frozen=True, slots=True)
class Line:
    index: int  # position among lines, for "before/after" reasoning
    text: str  # as read (PDF gaps kept as single spaces)
    location: Location
    confidence: float = 1.0
    align: str | None = None
    font_size: float | None = None
    block: int = 0  # index of the block in Document.blocks

    @property
    def compact(self) -> str:
        return compact(self.text)

    def source(self, confidence: float = 1.0, text: str | None = None) -> Source:
        return Source(
            self.location, self.text if text is None else text, round(self.confidence * confidence, 3)
        )


def build_lines(
    document: Document, roster_tables: set[int], statements: dict[int, list[int]] | None = None
) -> list[Line]:
    """Body paragraphs and the cells of non-roster tables, in reading order; empty ones dropped.
    A roster table's `statements` rows (a contact line ruled into the table) are one line each."""
    lines: list[Line] = []
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Table) and block_index in roster_tables:
            for r in (statements or {}).get(block_index, []):
                cells = [c for c in block.rows[r] if c.text.strip()]
                texts = list(dict.fromkeys(c.text.strip().replace("\n", "") for c in cells))
                if cells:
                    lines.append(
                        Line(len(lines), " ".join(texts), cells[0].location, min(c.confidence for c in cells),
                             None, None, block_index)
                    )  # fmt: skip
            continue
        if isinstance(block, Paragraph):
            for part in block.text.split("\n"):
                if part.strip():
                    lines.append(
                        Line(len(lines), part.strip(), block.location, block.confidence, block.align,
                             block.font_size, block_index)
                    )  # fmt: skip
        elif isinstance(block, Table) and block_index not in roster_tables:
            for row in block.rows:
                seen: set[str] = set()
                for cell in row:
                    text = cell.text.strip()
                    if text and text not in seen:  # merged cells repeat their text
                        seen.add(text)
                        for part in text.split("\n"):
                            if part.strip():
                                lines.append(
                                    Line(len(lines), part.strip(), cell.location, cell.confidence, None, None,
                                         block_index)
                                )  # fmt: skip
    return lines
