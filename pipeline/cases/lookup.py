"""A case by its number, with its tracking row, or the clerk's "no such case"."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.errors import CaseNotFound
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case


def get_case(session: Session, case_id: int) -> tuple[Case, CaseTracking]:
    """The case and its tracking row (every entry point's intake makes both)."""
    case = session.get(Case, case_id)
    tracking = session.get(CaseTracking, case_id) if case is not None else None
    if case is None or tracking is None:
        raise CaseNotFound(f"no case {case_id}", f"找不到第{case_id}号案件。")
    return case, tracking
