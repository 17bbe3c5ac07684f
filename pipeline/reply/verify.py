"""Read a rendered reply back and compare it with what it must say; a mismatch is never sent."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pdfplumber
from docx import Document

from pipeline.domain.reply import ReplyContext
from pipeline.errors import ReplyMismatch
from pipeline.privacy import mask_id
from pipeline.reply.fields import ROW_FIELDS, TABLE_HEADER, reply_fields

if TYPE_CHECKING:
    from pipeline.reply import RenderedReply

Row = tuple[str, ...]
_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Drop all whitespace: PDF lines wrap anywhere, the words do not change."""
    return _SPACE.sub("", text or "")


def docx_content(path: Path) -> tuple[list[str], list[Row]]:
    """Body paragraphs and the result table's data rows, as Word would show them."""
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        # Line breaks in a cell are layout (阿卜杜拉· / 麦麦提), not part of the value.
        rows = [tuple(cell.text.replace("\n", "").strip() for cell in row.cells) for row in table.rows]
        if rows and rows[0] == TABLE_HEADER:
            return paragraphs, rows[1:]
    return paragraphs, []


def pdf_content(path: Path) -> tuple[list[str], list[Row]]:
    """Page texts and the result table's data rows (header rows repeated on each page dropped)."""
    header = tuple(squeeze(h) for h in TABLE_HEADER)
    pages: list[str] = []
    rows: list[Row] = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            pages.append(page.extract_text() or "")
            for table in page.extract_tables():
                for row in table:
                    cells = tuple(squeeze(c or "") for c in row)
                    if cells != header:
                        rows.append(cells)
    return pages, rows


def _compare_rows(what: str, got: list[Row], want: list[Row]) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=False), start=1):
        if g != w:
            raise ReplyMismatch(
                f"{what}: result row {i} differs (expected {w[1]} {mask_id(w[2])})",
                f"{what}的查询结果表第{i}行与名单不一致（应为 {w[1]}，{mask_id(w[2])}，{w[3]}），不能出具复函。",
            )
    if len(got) != len(want):
        raise ReplyMismatch(
            f"{what}: {len(got)} result rows, roster has {len(want)}",
            f"{what}的查询结果表有{len(got)}行，名单有{len(want)}人，不能出具复函。",
        )


def _compare_text(what: str, text: str, fields: dict, rows: list[Row]) -> None:
    """The 来函 sentence, the reply's 文号 and title are there; each ID appears once per roster row."""
    flat = squeeze(text)
    checks = [
        *([("masthead", "发文机关标志", fields["masthead"])] if fields.get("masthead") else []),
        ("incoming sentence", "来函句", fields["incoming"]),
        ("reply 文号", "复函文号", fields["reply_doc_number"]),
        ("title", "标题", fields["title"]),
    ]
    for label, label_zh, value in checks:
        if squeeze(value) not in flat:
            raise ReplyMismatch(
                f"{what}: {label} missing or altered",
                f"{what}中的{label_zh}与来函不一致或缺失（应为：{value.replace(chr(10), '')}），不能出具复函。",
            )
    rows_of = Counter(row[2] for row in rows)  # a row printed twice in the letter is answered twice
    for seq, name, id_number, _ in rows:
        count = flat.count(id_number)
        if count != rows_of[id_number]:
            raise ReplyMismatch(
                f"{what}: ID {mask_id(id_number)} appears {count} times, expected {rows_of[id_number]}",
                f"{what}中第{seq}人（{name}，{mask_id(id_number)}）的身份证号码出现{count}次，"
                f"应恰好出现{rows_of[id_number]}次，不能出具复函。",
            )


def verify_reply(rendered: RenderedReply, ctx: ReplyContext) -> None:
    """Both files must list every roster person once, in order, with their result, and quote the letter."""
    fields = reply_fields(ctx)
    want = [tuple(str(r[k]) for k in ROW_FIELDS) for r in fields["results"]]

    paragraphs, rows = docx_content(rendered.docx)
    _compare_rows("复函（Word）", rows, want)
    if not any(p.strip() == fields["incoming"] for p in paragraphs):
        raise ReplyMismatch(
            "docx: incoming sentence missing or altered",
            f"复函（Word）中的来函句与来函不一致或缺失（应为：{fields['incoming']}），不能出具复函。",
        )
    cells = ["\n".join(r) for r in rows]
    _compare_text("复函（Word）", "\n".join(paragraphs + cells), fields, want)

    pages, pdf_rows = pdf_content(rendered.pdf)
    _compare_rows("复函（PDF）", pdf_rows, [tuple(squeeze(c) for c in w) for w in want])
    _compare_text("复函（PDF）", "\n".join(pages), fields, want)
