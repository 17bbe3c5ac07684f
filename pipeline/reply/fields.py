"""The values a reply prints, computed once and shared by the .docx and the PDF.

Template variables (letter_templates/reply.docx):

    masthead          the red 发文机关标志 (信函格式) when the masthead setting is on, else empty
    reply_doc_number  the reply's own 文号, e.g. 陕信用函〔2026〕15号
    title             the title by kind of query, broken into two lines after 人选
    addressee         the sending unit, printed before "："
    incoming          你单位6月4日来函（陕人社函〔2021〕88号）收悉。… (no parenthesis without a 文号)
    conclusion        本查询结果客观反映查询时间点信息主体社会信用记录状况，供依法依规参考使用。
    contact_line      联系人：…，电话：… (empty when neither is configured)
    attachment        附件：社会信用记录查询结果
    office_name       the signing office, e.g. 陕西省信息中心（陕西省信用办）
    issue_date        the date of issue, e.g. 2026年6月7日
    attachment_title  the attachment's heading: 社会信用记录查询结果 (异议复核结果 in an objection's letters)
    query_time        查询时间点：2026年6月7日10时05分（名单数据更新至2026年6月6日）, above the table
    results           the attachment's rows; each r has r.seq (序号), r.name (姓名),
                      r.id_number (身份证号码), r.result (查询结果)
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.domain.reply import ATTACHMENT, CONCLUSION, ReplyContext, date_zh
from pipeline.domain.result import Verdict
from pipeline.errors import ReplyContentError
from pipeline.privacy import mask_id

# name -> meaning (Chinese, for the clerk and docs/reply-template.md)
TEMPLATE_VARIABLES: dict[str, str] = {
    "masthead": "发文机关标志（红色，信函格式）：配置项 masthead 开启时为机关名称，否则为空（使用印制的信笺）",
    "reply_doc_number": "本复函的文号，如 陕信用函〔2026〕15号",
    "title": "标题（按查询类别自动选择，在“人选”后分两行）",
    "addressee": "来函单位名称（模板中其后加“：”）",
    "incoming": "来函句：你单位6月4日来函（陕人社函〔2021〕88号）收悉。……查询结果附后。来函无文号时不含括号",
    "conclusion": "本查询结果客观反映查询时间点信息主体社会信用记录状况，供依法依规参考使用。",
    "contact_line": "联系人及电话，如 联系人：王明，电话：029-63918210（未配置时为空）",
    "attachment": "附件说明：附件：社会信用记录查询结果",
    "office_name": "署名（发文机关），如 陕西省信息中心（陕西省信用办）",
    "issue_date": "成文日期，如 2026年6月7日",
    "attachment_title": "附件标题：社会信用记录查询结果（异议函件中为相应标题）",
    "query_time": "查询时间点及名单数据更新日期，如 查询时间点：2026年6月7日10时05分（名单数据更新至2026年6月6日），印在附件表格上方",
    "results": "查询结果表的行，每行 r 含 r.seq（序号）、r.name（姓名）、r.id_number（身份证号码）、r.result（查询结果）",
}
ROW_FIELDS = ("seq", "name", "id_number", "result")
ATTACHMENT_TITLE = "社会信用记录查询结果"
TABLE_HEADER = ("序号", "姓名", "身份证号码", "查询结果")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean(text: str) -> str:
    """One line of printable text: control characters would become breaks or invalid XML in a .docx."""
    return _CONTROL.sub(" ", str(text)).strip()


def title_lines(title: str) -> list[str]:
    """Break the title after 人选 so the two lines are balanced, as GB/T 9704 asks of long titles."""
    head, sep, tail = title.partition("人选")
    return [head + sep, tail] if sep and tail else [title]


def check_content(ctx: ReplyContext) -> None:
    """A reply states only checked results, and names only lists the query consulted."""
    consulted = set(ctx.lists_consulted)
    names_of: dict[str, set[str]] = {}
    for r in ctx.results:
        names_of.setdefault(r.id_number, set()).add(r.name)
        if len(names_of[r.id_number]) > 1:
            raise ReplyContentError(
                f"result {r.seq}: ID {mask_id(r.id_number)} stands under two names",
                f"第{r.seq}人（{mask_id(r.id_number)}）的身份证号码在名单中对应不同姓名，不能出具复函。",
            )
        if r.verdict not in (Verdict.LISTED, Verdict.CLEAR, Verdict.NOT_CHECKED):
            raise ReplyContentError(
                f"result {r.seq} ({mask_id(r.id_number)}) is {r.verdict}, not a checked result",
                f"第{r.seq}人（{mask_id(r.id_number)}）的查询结果待人工复核，不能出具复函。",
            )
        unknown = [name for name in r.lists if consulted and name not in consulted]
        if unknown:
            raise ReplyContentError(
                f"result {r.seq} names lists not consulted: {unknown}",
                f"第{r.seq}人的查询结果引用了本次未查询的名单：{'、'.join(unknown)}，不能出具复函。",
            )


def reply_fields(ctx: ReplyContext) -> dict[str, Any]:
    """The template context; every value is plain text (escaping is the renderer's job)."""
    check_content(ctx)
    return {
        "masthead": clean(ctx.masthead),
        "reply_doc_number": clean(ctx.reply_doc_number),
        "title": "\n".join(clean(line) for line in title_lines(ctx.title_text)),
        "addressee": clean(ctx.addressee),
        "incoming": clean(ctx.incoming),
        "conclusion": CONCLUSION,
        "contact_line": clean(ctx.contact_line),
        "attachment": ATTACHMENT,
        "office_name": clean(ctx.office_name),
        "issue_date": date_zh(ctx.issue_date),
        "attachment_title": ATTACHMENT_TITLE,
        "query_time": clean(ctx.query_time),
        "results": [
            {
                "seq": str(r.seq),
                "name": clean(r.name),
                "id_number": clean(r.id_number),
                "result": r.result_text_zh(),
            }
            for r in ctx.results
        ],
    }
