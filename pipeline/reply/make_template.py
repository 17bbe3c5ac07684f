"""Generate letter_templates/reply.docx, the notice's 附件3 as a docxtpl template.

The template is generated rather than drawn by hand so its GB/T 9704-2012 layout
(A4, margins, 22 × 28 grid, fonts with East-Asian names, page numbers) is
reviewable and reproducible. Staff may still edit the result in Word or WPS;
`check_template` refuses an edit that uses an unknown variable.

    .venv/bin/python -m pipeline.reply.make_template [OUT]   # default: letter_templates/ and pipeline/defaults/

Variables: see pipeline.reply.fields.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor, Twips
from lxml import etree

from pipeline.reply import layout as L
from pipeline.reply.fields import TABLE_HEADER

DEFAULT_OUT = Path("letter_templates/reply.docx")
PACKAGED = Path(__file__).resolve().parents[1] / "defaults" / "reply.docx"  # what an installed letters uses
FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # core properties and zip entries: reproducible bytes


# --- small OOXML helpers --------------------------------------------------------


def _set(el, tag: str, **attrs: str | int):
    """Get or create child `tag` of `el` and set w: attributes on it."""
    child = el.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        el.append(child)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), str(value))
    return child


def _fonts(rpr, east_asia: str, latin: str = L.FONT_LATIN) -> None:
    """Name fonts explicitly (no theme fonts): Word and WPS otherwise fall back to a Western face."""
    old = rpr.find(qn("w:rFonts"))
    if old is not None:
        rpr.remove(old)
    rfonts = OxmlElement("w:rFonts")
    for key, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asia), ("cs", latin)):
        rfonts.set(qn(f"w:{key}"), value)
    rfonts.set(qn("w:hint"), "eastAsia")
    rpr.insert(0, rfonts)


def _ind(ppr, **attrs: int) -> None:
    """Indents both in characters (w:*Chars, what Word shows) and in twips (what other readers use)."""
    ind = ppr.find(qn("w:ind"))
    if ind is not None:
        ppr.remove(ind)
    ind = OxmlElement("w:ind")
    for key, value in attrs.items():
        ind.set(qn(f"w:{key}"), str(value))
    ppr.append(ind)


def _style(doc, style_id: str, name: str, *, size: int, east_asia: str, latin: str = L.FONT_LATIN):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    _fonts(style.element.get_or_add_rPr(), east_asia, latin)
    return style


# --- document parts ---------------------------------------------------------------


def _setup_defaults(doc) -> None:
    """Body 3号 仿宋_GB2312, justified, no spacing: the grid alone sets the line pitch."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, L.FONT_BODY[0])
    _set(rpr, "w:sz", val=L.BODY_PT * 2)
    _set(rpr, "w:szCs", val=L.BODY_PT * 2)
    _set(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")

    normal = doc.styles["Normal"]
    normal.font.size = Pt(L.BODY_PT)
    _fonts(normal.element.get_or_add_rPr(), L.FONT_BODY[0])
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.widow_control = False
    _set(normal.element.get_or_add_rPr(), "w:spacing", val=L.CONDENSE_TWIPS)  # 28 characters a line
    ppr = normal.element.get_or_add_pPr()
    _set(ppr, "w:autoSpaceDE", val=0)  # no extra gap between 汉字 and digits: 6月4日, not 6 月 4 日
    _set(ppr, "w:autoSpaceDN", val=0)

    _style(doc, "ReplyTitle", "公文标题", size=L.TITLE_PT, east_asia=L.FONT_TITLE[0], latin=L.FONT_TITLE[0])
    title = doc.styles["公文标题"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(
        L.TITLE_LEADING_PT
    )  # fixed, so a 22 pt line is not two grid lines
    _set(title.element.get_or_add_pPr(), "w:snapToGrid", val=0)
    masthead = _style(
        doc, "Masthead", "发文机关标志", size=L.MASTHEAD_PT, east_asia=L.FONT_TITLE[0], latin=L.FONT_TITLE[0]
    )
    masthead.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.font.color.rgb = RGBColor(*(round(c * 255) for c in L.MASTHEAD_RED))
    masthead.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    masthead.paragraph_format.line_spacing = Pt(L.MASTHEAD_PT * 1.4)
    _set(masthead.element.get_or_add_pPr(), "w:snapToGrid", val=0)
    _style(doc, "AttachmentLabel", "附件标识", size=L.BODY_PT, east_asia=L.FONT_HEI[0], latin=L.FONT_HEI[0])
    doc.styles["附件标识"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    table = _style(doc, "TableText", "表格文字", size=L.TABLE_PT, east_asia=L.FONT_BODY[0])
    table.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set(table.element.get_or_add_pPr(), "w:snapToGrid", val=0)  # rows as tall as their text, not a grid line
    number = _style(
        doc,
        "PageNumber",
        "页码",
        size=L.PAGE_NUMBER_PT,
        east_asia=L.FONT_PAGE_NUMBER[0],
        latin=L.FONT_PAGE_NUMBER[0],
    )
    _set(number.element.get_or_add_pPr(), "w:snapToGrid", val=0)
    _set(number.element.get_or_add_rPr(), "w:spacing", val=0)


def _setup_section(doc) -> None:
    section = doc.sections[0]
    section.page_width = Mm(L.PAGE_WIDTH_MM)
    section.page_height = Mm(L.PAGE_HEIGHT_MM)
    section.top_margin = Mm(L.MARGIN_TOP_MM)
    section.bottom_margin = Mm(L.MARGIN_BOTTOM_MM)
    section.left_margin = Mm(L.MARGIN_LEFT_MM)
    section.right_margin = Mm(L.MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    # bottom of the page-number line: 7 mm under the text block, minus one 4号 line
    section.footer_distance = Mm(L.MARGIN_BOTTOM_MM - L.PAGE_NUMBER_GAP_MM - L.PAGE_NUMBER_PT / L.PT_PER_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    for key in list(grid.attrib):
        del grid.attrib[key]
    grid.set(qn("w:type"), "lines")  # see layout.CONDENSE_TWIPS for the 28 characters
    grid.set(qn("w:linePitch"), str(L.DOCGRID_LINE_PITCH))
    grid.set(qn("w:charSpace"), str(L.DOCGRID_CHAR_SPACE))

    # GB/T 9704: 单页码居右空一字，双页码居左空一字.
    doc.settings.odd_and_even_pages_header_footer = True
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    one_char = round(L.PAGE_NUMBER_PT * 20)
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, right=one_char)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, left=one_char)


def _page_number(footer, align, **indent: int) -> None:
    """ "— 1 —" with a PAGE field."""
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = "页码"
    p.alignment = align
    _ind(p._p.get_or_add_pPr(), **indent)
    p.add_run("— ")
    runs = [
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>',
        f"<w:r {nsdecls('w')}><w:t>1</w:t></w:r>",
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>',
    ]
    for xml in runs:
        p._p.append(parse_xml(xml))
    p.add_run(" —")


def _para(doc, text: str = "", style: str | None = None, align=None, **indent: int):
    p = doc.add_paragraph(text, style)
    if align is not None:
        p.alignment = align
    if indent:
        _ind(p._p.get_or_add_pPr(), **indent)
    return p


def _body(doc, blank_lines: int = 2) -> None:
    """The letter: 文号, title, addressee, the three sentences, 附件说明, signature and date;
    `blank_lines` between the 附件说明 and the signature (GB/T 9704: 下空一行; the reply keeps two)."""
    body_char = L.BODY_PT * 20
    # 信函格式 for plain paper (setting masthead): the red 发文机关标志 over a thick-thin red rule.
    _para(doc, "{%p if masthead %}")
    _para(doc, "{{ masthead }}", "发文机关标志")
    rule = _para(doc)
    rule.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY  # the rule takes no body line
    rule.paragraph_format.line_spacing = Pt(L.RULE_THICK_PT * 3)
    _set(rule._p.get_or_add_pPr(), "w:snapToGrid", val=0)
    red = "".join(f"{round(c * 255):02X}" for c in L.MASTHEAD_RED)
    rule._p.get_or_add_pPr().append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="thickThinSmallGap" w:sz="{round(L.RULE_THICK_PT * 8)}" '
            f'w:space="1" w:color="{red}"/></w:pBdr>'
        )
    )
    _para(doc, "{%p endif %}")
    _para(doc, "{{ reply_doc_number }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc)
    _para(doc, "{{ title }}", "公文标题")
    _para(doc)
    _para(doc, "{{ addressee }}：")
    _para(doc, "{{ incoming }}", firstLineChars=200, firstLine=2 * body_char)
    _para(doc, "{{ conclusion }}", firstLineChars=200, firstLine=2 * body_char)
    _para(doc, "{%p if contact_line %}")
    _para(doc, "{{ contact_line }}", firstLineChars=200, firstLine=2 * body_char)
    _para(doc, "{%p endif %}")
    _para(doc)
    _para(doc, "{{ attachment }}", firstLineChars=200, firstLine=2 * body_char)
    for _ in range(blank_lines):
        _para(doc)
    # 加盖印章的公文: date 右空四字, office name above it (here 右空二字, close to centred on the date).
    _para(doc, "{{ office_name }}", align=WD_ALIGN_PARAGRAPH.RIGHT, rightChars=200, right=2 * body_char)
    _para(doc, "{{ issue_date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, rightChars=400, right=4 * body_char)


def _attachment(doc, new_page: bool = True) -> None:
    """附件 on a new page: label top left (黑体), title centred on line 3, then the result table; or
    (an objection's letters, a list of a few people) after a blank line, on the page while it fits."""
    if not new_page:
        _para(doc)
    label = _para(doc, "附件", "附件标识")
    label.paragraph_format.page_break_before = new_page
    if new_page:
        _para(doc)
    heading = _para(doc, "{{ attachment_title }}", "公文标题")
    heading.paragraph_format.space_after = Pt(L.BODY_PT / 2)
    _para(
        doc, "{{ query_time }}", "TableText", align=WD_ALIGN_PARAGRAPH.LEFT
    )  # one line, in the table's size

    rows = [
        TABLE_HEADER,
        ("{%tr for r in results %}", "", "", ""),
        ("{{ r.seq }}", "{{ r.name }}", "{{ r.id_number }}", "{{ r.result }}"),
        ("{%tr endfor %}", "", "", ""),
    ]
    table = doc.add_table(rows=len(rows), cols=len(TABLE_HEADER))
    widths = [L.twips(mm) for mm in L.TABLE_COLUMNS_MM]
    tbl_pr = table._tbl.tblPr
    for tag in ("w:tblStyle", "w:tblW", "w:tblLook"):
        el = tbl_pr.find(qn(tag))
        if el is not None:
            tbl_pr.remove(el)
    tbl_pr.append(parse_xml(f'<w:tblW {nsdecls("w")} w:w="{sum(widths)}" w:type="dxa"/>'))
    tbl_pr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="center"/>'))
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    tbl_pr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"))
    tbl_pr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    tbl_pr.append(
        parse_xml(
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="85" w:type="dxa"/>'
            f'<w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        )
    )
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))

    for i, (row, texts) in enumerate(zip(table.rows, rows, strict=True)):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
        tr_pr.append(
            parse_xml(f'<w:trHeight {nsdecls("w")} w:val="{L.twips(L.TABLE_ROW_MIN_MM)}" w:hRule="atLeast"/>')
        )
        if i == 0:
            tr_pr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))  # repeated on every page
        for cell, text, width in zip(row.cells, texts, widths, strict=True):
            cell.width = Twips(width)  # a Length: a bare int would be read as EMU (tcW of 1 twip)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            p.style = doc.styles["表格文字"]
            run = p.add_run(text)
            if i == 0:
                _fonts(run._r.get_or_add_rPr(), L.FONT_HEI[0], L.FONT_HEI[0])
    # Word needs a paragraph after a table; keep it one small line so it never spills onto a new page.
    tail = _para(doc, style="表格文字")
    tail.paragraph_format.space_before = Pt(0)


