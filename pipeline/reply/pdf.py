"""The PDF reply, drawn with reportlab to the same GB/T 9704 geometry as the .docx template.

Text is real text in an embedded TrueType subset, so names and IDs can be read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import ttfonts as _rl_ttfonts
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _rl_paragraph

from pipeline.errors import ReplyFontError
from pipeline.reply import layout as L
from pipeline.reply.fields import ATTACHMENT_TITLE, TABLE_HEADER
from pipeline.reply.fonts import FontSet, has_char

# reportlab's list of characters that may not start a line (避头) lacks the full-width
# comma, colon, semicolon, and marks: without them a line can begin with "，".
_NO_LINE_START = "，：；！？》”’"
for _module in (_rl_paragraph, _rl_textsplit):  # both keep their own copy of the list
    if not set(_NO_LINE_START) <= set(_module.ALL_CANNOT_START):
        _module.ALL_CANNOT_START += _NO_LINE_START


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond U+FFFF (CJK Extension B names) written as
    UTF-16 surrogate pairs; reportlab writes five hex digits there, and the text reads back wrong."""
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


_rl_ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _markup(text: str, fonts: FontSet, base: str) -> str:
    """Escape for reportlab's mini-markup, switching face for characters the base font lacks.

    A character no font has would print as an empty box while still reading back
    correctly, so the read-back check could not catch it: refuse instead.
    """
    out: list[str] = []
    for char in text:
        face = base if has_char(base, char) else fonts.face_for(char)
        if face is None:
            raise ReplyFontError(
                f"no configured font has U+{ord(char):04X}",
                f"字符“{char}”（U+{ord(char):04X}）在可用的中文字体中都没有字形，PDF 复函无法正确显示。"
                "请在 letters.toml 的 fonts 中配置包含该字的 TrueType 字体，或人工办理此函。",
            )
        out.append(escape(char) if face == base else f'<font face="{face}">{escape(char)}</font>')
    return "".join(out)


def _styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    pitch = L.LINE_PITCH_PT
    body = ParagraphStyle(
        "body", fontName=fonts.body, fontSize=L.BODY_PT, leading=pitch, wordWrap="CJK", alignment=TA_JUSTIFY
    )
    return {
        "body": body,
        "indent": ParagraphStyle("indent", parent=body, firstLineIndent=2 * L.BODY_PT),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "sign": ParagraphStyle("sign", parent=body, alignment=TA_RIGHT, rightIndent=2 * L.BODY_PT),
        "date": ParagraphStyle("date", parent=body, alignment=TA_RIGHT, rightIndent=4 * L.BODY_PT),
        "title": ParagraphStyle(
            "title", parent=body, fontSize=L.TITLE_PT, leading=L.TITLE_LEADING_PT, alignment=TA_CENTER
        ),
        "label": ParagraphStyle("label", parent=body, fontName=fonts.hei, alignment=TA_LEFT),
        "masthead": ParagraphStyle(
            "masthead",
            parent=body,
            fontName=fonts.body,
            fontSize=L.MASTHEAD_PT,
            leading=L.MASTHEAD_PT * 1.4,
            alignment=TA_CENTER,
            textColor=Color(*L.MASTHEAD_RED),
        ),
        "note": ParagraphStyle(
            "note", parent=body, fontSize=L.TABLE_PT, leading=L.TABLE_PT * 1.8, alignment=TA_LEFT
        ),
        "cell": ParagraphStyle(
            "cell", parent=body, fontSize=L.TABLE_PT, leading=L.TABLE_PT * 1.3, alignment=TA_CENTER
        ),
        "head": ParagraphStyle(
            "head",
            parent=body,
            fontName=fonts.hei,
            fontSize=L.TABLE_PT,
            leading=L.TABLE_PT * 1.3,
            alignment=TA_CENTER,
        ),
    }


class _DoubleRule(Flowable):
    """The red rule of GB/T 9704 信函格式 across the text width: a thick line over a thin one."""

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, L.RULE_THICK_PT + L.RULE_THIN_PT + 2

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(Color(*L.MASTHEAD_RED))
        top = L.RULE_THICK_PT + L.RULE_THIN_PT + 2
        canvas.setLineWidth(L.RULE_THICK_PT)
        canvas.line(0, top - L.RULE_THICK_PT / 2, self.width, top - L.RULE_THICK_PT / 2)
        canvas.setLineWidth(L.RULE_THIN_PT)
        canvas.line(0, L.RULE_THIN_PT / 2, self.width, L.RULE_THIN_PT / 2)


