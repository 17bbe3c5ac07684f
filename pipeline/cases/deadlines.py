"""Open cases' due dates, counted again when the holiday arrangement changes.

A due date is counted at receipt (3 working days, pipeline.workdays). When an
administrator adds or corrects holidays in holidays.toml after a case
opened, the open cases' due dates are counted again from their receipt, and
each change is audited; finished cases keep the due date they were judged by.
A delay (延期) is a date agreed with the sender and is not recounted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from pipeline.cases.transitions import note
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

OPEN = (CaseState.RECEIVED.value, CaseState.PROCESSING.value, CaseState.WAITING_REVIEW.value)


def recount_due_dates(db: Database, calendar: WorkCalendar, now: dt.datetime | None = None) -> list[int]:
    """Count every open case's due date again; returns the cases whose date changed."""
    now = now or dt.datetime.now()
    changed = []
    with write_transaction(db.sessions) as session:
        rows = session.execute(
            select(Case.id, Case.received_at, CaseTracking)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .where(Case.state.in_(OPEN))
        ).all()
        for case_id, received, tracking in rows:
            due = calendar.due_date(received)
            if due == tracking.due_date:
                continue
            note(
                session, case_id, actor=audit.SERVICE, now=now,
                reason=f"节假日安排已更新，办理期限由{tracking.due_date:%Y年%m月%d日}重新计算为{due:%Y年%m月%d日}",
            )  # fmt: skip
            tracking.due_date = due
            changed.append(case_id)
    return changed


def keep_current(db: Database, calendar: WorkCalendar, holidays_file: Path | None = None) -> list[int]:
    """At a periodic moment: if the holiday file changed (or `holidays_file`, the setting's file now,
    is another one), count open due dates again."""
    return recount_due_dates(db, calendar) if calendar.refresh(holidays_file) else []
