"""退回 / 转办: a letter this office should not answer gets a short letter naming where it belongs.

The notice routes 市属及以下事业单位 queries to the city's lead department, and city-level
civil-servant queries through the city's 公务员主管部门. Which letters those are is a clerk's
decision in the console or the CLI, never automatic; the letter (template routing.docx, the
reply's format) lists the persons as not checked here and names the right office, and the case
ends answered, audited with the reason.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from pipeline.cases.context import ServiceContext
from pipeline.cases.folders import Folders
from pipeline.cases.holds import not_held_by_another
from pipeline.cases.publisher import claim
from pipeline.cases.replying import issue_date
from pipeline.cases.transitions import move
from pipeline.contract import letter_from_json
from pipeline.domain.reply import date_zh
from pipeline.domain.roles import Account, Role
from pipeline.errors import CaseNotFound, InvalidRequest
from pipeline.files import safe_copy, sha256_file
from pipeline.outbox import destination
from pipeline.storage import write_transaction
from pipeline.storage.models import Case, CaseState
from pipeline.storage.numbers import allocate_reply_number

ACTIONS = {"return": "退回", "transfer": "转办"}


def _fields(ctx: ServiceContext, case: Case, action: str, target: str, reason: str, now: dt.datetime) -> dict:
    from pipeline.reply.fields import clean

    settings = ctx.settings
    letter = letter_from_json(case.letter_json or {})
    day = f"{letter.date.month}月{letter.date.day}日" if letter.date else ""
    cited = f"（{letter.doc_number}）" if letter.doc_number else ""
    if action == "return":
        title, said = "关于退回社会信用记录\n查询申请的函", f"请向{target}申请查询"
        conclusion = f"经核，{reason}，不属于我单位办理范围，现予退回，请向{target}申请查询。"
    else:
        title, said = "关于转办社会信用记录\n查询申请的函", f"已转{target}办理"
        conclusion = f"经核，{reason}，不属于我单位办理范围，已转{target}办理。"
    contact = "，".join(x for x in (f"联系人：{settings.contact_name}" if settings.contact_name else "",
                                   f"电话：{settings.contact_phone}" if settings.contact_phone else "") if x)  # fmt: skip
    return {
        "masthead": clean(settings.masthead_name or settings.office_name) if settings.masthead else "",
        "reply_doc_number": "", "title": title, "addressee": clean(letter.unit or ""),
        "incoming": clean(f"你单位{day}来函{cited}收悉。"), "conclusion": clean(conclusion), "contact_line": contact,
        "attachment": "附件：查询对象名单", "office_name": clean(settings.signature),
        "issue_date": date_zh(issue_date(settings, now.date())), "attachment_title": "查询对象名单", "query_time": "",
        "results": [{"seq": str(i), "name": clean(p.name), "id_number": clean(p.id_number), "result": said}
                    for i, p in enumerate(letter.people, 1)],
    }  # fmt: skip


def route(
    ctx: ServiceContext, case_id: int, account: Account, *, action: str, target: str, reason: str,
    now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """The 退回 or 转办 letter, published; the case ends answered by it. Returns its 文号."""
    from pipeline.reply import render_letter  # heavy: only when a letter is made

    by, now = account.require(Role.CLERK), (now or dt.datetime.now()).replace(microsecond=0)
    target, reason = " ".join(target.split()), " ".join(reason.split())
    if action not in ACTIONS:
        raise InvalidRequest(f"bad action {action}", "只能退回或转办。")
    if not target or not reason:
        raise InvalidRequest("no target or reason", "请写明应向哪个单位申请（或转至哪个单位）以及原因。")
    with ctx.db.sessions() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}", f"找不到第{case_id}号案件。")
        if case.state != CaseState.WAITING_REVIEW.value or not case.letter_json:
            raise InvalidRequest(
                f"case {case_id} is {case.state}", "只有待人工复核、已提取来函内容的案件可以退回或转办。"
            )
        not_held_by_another(session, case_id, by, now)
    fields = _fields(ctx, case, action, target, reason, now)
    number = allocate_reply_number(
        ctx.db.sessions, ctx.settings.reply_prefix, now.year, case_id=case_id, now=now
    )
    fields["reply_doc_number"] = number
    Folders.from_settings(ctx.settings)
    names = {}
    with tempfile.TemporaryDirectory(dir=ctx.settings.path(ctx.settings.data_dir)) as tmp:
        made = render_letter(ctx.settings, "routing.docx", fields, Path(tmp))
        for suffix, path in (("docx", made.docx), ("pdf", made.pdf)):
            named = path.with_name(f"{number}-{ACTIONS[action]}-{case.unit or '来函单位'}.{suffix}")
            path.rename(named)
            folder, mode = destination(ctx.settings, suffix)
            target_path, filled = claim(named, folder, mode)
            if not filled:
                safe_copy(named, target_path, sha256_file(named), mode=mode)
            names[suffix] = target_path.name
    with write_transaction(ctx.db.sessions) as session:
        if not move(
            session, case_id, source=CaseState.WAITING_REVIEW, target=CaseState.REPLIED, actor=by, now=now,
            reason=f"{ACTIONS[action]}（{number}）：{reason}；应向{target}申请" if action == "return"
            else f"{ACTIONS[action]}（{number}）：{reason}；已转{target}",
            case={"reply_doc_number": number, "outputs": names, "reasons": None},
        ):  # fmt: skip
            raise InvalidRequest(
                f"case {case_id} changed", f"第{case_id}号案件状态刚刚发生变化，请重新查看。"
            )
    return number
