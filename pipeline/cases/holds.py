"""Who is working on a waiting case: others see it read-only until the claim is handed back, freed
by a reviewer, or lapses after HOLD_MINUTES idle.

Looking at a case takes nothing. A person takes it by claiming it (领取办理) or by their first
edit in the console (the draft it keeps as they type, pipeline.cases.drafts); a reviewer frees
anyone's claim (释放领取), and every taking and freeing is audited. A command-line correction is one
act, not a session of work, and takes nothing."""

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
    if tracking.holder(now) not in (None, me):
        return tracking.held_by
    if not (account.has(Role.CLERK) or account.has(Role.REVIEWER)):
        return None  # an auditor reads, and holds nothing
    fresh = tracking.held_by != me
    keep(tracking, me, now)
    if fresh:
        note(session, case_id, actor=me, reason="领取办理（其他人员暂为只读）", now=now)
    return None


def claim(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> None:
    """领取办理: the case is this person's until handed back, freed or idle for HOLD_MINUTES."""
    from pipeline.cases.actions import Action, require

    now = now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        require(session, case_id, account, Action.CLAIM, now)
        take(session, case_id, account, now)


def release_claim(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> str:
    """释放领取 by a reviewer: whoever held the case no longer does; returns who that was."""
    from pipeline.cases.actions import Action, require

    now = now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        facts = require(session, case_id, account, Action.RELEASE_CLAIM, now)
        tracking = session.get(CaseTracking, case_id)
        assert tracking is not None and facts.held_by is not None  # the rule needs a live claim
        tracking.held_by, tracking.held_until = None, None
        note(
            session, case_id, actor=account.signature, reason=f"释放领取（原由{facts.held_by}领取）", now=now
        )
        return facts.held_by


def hand_back(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> bool:
    """The holder gives the case back (放弃领取); False when it was not theirs to give."""
    now = now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        tracking = session.get(CaseTracking, case_id)
        if tracking is None or tracking.held_by != account.signature:
            return False
        tracking.held_by, tracking.held_until = None, None
        note(session, case_id, actor=account.signature, reason="放弃领取（其他人员可以办理）", now=now)
        return True


def keep(tracking: CaseTracking, by: str, now: dt.datetime) -> None:
    """Hold (or keep holding) the case for `by`: any work on it counts as activity."""
    tracking.held_by, tracking.held_until = by, now + dt.timedelta(minutes=HOLD_MINUTES)


def not_held_by_another(session: Session, case_id: int, by: str, now: dt.datetime) -> None:
    tracking = session.get(CaseTracking, case_id)
    if tracking is not None and tracking.holder(now) not in (None, by):
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
