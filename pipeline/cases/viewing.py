"""Who may look at a case's personal data, and the record of every look (全程留痕).

A case holds names and full ID numbers: in its fields, in the original's page images and in the
reply sent. Every edge that shows any of them asks `see` first, which checks the account's role
and writes the audit event, so no route can show personal data unrecorded or to the wrong role.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pipeline.cases.context import ServiceContext
from pipeline.cases.lookup import get_case
from pipeline.cases.reads import Read, require_read
from pipeline.cases.transitions import note
from pipeline.domain.roles import Account
from pipeline.storage import write_transaction

# How each look's audit reason begins: a look is not work on the case (spot checks and the
# workload figures leave it out).
_CASE, _ORIGINAL, _SENT, _PREVIEW = "查看案件", "查看来函原件", "查看已发出复函", "查看复函预览"
_OBJECTION = "查看异议申请"
LOOKS = (_CASE, _ORIGINAL, _SENT, _PREVIEW, _OBJECTION)
_PERSONAL = "（含查询对象个人信息）"

CASE = f"{_CASE}{_PERSONAL}"
PREVIEW = f"{_PREVIEW}{_PERSONAL}"
OBJECTION = f"{_OBJECTION}{_PERSONAL}"


def original_page(number: int) -> str:
    return f"{_ORIGINAL}第{number}页{_PERSONAL}"


def sent_page(number: int) -> str:
    return f"{_SENT}第{number}页{_PERSONAL}"


def preview_page(number: int) -> str:
    return f"{_PREVIEW}第{number}页{_PERSONAL}"


def see(
    ctx: ServiceContext, case_id: int, account: Account, what: str, now: dt.datetime | None = None
) -> None:
    """Allow `account` to see the case's personal data, and record that it did; refused otherwise."""
    with write_transaction(ctx.db.sessions) as session:
        look(session, case_id, account, what, now or dt.datetime.now())


def look(session: Session, case_id: int, account: Account, what: str, now: dt.datetime) -> None:
    """`see` inside the caller's transaction."""
    require_read(account, Read.CASE)
    get_case(session, case_id)  # no such case: the clerk's "找不到", and nothing recorded
    note(session, case_id, actor=account.signature, reason=what, now=now)
