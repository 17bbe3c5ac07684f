"""Named persons' decisions on verdicts, stored with the case as history (never updated)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.domain.decision import ManualDecision, record_from_json, record_to_json
from pipeline.domain.result import Verdict
from pipeline.storage.case_models import CaseDecision


def stored_decisions(session: Session, case_id: int) -> list[ManualDecision]:
    """Every decision recorded for the case, oldest first (the latest per person counts)."""
    rows = session.execute(
        select(CaseDecision).where(CaseDecision.case_id == case_id).order_by(CaseDecision.id)
    ).scalars()
    return [
        ManualDecision(
            seq=row.seq,
            name=row.name,
            id_number=row.id_number,
            was=Verdict(row.was),
            verdict=Verdict(row.verdict),
            records=tuple(record_from_json(r) for r in row.records),
            lists=tuple(row.lists),
            by=row.by,
            at=row.at,
        )
        for row in rows
    ]


def store_decisions(session: Session, case_id: int, decisions: list[ManualDecision]) -> None:
    session.add_all(
        CaseDecision(
            case_id=case_id,
            seq=d.seq,
            name=d.name,
            id_number=d.id_number,
            was=d.was.value,
            verdict=d.verdict.value,
            records=[record_to_json(r) for r in d.records],
            lists=list(d.lists),
            by=d.by,
            at=d.at,
        )
        for d in decisions
    )
