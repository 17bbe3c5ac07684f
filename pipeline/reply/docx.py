"""The .docx reply: docxtpl over letter_templates/reply.docx, and the start-up check of that template."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from docx.shared import Twips
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateError, TemplateSyntaxError

from pipeline.errors import ReplyTemplateError
from pipeline.reply import layout as L
from pipeline.reply.fields import TABLE_HEADER, TEMPLATE_VARIABLES
from pipeline.templating import SecurityError, template_env, unsafe_expressions

TEMPLATE_NAME = "reply.docx"
REQUIRED_VARIABLES = ("reply_doc_number", "incoming", "results")  # what verify_reply reads back

_SAMPLE: dict[str, Any] = {
    "masthead": "",
    "reply_doc_number": "陕信用函〔2026〕1号",
    "title": "关于反馈公务员录用、调任人选\n社会信用记录查询结果的函",
    "addressee": "样例单位",
    "incoming": "你单位1月1日来函收悉。我们对来函中相关人员的社会信用记录进行了查询，查询结果附后。",
    "conclusion": "本查询结果客观反映查询时间点信息主体社会信用记录状况，供依法依规参考使用。",
    "contact_line": "联系人：样例，电话：000",
    "attachment": "附件：社会信用记录查询结果",
    "office_name": "样例机关",
    "issue_date": "2026年1月1日",
    "attachment_title": "社会信用记录查询结果",
    "query_time": "查询时间点：2026年1月1日9时00分（名单数据更新至2025年12月31日）",
    "results": [
        {"seq": "1", "name": "样例", "id_number": "000000000000000000", "result": "不属于失信联合惩戒对象"}
    ],
}


def jinja_env() -> Environment:
    """The sandbox every template renders in (pipeline/templating.py)."""
    return template_env()


def _source(doc: DocxTemplate) -> str:
    """The Jinja source docxtpl renders: body, headers and footers, patched as docxtpl patches them."""
    doc.init_docx()
    xml = doc.patch_xml(doc.get_xml())
    for uri in (doc.HEADER_URI, doc.FOOTER_URI):
        for _, part in doc.get_headers_footers(uri):
            xml += doc.patch_xml(doc.get_part_xml(part))
    return xml


def _unsafe_zh(path: Path, what: str) -> str:
    return (
        f"复函模板 {path.name} 含有不安全的写法（{what}），可能被用来在服务器上执行程序，已拒绝使用。"
        "请删除这些写法或恢复默认模板（占位符只能使用 docs/reply-template.md 中列出的变量）。"
    )


def check_template(path: Path, known: Iterable[str] = TEMPLATE_VARIABLES) -> None:
    """Refuse, at start-up, a template that is missing, broken, or uses a variable we do not fill."""
    path = Path(path)
    if not path.is_file():
        raise ReplyTemplateError(
            f"reply template not found: {path}",
            f"复函模板不存在：{path}。请检查 letters.toml 中的 templates 配置。",
        )
    try:
        doc = DocxTemplate(path)
        unsafe = unsafe_expressions(_source(doc))
        used = doc.get_undeclared_template_variables(jinja_env())
    except TemplateSyntaxError as exc:
        raise ReplyTemplateError(
            f"reply template {path}: Jinja syntax error: {exc.message}",
            f"复函模板 {path.name} 中的占位符写法有误（{exc.message}），请检查 {{{{ }}}} 与 {{% %}} 是否成对、拼写是否正确。",
        ) from exc
    except Exception as exc:  # not a zip, not a Word document …
        raise ReplyTemplateError(
            f"reply template {path} cannot be opened: {exc}",
            f"复函模板 {path.name} 无法打开，请确认它是用 Word 或 WPS 保存的 .docx 文件。",
        ) from exc
    if unsafe:
        raise ReplyTemplateError(
            f"reply template {path} accesses private attributes: {unsafe}",
            _unsafe_zh(path, "访问内部属性 " + "、".join(unsafe)),
        )
    unknown = sorted(used - set(known))
    if unknown:
        raise ReplyTemplateError(
            f"reply template {path} uses unknown variables: {unknown}",
            f"复函模板 {path.name} 使用了未知的变量：{'、'.join(unknown)}。"
            f"可用变量：{'、'.join(TEMPLATE_VARIABLES)}（见 docs/reply-template.md）。",
        )
    missing = [name for name in REQUIRED_VARIABLES if name not in used]
    if missing:
        raise ReplyTemplateError(
            f"reply template {path} lacks required variables: {missing}",
            f"复函模板 {path.name} 缺少必需的变量：{'、'.join(missing)}，复函将无法核对，请恢复这些占位符。",
        )
    try:  # a trial render catches what parsing cannot: unknown filters, r.misspelt, bad tags
        _render(path, _SAMPLE, io.BytesIO())
        _render(path, {**_SAMPLE, "masthead": "样例机关"}, io.BytesIO())  # and with the masthead on
    except ReplyTemplateError:
        raise
    except Exception as exc:
        raise ReplyTemplateError(
            f"reply template {path} fails a trial render: {exc}",
            f"复函模板 {path.name} 试生成失败（{exc}），请检查模板中的占位符。",
        ) from exc


def _render(template: Path, fields: dict[str, Any], out: Path | io.BytesIO) -> None:
    doc = DocxTemplate(template)
    try:
        doc.render(fields, jinja_env=jinja_env(), autoescape=True)
    except SecurityError as exc:  # the sandbox refused what the start-up check could not see
        raise ReplyTemplateError(
            f"reply template {template}: sandbox refused: {exc}", _unsafe_zh(template, str(exc)[:200])
        ) from exc
    except TemplateError as exc:
        raise ReplyTemplateError(
            f"reply template {template}: {exc}",
            f"复函模板 {template.name} 无法生成复函（{exc}），请检查模板中的占位符。",
        ) from exc
    _fit_results_table(doc, fields.get("results") or [])
    _rare_character_fonts(doc)
    # Word shows these as the document's own dates; a template's dates would mislead.
    now = dt.datetime.now().replace(microsecond=0)
    doc.docx.core_properties.created = now
    doc.docx.core_properties.modified = now
    doc.save(out)


def _fit_results_table(doc: DocxTemplate, results: list[dict[str, Any]]) -> None:
    """Widths that follow the names, and breaks only at sensible points — as the PDF does."""
    table = next(
        (t for t in doc.docx.tables if tuple(c.text.strip() for c in t.rows[0].cells) == TABLE_HEADER), None
    )
    if table is None or len(table.rows) != len(results) + 1:
        return  # an edited template without the standard table: leave its layout alone
    widths = L.table_columns_mm([r["name"] for r in results])
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    if len(grid) != len(widths):
        return
    for col, width in zip(grid, widths, strict=True):
        col.set(qn("w:w"), str(L.twips(width)))
    for row, result in zip(table.rows, [None, *results], strict=True):  # the header row first
        for cell, key, width in zip(row.cells, ("seq", "name", "id_number", "result"), widths, strict=True):
            cell.width = Twips(L.twips(width))
            lines = L.cell_lines(str(result[key]), width) if result is not None else []
            runs = cell.paragraphs[0].runs if cell.paragraphs else []
            if len(lines) > 1 and len(runs) == 1:
                runs[0].text = "\n".join(lines)  # python-docx writes each \n as a line break


# The Debian faces that hold the CJK extensions (pipeline.reply.fonts.EXTENSION_CANDIDATES), by block:
# a run holding such a character names one, so Word and LibreOffice draw it where the template's face
# has no glyph (a name's rare character, GB 18030-2022).
_EXTENSION_FACES: tuple[tuple[int, int, str], ...] = (
    (0x3400, 0x4DBF, "HanaMinA"),
    (0x20000, 0x2EBEF, "HanaMinB"),
    (0x2EBF0, 0x323AF, "BabelStone Han"),
)


def _extension_face(ch: str) -> str | None:
    code = ord(ch)
    return next((face for low, high, face in _EXTENSION_FACES if low <= code <= high), None)


def _rare_character_fonts(doc: DocxTemplate) -> None:
    """Split each run at characters of the CJK extensions and give those pieces the face that has them."""
    import copy

    body = doc.docx.element.body
    for run in list(body.iter(qn("w:r"))):
        texts = run.findall(qn("w:t"))
        if len(texts) != 1 or not any(_extension_face(ch) for ch in texts[0].text or ""):
            continue
        text = texts[0].text or ""
        pieces: list[tuple[str, str | None]] = []
        for ch in text:
            face = _extension_face(ch)
            if pieces and pieces[-1][1] == face:
                pieces[-1] = (pieces[-1][0] + ch, face)
            else:
                pieces.append((ch, face))
        for piece, face in pieces:
            new = copy.deepcopy(run)
            new.find(qn("w:t")).text = piece
            new.find(qn("w:t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            if face is not None:
                rpr = new.get_or_add_rPr()
                fonts = rpr.find(qn("w:rFonts"))
                if fonts is None:
                    fonts = rpr.makeelement(qn("w:rFonts"), {})
                    rpr.insert(0, fonts)
                for key in ("ascii", "hAnsi", "eastAsia", "cs"):
                    fonts.set(qn(f"w:{key}"), face)
                fonts.set(qn("w:hint"), "eastAsia")
            run.addprevious(new)
        run.getparent().remove(run)


def render_docx(template: Path, fields: dict[str, Any], out: Path) -> Path:
    """Fill the template; the caller has run check_template."""
    _render(template, fields, out)
    return out
