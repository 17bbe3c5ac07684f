"""The periodic report as .docx (python-docx), PDF (reportlab, the reply's CJK fonts) and .xlsx
(openpyxl), from the same tables and charts.

Units, reasons and findings come from letters and from people: they are data in every rendering.
Characters XML cannot hold are dropped from every section (a .docx cannot store them), reportlab's
paragraph markup is escaped, and spreadsheet cells go through pipeline.sheets (no formulas)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.reports import tables
from pipeline.reports.charts import Chart
from pipeline.reports.figures import Figures
from pipeline.sheets import safe_cells

Rows = Sequence[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    header: tuple[str, ...]
    rows: Rows
    empty: str = "本期无。"
    lead: str = ""  # sentences before the table (总体情况)


def title(f: Figures) -> str:
    return f"{f.period.label_zh}社会信用记录查询工作情况通报"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _plain(text: str) -> str:
    """Text XML can hold: control characters (a value typed or read from a letter) dropped."""
    return _NOT_XML.sub("", text)


def sections(f: Figures, *, workload: bool) -> list[Section]:
    """The report's tables, every cell plain text."""
    return [
        Section(
            s.heading, s.header, [tuple(_plain(v) for v in row) for row in s.rows], s.empty, _plain(s.lead)
        )
        for s in _sections(f, workload=workload)
    ]


def _sections(f: Figures, *, workload: bool) -> list[Section]:
    out = [
        Section("一、总体情况", ("项目", "本期", "上期"), tables.summary(f), lead=tables.narrative(f)),
        Section("二、按查询类别", ("查询类别", "收到（件）", "复函（件）"), tables.by_kind(f)),
        Section("三、按来函单位", ("来函单位", "收到（件）", "复函（件）"), tables.by_unit(f)),
        Section("四、属于失信联合惩戒对象的人员（按名单）", ("名单", "人数"), tables.hits(f)),
        Section("五、需人工核实的结果及处理", ("核查结论→人工核实结论", "人数"), tables.settled(f)),
        Section("六、延期办理", ("案件", "来函单位", "延至", "原因", "经办人"), tables.delays(f)),
        Section("七、抽查抽检发现的错误", ("案件", "错误内容"), tables.spot_findings(f)),
        Section("八、异议处理", ("项目", "数量"), tables.objections(f), "本期无异议申请。"),
    ]
    if workload:
        out.append(Section("九、经办工作量（仅供管理使用）", ("工作人员", "办理案件"), tables.workload(f)))
    return out


def docx_bytes(f: Figures, charts: list[Chart], office: str, *, workload: bool, made: dt.date) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = docx.Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(26)
        _page_numbers(section.footer.paragraphs[0])
    style = doc.styles["Normal"]
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    head = doc.add_paragraph(title(f))
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.runs[0].font.size, head.runs[0].bold = Pt(18), True
    for part in sections(f, workload=workload):
        doc.add_paragraph(part.heading).runs[0].bold = True
        if part.lead:
            doc.add_paragraph(part.lead).paragraph_format.first_line_indent = Pt(24)
        if not part.rows:
            doc.add_paragraph(part.empty)
            continue
        table = doc.add_table(rows=1, cols=len(part.header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, part.header, strict=True):
            cell.text = text
        for row in part.rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
        if part.heading.startswith("一"):
            for chart in charts:
                doc.add_picture(io.BytesIO(chart.png), width=Mm(150))
    doc.add_paragraph()
    for line, indent in ((_plain(office), 0), (_date_zh(made), 4)):  # 发文机关署名, 成文日期 右空四字
        signed = doc.add_paragraph(line)
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signed.paragraph_format.right_indent = Pt(12 * indent)
        signed.paragraph_format.keep_with_next = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_bytes(f: Figures, charts: list[Chart], office: str, fonts, *, workload: bool, made: dt.date) -> bytes:  # type: ignore[no-untyped-def]
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    body = ParagraphStyle("body", fontName=fonts.body, fontSize=11, leading=17, wordWrap="CJK")
    heading = ParagraphStyle(
        "heading", parent=body, fontName=fonts.hei, fontSize=13, leading=22, spaceBefore=6
    )
    big = ParagraphStyle("title", parent=body, fontName=fonts.hei, fontSize=18, leading=28, alignment=1)
    signed = ParagraphStyle("signed", parent=body, alignment=2)
    dated = ParagraphStyle("dated", parent=signed, rightIndent=4 * 11)
    cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13)
    lead = ParagraphStyle("lead", parent=body, firstLineIndent=22, spaceAfter=6)
    story = [Paragraph(title(f), big), Spacer(1, 6)]
    for part in sections(f, workload=workload):
        story.append(Paragraph(escape(part.heading), heading))
        if part.lead:
            story.append(Paragraph(escape(part.lead), lead))
        if not part.rows:
            story.append(Paragraph(part.empty, body))
            continue
        data = [[Paragraph(escape(t), cell) for t in part.header]] + [
            [Paragraph(escape(t), cell) for t in row] for row in part.rows
        ]  # reportlab reads markup in a Paragraph: a unit's "<a href=…>" is text
        table = Table(data, repeatRows=1, colWidths=[158 * mm / len(part.header)] * len(part.header))
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
        )
        story.append(table)
        if part.heading.startswith("一"):
            for chart in charts:
                shape = chart.aspect  # as drawn: a chart of rows is taller than one of columns
                story += [Spacer(1, 6), Image(io.BytesIO(chart.png), width=150 * mm, height=150 * mm * shape)]
    # 发文机关署名 and 成文日期 (右空四字) close the report, kept together on one page
    story.append(
        KeepTogether(
            [Spacer(1, 18), Paragraph(escape(_plain(office)), signed), Paragraph(_date_zh(made), dated)]
        )
    )
    out = io.BytesIO()

    def page_number(canvas, doc) -> None:  # type: ignore[no-untyped-def]  # GB/T 9704: — N — at the foot
        canvas.saveState()
        canvas.setFont(fonts.body, 11)
        canvas.drawCentredString(A4[0] / 2, 14 * mm, f"— {doc.page} —")
        canvas.restoreState()

    SimpleDocTemplate(out, pagesize=A4, leftMargin=26 * mm, rightMargin=26 * mm, title=title(f)).build(
        story, onFirstPage=page_number, onLaterPages=page_number
    )
    return out.getvalue()


def _date_zh(day: dt.date) -> str:
    """成文日期 as GB/T 9704 writes it: 2026年12月1日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _page_numbers(paragraph) -> None:  # type: ignore[no-untyped-def]
    """— N — centred at the foot of every page (GB/T 9704), N a PAGE field Word fills in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —")


def xlsx_bytes(f: Figures, *, workload: bool) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for part in sections(f, workload=workload):
        sheet = book.create_sheet(part.heading.split("、", 1)[-1][:31])
        sheet.append(safe_cells(part.header))
        for row in part.rows:
            sheet.append(safe_cells(int(v) if v.isdigit() else v for v in row))
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = max(
                10, *(len(str(c.value or "")) * 2 for c in column)
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class ReportFiles:
    docx: Path
    pdf: Path
    xlsx: Path
    charts: list[Chart]
