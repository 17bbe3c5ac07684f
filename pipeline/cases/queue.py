"""The queue clerks work from: cases filtered, ordered most urgent first and paged by the database.

The due date in force (the latest agreed delay, else 3 working days from receipt) is computed in
SQL, so the most overdue letter is first however many cases wait, and a unit, reason or date
filter searches every case, not the newest few hundred; the page says how many matched in all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select

from pipeline.cases.actions import CLOSABLE_STATES, OPEN_STATES, Action, facts_of, refusal
from pipeline.cases.context import ServiceContext
from pipeline.cases.listing import CaseRow, case_row, cases_with_delays, delay_of, people_counts
from pipeline.cases.lookup import get_case
from pipeline.cases.reads import Read, require_read
from pipeline.domain.reasons import Reason, ReasonCode, Settle, left_after_approval, second_review
from pipeline.domain.roles import Account, Role
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

PER_PAGE = 100


class Which(StrEnum):
    """The queue's tabs: which states a clerk is looking at."""

    WAITING = "waiting"
    SECOND = "second"  # waiting only for a reviewer's release (二次复审)
    OPEN = "open"
    FAILED = "failed"
    ALL = "all"

    @property
    def states(self) -> tuple[CaseState, ...]:
        """Empty: every state."""
        return {
            Which.WAITING: (CaseState.WAITING_REVIEW,),
            Which.SECOND: (CaseState.WAITING_REVIEW,),
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


class Turn(StrEnum):
    """Whose move a waiting case is, as the person looking at the queue sees it."""

    MINE = "mine"  # this person can act on it now
    REVIEWER = "reviewer"  # it waits for a reviewer's release (二次复审), and this person is none
    OTHERS = "others"  # someone else has it, or it needs a role this person lacks

    @property
    def label_zh(self) -> str:
        return {"mine": "待我办理", "reviewer": "待复核", "others": "待他人处理"}[self.value]


def turn_of(reasons: list[Reason], held_by: str | None, account: Account) -> Turn:
    """Whose move: another's claim first; then what the reasons leave, against this person's roles
    (the case page's allowed_actions is the full answer; this is the queue's glance)."""
    if held_by is not None and held_by != account.signature:
        return Turn.OTHERS
    if left_after_approval(reasons):  # corrections, confirmations, decisions, an administrator's part
        needs_admin = all(r.settled_by is Settle.ADMINISTRATOR for r in left_after_approval(reasons))
        return Turn.MINE if account.has(Role.ADMIN if needs_admin else Role.CLERK) else Turn.OTHERS
    if second_review(reasons):
        return Turn.MINE if account.has(Role.REVIEWER) else Turn.REVIEWER
    return Turn.MINE if account.has(Role.CLERK) or account.has(Role.REVIEWER) else Turn.OTHERS


@dataclass(frozen=True, slots=True)
class QueueRow:
    case: CaseRow
    turn: Turn | None  # None: not waiting for a person
    held_by: str | None  # who has claimed it, if anyone


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # cases matching the filter, on every page
    page: int
    per_page: int
    second_review: int = 0  # cases waiting only for a reviewer's release (the 待二次复审 tab)

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
        query, delay = cases_with_delays()
        due = func.coalesce(delay.c.new_due_date, CaseTracking.due_date)
        owed = case((Case.state.in_([s.value for s in _NO_REPLY]), None), else_=due)
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
        now = dt.datetime.now()
        rows = []
        for c, t, u, r, b in found:
            held = t.holder(now)
            waiting = c.state == CaseState.WAITING_REVIEW.value
            rows.append(
                QueueRow(
                    case_row(c, t, delay_of(u, r, b), sizes.get(c.id), today, ctx.calendar),
                    turn_of(c.review_reasons(), held, account) if waiting else None,
                    held if waiting else None,
                )
            )
        second = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.state == CaseState.WAITING_REVIEW.value,
                _second_review_ready(session.get_bind().dialect.name),
            )
        )
    return QueuePage(rows, total, page, filt.per_page, second or 0)


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
    if filt.which is Which.SECOND:
        out.append(_second_review_ready(dialect))
    return out


def _has_reason_settled_by(settle: Settle, dialect: str) -> ColumnElement[bool]:
    """The case stores a reason settled by `settle` (a plain string, stored before codes existed,
    counts as needing a correction)."""
    return _has_reason(
        [c for c in ReasonCode if c.settled_by is settle], dialect, legacy=settle is Settle.CORRECTION
    )


def _second_review_ready(dialect: str) -> ColumnElement[bool]:
    """Waiting for a second person's release and for nothing else (二次复审)."""
    others = [c for c in ReasonCode if c.settled_by is not Settle.APPROVAL]
    return and_(
        _has_reason([c for c in ReasonCode if c.needs_second_person], dialect),
        ~_has_reason(others, dialect, legacy=True),
    )


def _has_reason(codes: list[ReasonCode], dialect: str, *, legacy: bool = False) -> ColumnElement[bool]:
    """The case stores a reason with one of `codes` (reasons are a JSON array of {code, seq, text});
    `legacy`: a plain string element counts too."""
    values = [c.value for c in codes]
    if dialect == "postgresql":
        array = case(
            (func.json_typeof(Case.reasons) == "array", Case.reasons),
            else_=literal("[]").cast(Case.reasons.type),
        )
        each = func.json_array_elements(array).table_valued("value").alias("reason")
        pg_code = each.c.value.op("->>")("code")
        match = or_(pg_code.in_(values), and_(literal(legacy), func.json_typeof(each.c.value) == "string"))
    else:
        each = func.json_each(Case.reasons).table_valued("value", "type").alias("reason")
        # CASE, not AND: SQLite must not parse a plain string element as JSON
        code = case((each.c.type == "object", func.json_extract(each.c.value, "$.code")), else_=None)
        match = or_(code.in_(values), and_(literal(legacy), each.c.type == "text"))
    return exists(select(literal(1)).select_from(each).where(match))


def handed_over(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> bool:
    """The case waits only for a release `account` may not give (a second person's, a reviewer's):
    from this person's side it is submitted for review, and the console moves on to the next."""
    with ctx.db.sessions() as session:
        case, _ = get_case(session, case_id)
        if case.state != CaseState.WAITING_REVIEW.value or left_after_approval(case.review_reasons()):
            return False
        facts = facts_of(session, case_id, now or dt.datetime.now())
    return refusal(facts, account, Action.RELEASE) is not None


def next_case(ctx: ServiceContext, account: Account, after: int) -> int | None:
    """The most urgent waiting case that is this person's move, other than `after`: where the
    console goes once a case is sent (the way review tools open the next item)."""
    filt = QueueFilter(which=Which.WAITING, per_page=PER_PAGE)
    for number in range(1, 6):  # five pages of the most urgent: enough to find one, bounded
        page = queue(ctx, replace(filt, page=number), account)
        found = next((r.case.id for r in page.rows if r.turn is Turn.MINE and r.case.id != after), None)
        if found is not None or number >= page.pages:
            return found
    return None