_FONT_TABLE_ENTRIES = [
    # (name, altName, panose, pitch): charset 86 = GB2312 so a missing face is replaced by a Chinese one
    (L.FONT_BODY[0], L.FONT_BODY[1], "02010609030101010101", "fixed"),
    (L.FONT_TITLE[0], L.FONT_TITLE[1], "02000000000000000000", "variable"),
    (L.FONT_HEI[0], L.FONT_HEI[1], "02010609060101010101", "fixed"),
    (L.FONT_PAGE_NUMBER[0], L.FONT_PAGE_NUMBER[1], "02010600030101010101", "fixed"),
]


def _font_table(doc) -> None:
    """Declare the Chinese faces with w:altName fallbacks (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 小标宋 …)."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    root = parse_xml(part.blob)
    for name, alt, panose, pitch in _FONT_TABLE_ENTRIES:
        root.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                f'<w:panose1 w:val="{panose}"/><w:charset w:val="86"/><w:family w:val="modern"/>'
                f'<w:pitch w:val="{pitch}"/></w:font>'
            )
        )
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# The letters in this format: the reply (附件3) and the two letters of an objection's chain. The
# objection's letters name one or a few people: their list follows the letter, so one fits a page.
INLINE_ATTACHMENT = ("objection_apply.docx", "objection_notice.docx")
TEMPLATES = {
    "reply.docx": (
        "社会信用记录查询结果复函（模板）",
        "关于做好公务员录用、调任和事业单位聘用人选社会信用记录查询工作的通知 附件3",
    ),
    "objection_apply.docx": ("异议复核申请函（模板）", "向国家公共信用信息中心申请异议复核（通知 二（五））"),
    "objection_notice.docx": ("异议复核结果告知函（模板）", "书面告知异议申请单位复核结果（通知 二（五））"),
    "routing.docx": ("退回、转办函（模板）", "不属于本单位办理的查询：写明应向何处申请（由工作人员决定）"),
}


def build(name: str = "reply.docx") -> bytes:
    """A template as .docx bytes, identical on every run."""
    title, subject = TEMPLATES[name]
    doc = Document()
    for rel_id, rel in list(doc.part.package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # python-docx's default thumbnail shows an unrelated page
            del doc.part.package.rels[rel_id]
    _setup_defaults(doc)
    _setup_section(doc)
    inline = name in INLINE_ATTACHMENT
    _body(doc, blank_lines=1 if inline else 2)
    _attachment(doc, new_page=not inline)
    _font_table(doc)
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = "credit-letters"
    props.last_modified_by = "credit-letters"
    props.comments = "由 pipeline/reply/make_template.py 生成；可用变量见 docs/reply-template.md。"
    props.keywords = ""
    props.revision = 1
    props.created = props.modified = FIXED_TIME.replace(tzinfo=None)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Fixed timestamps and order, so regenerating gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write every template into letter_templates/ and the packaged defaults (or one, to a path)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        Path(args[0]).write_bytes(build())
        print(f"wrote {args[0]}")
        return 0
    for name in TEMPLATES:
        data = build(name)
        for folder in (DEFAULT_OUT.parent, PACKAGED.parent):
            out = folder / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