def _page_number(font: str):
    """ "— n —" 4号, 7 mm under the text block; odd pages right, even pages left, one character in."""

    def draw(canvas, doc) -> None:
        n = canvas.getPageNumber()
        text = f"— {n} —"
        y = (L.MARGIN_BOTTOM_MM - L.PAGE_NUMBER_GAP_MM) * mm - L.PAGE_NUMBER_PT * 0.88
        canvas.saveState()
        canvas.setFont(font, L.PAGE_NUMBER_PT)
        if n % 2:
            canvas.drawRightString(A4[0] - L.MARGIN_RIGHT_MM * mm - L.PAGE_NUMBER_PT, y, text)
        else:
            canvas.drawString(L.MARGIN_LEFT_MM * mm + L.PAGE_NUMBER_PT, y, text)
        canvas.restoreState()

    return draw


def write_pdf(fields: dict[str, Any], out: Path, fonts: FontSet) -> Path:
    """Render the reply's fields (pipeline.reply.fields.reply_fields) to `out`."""
    st = _styles(fonts)

    def para(text: str, style: str) -> Paragraph:
        base = st[style].fontName
        return Paragraph(_markup(text, fonts, base), st[style])

    line = Spacer(1, L.LINE_PITCH_PT)
    title = "<br/>".join(_markup(t, fonts, fonts.body) for t in fields["title"].split("\n"))
    story: list[Any] = []
    if fields.get("masthead"):  # 信函格式: red 发文机关标志 over a thick-thin red double rule
        story += [para(fields["masthead"], "masthead"), _DoubleRule(), Spacer(1, L.BODY_PT / 2)]
    story += [
        para(fields["reply_doc_number"], "right"),
        line,
        Paragraph(title, st["title"]),
        line,
        para(f"{fields['addressee']}：", "body"),
        para(fields["incoming"], "indent"),
        para(fields["conclusion"], "indent"),
    ]
    if fields["contact_line"]:
        story.append(para(fields["contact_line"], "indent"))
    new_page = fields.get("attachment_new_page", True)  # 附件 另面编排, as the reply's form (附件3) has it
    blank = [line, line] if new_page else [line]  # GB/T 9704: 下空一行; the reply keeps two (the template's)
    story += [
        line,
        para(fields["attachment"], "indent"),
        # The signature and its date never part: a page may break before them, not between.
        KeepTogether([*blank, para(fields["office_name"], "sign"), para(fields["issue_date"], "date")]),
    ]
    head: list[Any] = []  # the list's label, title and table: one block when it follows the letter
    if new_page:
        story += [PageBreak(), para("附件", "label"), line]
    else:  # a short letter's list follows it on the page when it fits whole, else on the next
        head += [Spacer(1, L.LINE_PITCH_PT / 2), para("附件", "label")]
    head += [
        para(fields.get("attachment_title") or ATTACHMENT_TITLE, "title"),
        Spacer(1, L.BODY_PT / 2),
    ]
    if fields["query_time"]:
        head.append(para(fields["query_time"], "note"))  # one line, in the table's size
    widths = L.table_columns_mm([r["name"] for r in fields["results"]])

    def cell(text: str, width_mm: float) -> Paragraph:
        lines = L.cell_lines(text, width_mm)
        return Paragraph("<br/>".join(_markup(t, fonts, st["cell"].fontName) for t in lines), st["cell"])

    rows: list[list[Any]] = [[para(h, "head") for h in TABLE_HEADER]]
    rows += [
        [cell(r[k], w) for k, w in zip(("seq", "name", "id_number", "result"), widths, strict=True)]
        for r in fields["results"]
    ]
    pad = max(0.0, (L.TABLE_ROW_MIN_MM * mm - L.TABLE_PT * 1.3) / 2)
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story += [*head, table] if new_page else [KeepTogether([*head, table])]

    doc = BaseDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=L.MARGIN_LEFT_MM * mm,
        rightMargin=L.MARGIN_RIGHT_MM * mm,
        topMargin=L.MARGIN_TOP_MM * mm,
        bottomMargin=L.MARGIN_BOTTOM_MM * mm,
        title=fields["title"].replace("\n", ""),
        author=fields["office_name"],
        subject=fields["reply_doc_number"],
        creator="credit-letters",
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="text",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_page_number(fonts.body))])
    doc.build(story)
    return out
