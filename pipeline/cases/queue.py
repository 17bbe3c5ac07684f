"""The queue clerks work from: cases filtered, ordered most urgent first and paged by the database.

The due date in force (the latest agreed delay, else 3 working days from receipt) is computed in
SQL, so the most overdue letter is first however many cases wait, and a unit, reason or date
filter searches every case, not the newest few hundred; the page says how many matched in all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select

from pipeline.cases.actions import CLOSABLE_STATES, OPEN_STATES
from pipeline.cases.context import ServiceContext
from pipeline.cases.listing import CaseRow, case_row, delay_of, delays_in_force, people_counts
from pipeline.cases.reads import Read, require_read
from pipeline.domain.reasons import ReasonCode, Settle
from pipeline.domain.roles import Account
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

PER_PAGE = 100


class Which(StrEnum):
    """The queue's tabs: which states a clerk is looking at."""

    WAITING = "waiting"
    OPEN = "open"
    FAILED = "failed"
    ALL = "all"

    @property
    def states(self) -> tuple[CaseState, ...]:
        """Empty: every state."""
        return {
            Which.WAITING: (CaseState.WAITING_REVIEW,),
            Which.OPEN: OPEN_STATES,
            Which.FAILED: CLOSABLE_STATES,
            Which.ALL: (),
        }[self]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    which: Which = Which.WAITING
    unit: str = ""  # part of the sender's name
    settle: Settle | None = None  # cases with a reason settled this way
    since: dt.date | None = None  # received on or after
    until: dt.date | None = None  # received on or before
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[CaseRow]
    total: int  # cases matching the filter, on every page
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def queue(
    ctx: ServiceContext, filt: QueueFilter, account: Account, today: dt.date | None = None
) -> QueuePage:
    """One page of the cases matching `filt`, the most urgent first (earliest due date in force;
    cases that owe no reply last), with the total count."""
    require_read(account, Read.QUEUE)
    today = today or dt.date.today()
    with ctx.db.sessions() as session:
        delay = delays_in_force()
        due = func.coalesce(delay.c.new_due_date, CaseTracking.due_date)
        owed = case((Case.state.in_([s.value for s in _NO_REPLY]), None), else_=due)
        query = (
            select(Case, CaseTracking, delay.c.new_due_date, delay.c.reason, delay.c.by)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .outerjoin(delay, delay.c.case_id == Case.id)
        )
        for condition in _conditions(filt, session.get_bind().dialect.name):
            query = query.where(condition)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = min(max(1, filt.page), max(1, -(-total // filt.per_page)))
        found = session.execute(
            query.order_by(owed.is_(None), owed, Case.id)
            .offset((page - 1) * filt.per_page)
            .limit(filt.per_page)
        ).all()
        sizes = people_counts(session, [row[0].id for row in found])
        rows = [
            case_row(c, t, delay_of(u, r, b), sizes.get(c.id), today, ctx.calendar) for c, t, u, r, b in found
        ]
    return QueuePage(rows, total, page, filt.per_page)


_NO_REPLY = (*CLOSABLE_STATES, CaseState.CLOSED)


def _conditions(filt: QueueFilter, dialect: str) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filt.which.states:
        out.append(Case.state.in_([s.value for s in filt.which.states]))
    if filt.unit.strip():
        out.append(Case.unit.contains(filt.unit.strip(), autoescape=True))
    if filt.since:
        out.append(Case.received_at >= dt.datetime.combine(filt.since, dt.time()))
    if filt.until:
        out.append(Case.received_at < dt.datetime.combine(filt.until + dt.timedelta(days=1), dt.time()))
    if filt.settle is not None:
        out.append(_has_reason_settled_by(filt.settle, dialect))
    return out


def _has_reason_settled_by(settle: Settle, dialect: str) -> ColumnElement[bool]:
    """The case stores a reason settled by `settle` (reasons are a JSON array of {code, seq, text};
    a plain string, stored before codes existed, counts as needing a correction)."""
    codes = [c.value for c in ReasonCode if c.settled_by is settle]
    legacy = settle is Settle.CORRECTION
    if dialect == "postgresql":
        array = case(
            (func.json_typeof(Case.reasons) == "array", Case.reasons),
            else_=literal("[]").cast(Case.reasons.type),
        )
        each = func.json_array_elements(array).table_valued("value").alias("reason")
        pg_code = each.c.value.op("->>")("code")
        match = or_(pg_code.in_(codes), and_(literal(legacy), func.json_typeof(each.c.value) == "string"))
    else:
        each = func.json_each(Case.reasons).table_valued("value", "type").alias("reason")
        # CASE, not AND: SQLite must not parse a plain string element as JSON
        code = case((each.c.type == "object", func.json_extract(each.c.value, "$.code")), else_=None)
        match = or_(code.in_(codes), and_(literal(legacy), each.c.type == "text"))
    return exists(select(literal(1)).select_from(each).where(match))
