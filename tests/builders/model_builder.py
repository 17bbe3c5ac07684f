"""LetterSpec -> Document directly, without a file: the fastest way to test extraction rules."""

from __future__ import annotations

from pipeline.document import Cell, Document, Location, Paragraph, Table
from tests.builders.spec import LetterSpec

_ALIGN = {"letterhead": "center", "docnum": "center", "title": "center", "signature": "right"}


def build_document(spec: LetterSpec, source_type: str = "docx") -> Document:
    blocks: list[Paragraph | Table] = []

    def para(text: str, role: str = "body") -> None:
        blocks.append(Paragraph(text, Location(paragraph=len(blocks)), align=_ALIGN.get(role, "justify")))

    for role, text in spec.front_matter():
        para(text, role)
    para("附件")
    para("查询对象名单")
    rows = spec.roster_rows()
    if spec.roster_as == "text":
        for line in spec.roster_lines():
            para(line)
    else:
        chunks = [rows[1:]]
        if spec.roster_split:
            chunks = [rows[1 : 1 + spec.roster_split], rows[1 + spec.roster_split :]]
        for t, chunk in enumerate(chunks):
            grid = [rows[0], *chunk]
            blocks.append(
                Table(
                    [
                        [Cell(text, Location(table=t, row=r, col=c)) for c, text in enumerate(row)]
                        for r, row in enumerate(grid)
                    ],
                    Location(table=t),
                )
            )
    headers = [Paragraph(spec.header_text, Location(part="header"))] if spec.header_text else []
    footers = [Paragraph(spec.footer_text, Location(part="footer"))] if spec.footer_text else []
    return Document(blocks, source_type, headers=headers, footers=footers)  # type: ignore[arg-type]
