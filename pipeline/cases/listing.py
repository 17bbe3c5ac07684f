"""What clerks ask of the case store: the case list with its deadlines, and the service's status.

Plain functions over a session, shared by the CLI and the console (the console's queue, filtered
and paged in SQL, is pipeline.cases.queue).
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql import Select, Subquery

from pipeline.cases.actions import CLOSABLE_STATES, OPEN_STATES
from pipeline.cases.instances import LEASE_SECONDS, pid_alive
from pipeline.domain.deadlines import Deadline, DeadlineFlag, Delay, count_deadline, open_flag
from pipeline.storage.case_models import CaseDelay, CaseTracking, ServiceInstance
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar


@dataclass(slots=True)
class CaseRow:
    id: int
    state: str
    unit: str | None
    doc_number: str | None
    people: int | None
    received_at: dt.datetime
    due: dt.date | None  # None: no reply owed (failed, duplicate, closed)
    delayed: bool
    reply_doc_number: str | None
    original_name: str
    flag: DeadlineFlag
    deadline: Deadline | None = None  # how the due date was counted; None when no answer is owed
    settle: list[str] = field(default_factory=list)  # what settles its reasons (Settle values), in order
    error: str | None = None

    @property
    def state_zh(self) -> str:
        return CaseState(self.state).label_zh


def deadline_flag(state: str, due: dt.date, today: dt.date, calendar: WorkCalendar) -> DeadlineFlag:
    """Only a case that still owes an answer is flagged."""
    return open_flag(due, today, calendar) if state in OPEN_STATES else DeadlineFlag.NONE


def people_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """Roster sizes, counted by the database (the letters' JSON never comes over the wire)."""
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        size = func.json_array_length(Case.letter_json.op("->")("people"))
    else:
        size = func.json_array_length(Case.letter_json, "$.people")
    return {
        i: n for i, n in session.execute(select(Case.id, size).where(Case.id.in_(ids))).all() if n is not None
    }


def delays_in_force() -> Subquery:
    """Each delayed case's latest agreement (case_id, new_due_date, reason, by): the later delay wins."""
    latest = select(func.max(CaseDelay.id).label("id")).group_by(CaseDelay.case_id).subquery()
    return (
        select(CaseDelay.case_id, CaseDelay.new_due_date, CaseDelay.reason, CaseDelay.by)
        .join(latest, CaseDelay.id == latest.c.id)
        .subquery("delay_in_force")
    )


def cases_with_delays() -> tuple[Select[Any], Subquery]:
    """Cases with their tracking rows and latest delay (its date, reason, by; None when not delayed):
    what every list of cases reads, and the delay subquery to order by."""
    delay = delays_in_force()
    query = (
        select(Case, CaseTracking, delay.c.new_due_date, delay.c.reason, delay.c.by)
        .join(CaseTracking, CaseTracking.case_id == Case.id)
        .outerjoin(delay, delay.c.case_id == Case.id)
    )
    return query, delay


def case_row(
    case: Case,
    tracking: CaseTracking,
    delay: Delay | None,
    people: int | None,
    today: dt.date,
    calendar: WorkCalendar,
) -> CaseRow:
    """One listed case, with its due date in force, its deadline flag and how it was counted."""
    delayed_to = delay.until if delay else None
    due = delayed_to or tracking.due_date
    owed = CaseState(case.state) in OPEN_STATES
    return CaseRow(
        deadline=count_deadline(case.received_at.date(), tracking.due_date, delay, today, calendar)
        if owed
        else None,
        id=case.id,
        state=case.state,
        unit=case.unit,
        doc_number=case.doc_number,
        people=people,
        received_at=case.received_at,
        due=None if case.state in (*CLOSABLE_STATES, CaseState.CLOSED) else due,
        delayed=delayed_to is not None,
        reply_doc_number=case.reply_doc_number,
        original_name=case.original_name,
        flag=deadline_flag(case.state, due, today, calendar),
        settle=list(dict.fromkeys(r.settled_by.value for r in case.review_reasons())),
        error=case.error,
    )


def delay_of(until: dt.date | None, reason: str | None, by: str | None) -> Delay | None:
    """A delay from the delays_in_force columns of an outer-joined row (None: not delayed)."""
    return Delay(until, reason or "", by or "") if until is not None else None


def deadline_in(
    session: Session, case: Case, tracking: CaseTracking, today: dt.date, calendar: WorkCalendar
) -> Deadline | None:
    """One case's deadline as the case page shows it; None when no answer is owed."""
    if CaseState(case.state) not in OPEN_STATES:
        return None
    found = session.scalars(
        select(CaseDelay).where(CaseDelay.case_id == case.id).order_by(CaseDelay.id.desc()).limit(1)
    ).first()
    delay = Delay(found.new_due_date, found.reason, found.by) if found else None
    return count_deadline(case.received_at.date(), tracking.due_date, delay, today, calendar)


def list_cases(
    session: Session,
    calendar: WorkCalendar,
    *,
    states: list[str] | None = None,
    today: dt.date | None = None,
    limit: int = 200,
    ids: list[int] | None = None,
) -> list[CaseRow]:
    """Newest first; open cases carry their deadline flag."""
    today = today or dt.date.today()
    query, _ = cases_with_delays()
    query = (
        query.options(
            defer(Case.letter_json), defer(Case.check_json)
        )  # rows are listed, not read: keep it light
        .order_by(Case.id.desc())
        .limit(limit)
    )
    if states:
        query = query.where(Case.state.in_(states))
    if ids is not None:
        query = query.where(Case.id.in_(ids))
    found = session.execute(query).all()
    sizes = people_counts(session, [row[0].id for row in found])
    return [case_row(c, t, delay_of(u, r, b), sizes.get(c.id), today, calendar) for c, t, u, r, b in found]


@dataclass(slots=True)
class InstanceHealth:
    id: str
    host: str
    pid: int
    mode: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    alive: bool


@dataclass(slots=True)
class Status:
    counts: dict[str, int]
    oldest_waiting: CaseRow | None
    overdue: int
    due_soon: int
    lists: list[tuple[str, dt.datetime | None, int, bool]]  # name, imported at, rows, stale
    instances: list[InstanceHealth]
    unknown_years: list[int]
    replied_today: int = 0
    has_accounts: bool = True  # False: no named account yet, nobody can sign in


def service_health(session: Session, now: dt.datetime | None = None) -> list[InstanceHealth]:
    """Watchers not marked stopped, with whether each still looks alive (review runs are not listed)."""
    now = now or dt.datetime.now()
    host = socket.gethostname()
    out = []
    for row in session.execute(
        select(ServiceInstance)
        .where(ServiceInstance.stopped_at.is_(None), ServiceInstance.mode != "review")
        .order_by(ServiceInstance.started_at)
    ).scalars():
        alive = row.heartbeat_at >= now - dt.timedelta(seconds=LEASE_SECONDS)
        if alive and row.host == host:
            alive = pid_alive(row.pid)
        out.append(
            InstanceHealth(row.id, row.host, row.pid, row.mode, row.started_at, row.heartbeat_at, alive)
        )
    return out


def status(
    session: Session, calendar: WorkCalendar, freshness_days: int, today: dt.date | None = None
) -> Status:
    from pipeline.records.catalog import current_lists

    today = today or dt.date.today()
    counts = {s.value: 0 for s in CaseState}
    for state, n in session.execute(select(Case.state, func.count()).group_by(Case.state)).all():
        counts[state] = n
    # Deadlines of every open case from three columns a row: the queue page shows these counts.
    delay = delays_in_force()
    flags = [
        deadline_flag(state, delayed_to or due, today, calendar)
        for state, due, delayed_to in session.execute(
            select(Case.state, CaseTracking.due_date, delay.c.new_due_date)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .outerjoin(delay, delay.c.case_id == Case.id)
            .where(Case.state.in_([s.value for s in OPEN_STATES]))
        ).all()
    ]
    first = session.execute(
        select(Case.id)
        .where(Case.state.in_([s.value for s in OPEN_STATES]))
        .order_by(Case.received_at, Case.id)
        .limit(1)
    ).scalar_one_or_none()
    oldest = next(iter(list_cases(session, calendar, ids=[first], today=today)), None) if first else None
    now = dt.datetime.combine(today, dt.datetime.now().time())
    lists = []
    for item in current_lists(session):
        snap = item.snapshot
        lists.append(
            (
                item.name,
                snap.imported_at if snap else None,
                snap.rows_imported if snap else 0,
                item.stale(now, freshness_days),
            )
        )
    years = {today.year, calendar.next_workday(today).year, calendar.add_workdays(today, 10).year}
    if today.month == 12:  # the State Council publishes next year's arrangement in November or December
        years.add(today.year + 1)
    unknown = sorted(y for y in years if calendar.source(y) == "weekends")
    replied_today = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.state == CaseState.REPLIED.value, Case.updated_at >= dt.datetime.combine(today, dt.time())
        )
    )
    from pipeline.accounts import has_accounts

    return Status(
        has_accounts=has_accounts(session),
        replied_today=replied_today or 0,
        counts=counts,
        oldest_waiting=oldest,
        overdue=sum(1 for f in flags if f is DeadlineFlag.OVERDUE),
        due_soon=sum(1 for f in flags if f.due_soon),
        lists=lists,
        instances=service_health(session),
        unknown_years=unknown,
    )
