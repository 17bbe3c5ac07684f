"""The one way a case changes state: the state, its tracking row and its audit event, together.

`move` runs inside the caller's transaction, so the three commit or vanish
as one; it changes nothing and returns False when the case is no longer in
the state the caller saw (another worker, or a person, got there first).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.storage import audit
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState


def move(
    session: Session,
    case_id: int,
    *,
    source: CaseState | str,
    target: CaseState | str,
    actor: str,
    reason: str,
    now: dt.datetime,
    tracking: dict[str, Any] | None = None,
    case: dict[str, Any] | None = None,
) -> bool:
    """source → target, with `tracking`/`case` column values, and one audit event by `actor`."""
    source, target = CaseState(source), CaseState(target)
    done = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.state == source.value)
        .values(state=target.value, updated_at=now, **(case or {}))
    ).rowcount
    if done != 1:
        return False
    if tracking:
        session.execute(update(CaseTracking).where(CaseTracking.case_id == case_id).values(**tracking))
    audit.append(
        session, actor=actor, case_id=case_id, from_state=source, to_state=target, reason=reason, at=now
    )
    return True


def note(session: Session, case_id: int | None, *, actor: str, reason: str, now: dt.datetime) -> None:
    """An audited event that changes no state (a delay, a refused link, a confirmation)."""
    state = None
    if case_id is not None:
        found = session.get(Case, case_id)
        state = CaseState(found.state) if found is not None else None
    audit.append(
        session, actor=actor, case_id=case_id, from_state=state, to_state=state, reason=reason, at=now
    )
