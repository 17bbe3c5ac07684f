"""Who is working on a waiting case in the console: others see it read-only until the hold lapses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.cases.context import ServiceContext
from pipeline.cases.transitions import note
from pipeline.domain.roles import Account, Role
from pipeline.errors import InvalidRequest
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

HOLD_MINUTES = 15  # an idle hold lapses after this; the draft stays in the form and the case record


def hold(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> str | None:
    """Take (or renew) the case for `account` in the console; returns who else holds it, if anyone.
    Holding is audited when it starts, not at every renewal."""
    now = now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        return take(session, case_id, account, now)


def take(session: Session, case_id: int, account: Account, now: dt.datetime) -> str | None:
    """`hold` inside the caller's transaction (the case page takes the case as it reads it)."""
    me = account.signature
    case = session.get(Case, case_id)
    tracking = session.get(CaseTracking, case_id)
    if case is None or tracking is None or case.state != CaseState.WAITING_REVIEW.value:
        return None
    if tracking.held_by not in (None, me) and tracking.held_until is not None and tracking.held_until > now:
        return tracking.held_by
    if not (account.has(Role.CLERK) or account.has(Role.REVIEWER)):
        return None  # an auditor reads, and holds nothing
    fresh = tracking.held_by != me
    keep(tracking, me, now)
    if fresh:
        note(session, case_id, actor=me, reason="开始办理（其他人员暂为只读）", now=now)
    return None


def keep(tracking: CaseTracking, by: str, now: dt.datetime) -> None:
    """Hold (or keep holding) the case for `by`: any work on it counts as activity."""
    tracking.held_by, tracking.held_until = by, now + dt.timedelta(minutes=HOLD_MINUTES)


def not_held_by_another(session: Session, case_id: int, by: str, now: dt.datetime) -> None:
    tracking = session.get(CaseTracking, case_id)
    if (
        tracking is not None
        and tracking.held_by not in (None, by)
        and tracking.held_until
        and tracking.held_until > now
    ):
        raise InvalidRequest(
            f"case {case_id} held by {tracking.held_by}",
            f"第{case_id}号案件正由{tracking.held_by}办理（至{tracking.held_until:%H:%M}），请稍后再试。",
        )


def release_holds(ctx: ServiceContext, account: Account) -> None:
    """Signing out hands back every case the account was working on."""
    with write_transaction(ctx.db.sessions) as session:
        session.execute(
            update(CaseTracking)
            .where(CaseTracking.held_by == account.signature)
            .values(held_by=None, held_until=None)
        )
