"""A case's history (pipeline.domain.history) as stored on its tracking row: read, and stored.

Stored in the transaction that records what a check found (pipeline.cases.core) and in the one
that takes a case for a person's correction (pipeline.cases.review), so the flags and the fixes
commit with the change they describe.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.domain.history import CaseHistory, Fix, stored_hit
from pipeline.domain.letter import Kind
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case


def history_of(session: Session, case_id: int) -> CaseHistory:
    """The stored history, with what the stored case itself shows (a case recorded before the
    history existed still counts its stored hit and kind)."""
    case = session.get(Case, case_id)
    tracking = session.get(CaseTracking, case_id)
    if case is None or tracking is None:
        return CaseHistory()
    return CaseHistory(
        ever_hit=bool(tracking.ever_hit) or stored_hit(case.check_json),
        ever_civil_servant=bool(tracking.ever_civil_servant) or case.kind == Kind.CIVIL_SERVANT.value,
        fixes=tuple(Fix.from_json(f) for f in tracking.fixes or []),
    )


def store_history(session: Session, case_id: int, history: CaseHistory) -> None:
    """Write `history` (read with history_of, then observed and extended) back to the tracking row.
    Read-then-write keeps the rule that nothing is ever lowered: history_of never forgets a flag."""
    tracking = session.get(CaseTracking, case_id)
    if tracking is None:
        return
    tracking.ever_hit = history.ever_hit
    tracking.ever_civil_servant = history.ever_civil_servant
    tracking.fixes = [f.to_json() for f in history.fixes] or None
