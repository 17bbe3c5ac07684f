"""A clerk's requests on a case that are not a reply: 延期 (a new due date agreed with the sender)
and 关闭 (a failed or duplicate file that owes no reply).

Who may ask is decided here, not by the edge that asks: each request takes the signed-in
`Account` and requires the clerk's role, so the console, the CLI and any later edge get the same
answer, and the audit log names the account (name and login), never a typed name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pipeline.cases.actions import Action, require
from pipeline.cases.transitions import move, note
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.roles import Account
from pipeline.errors import InvalidRequest
from pipeline.storage.case_models import CaseDelay
from pipeline.storage.models import CaseState
from pipeline.workdays import WorkCalendar


def _request(
    session: Session, case_id: int, account: Account, reason: str, action: Action, no_reason_zh: str
) -> tuple[CaseState, str]:
    """A clerk's request on a case: its state and the trimmed reason, or a Chinese refusal."""
    facts = require(session, case_id, account, action)
    if not reason.strip():
        raise InvalidRequest(f"case {case_id}: request without a reason", no_reason_zh)
    return facts.state, bounded(reason.strip(), Typed.REASON)


def delay(
    session: Session,
    calendar: WorkCalendar,
    case_id: int,
    *,
    until: dt.date,
    reason: str,
    account: Account,
    now: dt.datetime | None = None,
) -> CaseDelay:
    """延期: a new due date agreed with the sender, on a working day after today; audited."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    _, reason = _request(
        session, case_id, account, reason, Action.DELAY, "请写明延期原因（与来函单位沟通的情况）。"
    )
    if until <= now.date():
        raise InvalidRequest("delay into the past", f"新的办理期限 {until:%Y年%m月%d日} 必须晚于今天。")
    if not calendar.is_workday(until):
        better = calendar.next_workday(until)
        raise InvalidRequest(
            "delay to a non-working day",
            f"{until:%Y年%m月%d日} 不是工作日，请改为工作日（例如 {better:%Y年%m月%d日}）。",
        )
    row = CaseDelay(case_id=case_id, new_due_date=until, reason=reason, by=account.signature, at=now)
    session.add(row)
    note(session, case_id, actor=account.signature, reason=f"延期至{until:%Y年%m月%d日}：{reason}", now=now)
    return row


def close(
    session: Session, case_id: int, *, reason: str, account: Account, now: dt.datetime | None = None
) -> None:
    """关闭: a failed or duplicate case that owes no reply, with the clerk's reason; audited."""
    state, reason = _request(
        session, case_id, account, reason, Action.CLOSE, "请写明关闭原因（例如：误放入收件箱的说明文件）。"
    )
    closed = move(
        session, case_id, source=state, target=CaseState.CLOSED, actor=account.signature,
        reason=f"关闭案件：{reason}", now=(now or dt.datetime.now()).replace(microsecond=0),
    )  # fmt: skip
    if not closed:
        raise InvalidRequest(
            f"case {case_id} changed meanwhile", f"第{case_id}号案件状态刚刚发生变化，请重新查看。"
        )
