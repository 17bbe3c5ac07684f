"""退回 / 转办: a letter this office should not answer gets a short letter naming where it belongs.

The notice routes 市属及以下事业单位 queries to the city's lead department, and city-level
civil-servant queries through the city's 公务员主管部门. Which letters those are is a clerk's
decision in the console or the CLI, never automatic; the letter (template routing.docx, the
reply's format) lists the persons as not checked here and names the right office, and the case
ends answered, audited with the reason.
"""

from __future__ import annotations

import datetime as dt

from pipeline.cases.actions import Action, require
from pipeline.cases.context import ServiceContext
from pipeline.cases.letters import letter_fields, send_letter
from pipeline.cases.lookup import get_case
from pipeline.cases.transitions import move
from pipeline.contract import letter_from_json
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.roles import Account
from pipeline.errors import InvalidRequest
from pipeline.storage import write_transaction
from pipeline.storage.models import Case, CaseState

ACTIONS = {"return": "退回", "transfer": "转办"}


def _fields(ctx: ServiceContext, case: Case, action: str, target: str, reason: str, now: dt.datetime) -> dict:
    letter = letter_from_json(case.letter_json or {})
    day = f"{letter.date.month}月{letter.date.day}日" if letter.date else ""
    cited = f"（{letter.doc_number}）" if letter.doc_number else ""
    if action == "return":
        title, said = "关于退回社会信用记录\n查询申请的函", f"请向{target}申请查询"
        conclusion = f"经核，{reason}，不属于我单位办理范围，现予退回，请向{target}申请查询。"
    else:
        title, said = "关于转办社会信用记录\n查询申请的函", f"已转{target}办理"
        conclusion = f"经核，{reason}，不属于我单位办理范围，已转{target}办理。"
    return letter_fields(
        ctx.settings,
        now,
        title=title,
        addressee=letter.unit or "",
        incoming=f"你单位{day}来函{cited}收悉。",
        conclusion=conclusion,
        heading="查询对象名单",
        rows=[(p.name, p.id_number, said) for p in letter.people],
    )


def route(
    ctx: ServiceContext, case_id: int, account: Account, *, action: str, target: str, reason: str,
    now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """The 退回 or 转办 letter, published; the case ends answered by it. Returns its 文号."""
    by, now = account.signature, (now or dt.datetime.now()).replace(microsecond=0)
    target, reason = " ".join(target.split()), " ".join(reason.split())
    if action not in ACTIONS:
        raise InvalidRequest(f"bad action {action}", "只能退回或转办。")
    if not target or not reason:
        raise InvalidRequest("no target or reason", "请写明应向哪个单位申请（或转至哪个单位）以及原因。")
    bounded(target, Typed.UNIT)
    bounded(reason, Typed.REASON)
    with ctx.db.sessions() as session:
        require(session, case_id, account, Action.ROUTE, now)
        case, _ = get_case(session, case_id)
    fields = _fields(ctx, case, action, target, reason, now)
    number, names = send_letter(
        ctx, case_id, "routing.docx", fields, label=ACTIONS[action], unit=case.unit, now=now
    )
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
