"""The queue is filtered, ordered and paged by the database: with thousands of cases waiting, the
most overdue letter is first and a filter searches every case, not the newest few hundred."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from pipeline.cases.context import ServiceContext
from pipeline.cases.queue import QueueFilter, Which, queue
from pipeline.domain.deadlines import DeadlineFlag
from pipeline.domain.reasons import Reason, ReasonCode, Settle
from pipeline.domain.roles import Account, Role
from pipeline.errors import NotAllowed
from pipeline.settings import Settings
from pipeline.storage import open_database, write_transaction
from pipeline.storage.case_models import CaseDelay, CaseTracking
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

pytest_plugins = ["tests.db_backends"]

CLERK = Account("wangfang", "王芳", frozenset({Role.CLERK}))
TODAY = dt.date(2026, 6, 10)  # a Wednesday
WAITING = 2000


@pytest.fixture
def ctx(settings: Settings) -> Iterator[ServiceContext]:
    db = open_database(settings)
    yield ServiceContext(settings, db, WorkCalendar(settings.holidays_path()))
    db.dispose()


def _fill(
    ctx: ServiceContext, rows: list[dict[str, object]], delays: dict[int, dt.date] | None = None
) -> None:
    """Cases written straight into the store: the queue reads what is stored, however it got there."""
    with write_transaction(ctx.db.sessions) as s:
        s.execute(insert(Case), [{k: v for k, v in r.items() if k != "due"} for r in rows])
        s.execute(
            insert(CaseTracking),
            [{"case_id": r["id"], "source_path": f"{r['id']}.docx", "due_date": r["due"]} for r in rows],
        )
        for case_id, until in (delays or {}).items():
            s.add(
                CaseDelay(
                    case_id=case_id,
                    new_due_date=until,
                    reason="来函单位同意",
                    by="王芳",
                    at=dt.datetime(2026, 6, 1),
                )
            )


def _case(n: int, received: dt.datetime, due: dt.date, **extra: object) -> dict[str, object]:
    return {
        "id": n, "file_sha256": f"{n:064x}", "original_name": f"{n}.docx", "received_at": received,
        "updated_at": received, "state": CaseState.WAITING_REVIEW.value, "unit": f"第{n % 7}人事局",
        "due": due, **extra,
    }  # fmt: skip


def test_with_2000_waiting_the_most_overdue_is_first_and_filters_see_every_case(ctx: ServiceContext) -> None:
    # Case 1 is the oldest and the most overdue; newer cases are less and less late. The newest 500
    # (what the queue used to read) hold none of the five most urgent letters.
    start = dt.datetime(2026, 1, 5, 9, 0)
    rows = [
        _case(n, start + dt.timedelta(hours=n), dt.date(2026, 1, 8) + dt.timedelta(days=n // 24))
        for n in range(1, WAITING + 1)
    ]
    rows.append(_case(WAITING + 1, start, dt.date(2026, 1, 1), state=CaseState.FAILED.value))  # owes no reply
    _fill(ctx, rows, delays={1: dt.date(2026, 12, 31)})  # case 1 was given until year's end

    page = queue(ctx, QueueFilter(), CLERK, today=TODAY)
    assert page.total == WAITING and page.pages == WAITING // page.per_page
    assert [r.case.id for r in page.rows[:5]] == [2, 3, 4, 5, 6]  # by due date in force; 1 is delayed
    assert page.rows[0].case.flag is DeadlineFlag.OVERDUE
    assert all(a.case.due <= b.case.due for a, b in zip(page.rows, page.rows[1:], strict=False))  # type: ignore[operator]

    last = queue(ctx, QueueFilter(page=page.pages), CLERK, today=TODAY)
    assert (
        last.rows[-1].case.id == 1
        and last.rows[-1].case.delayed
        and last.rows[-1].case.due == dt.date(2026, 12, 31)
    )
    assert (
        queue(ctx, QueueFilter(page=10_000), CLERK, today=TODAY).page == page.pages
    )  # past the end: the last

    old = queue(ctx, QueueFilter(until=dt.date(2026, 1, 5)), CLERK, today=TODAY)
    assert {r.case.id for r in old.rows} == set(range(1, 15)) and old.total == 14  # received on the first day
    unit = queue(ctx, QueueFilter(unit="第3人事局"), CLERK, today=TODAY)
    assert unit.total == len([n for n in range(1, WAITING + 1) if n % 7 == 3]) and unit.rows[0].case.id == 3

    everything = queue(ctx, QueueFilter(which=Which.ALL, page=21), CLERK, today=TODAY)
    assert (
        everything.total == WAITING + 1 and everything.rows[-1].case.id == WAITING + 1
    )  # owes nothing: last


def test_the_queue_finds_cases_by_what_settles_them(ctx: ServiceContext) -> None:
    received = dt.datetime(2026, 6, 1, 9, 0)
    due = dt.date(2026, 6, 4)

    def reasons(*codes: ReasonCode) -> list[object]:
        return [Reason(c, f"问题{c}").to_json() for c in codes]

    _fill(
        ctx,
        [
            _case(1, received, due, reasons=reasons(ReasonCode.ID_INVALID)),
            _case(2, received, due, reasons=reasons(ReasonCode.POSSIBLE, ReasonCode.SECOND_REVIEW)),
            _case(3, received, due, reasons=["旧版本存下的问题"]),  # a plain string: needs a correction
            _case(4, received, due, reasons=None),
            _case(5, received, due, reasons=reasons(ReasonCode.RELEASE)),
        ],
    )

    def ids(settle: Settle) -> list[int]:
        return [r.case.id for r in queue(ctx, QueueFilter(settle=settle), CLERK, today=TODAY).rows]

    assert ids(Settle.CORRECTION) == [1, 3]
    assert ids(Settle.DECISION) == [2]
    assert ids(Settle.APPROVAL) == [2, 5]
    assert ids(Settle.ADMINISTRATOR) == []


def test_a_unit_filter_matches_percent_and_underscore_literally(ctx: ServiceContext) -> None:
    received, due = dt.datetime(2026, 6, 1, 9, 0), dt.date(2026, 6, 4)
    _fill(ctx, [_case(1, received, due, unit="百分之百_人事局"), _case(2, received, due, unit="某某人事局")])
    assert [r.case.id for r in queue(ctx, QueueFilter(unit="_"), CLERK, today=TODAY).rows] == [1]
    assert queue(ctx, QueueFilter(unit="%"), CLERK, today=TODAY).total == 0


def test_only_the_letters_people_and_administrators_read_the_queue(ctx: ServiceContext) -> None:
    nobody = Account("x", "某人", frozenset())
    with pytest.raises(NotAllowed) as refused:
        queue(ctx, QueueFilter(), nobody, today=TODAY)
    assert "待办列表" in refused.value.message_zh
    for role in Role:
        assert queue(ctx, QueueFilter(), Account("y", "某人", frozenset({role})), today=TODAY).total == 0


def test_the_queue_says_whose_move_each_case_is_and_reviewers_have_their_tab(ctx: ServiceContext) -> None:
    """Tags 待我办理 / 待复核 / 待他人处理 from the reasons, the claim and the person's roles; the
    待二次复审 tab holds the cases that wait only for a reviewer's release."""
    from pipeline.cases.queue import Turn

    received, due = dt.datetime(2026, 6, 1, 9, 0), dt.date(2026, 6, 4)
    later = dt.datetime.now() + dt.timedelta(minutes=10)

    def reasons(*codes: ReasonCode) -> list[object]:
        return [Reason(c, f"问题{c}").to_json() for c in codes]

    _fill(
        ctx,
        [
            _case(1, received, due, reasons=reasons(ReasonCode.ID_INVALID)),  # a clerk's correction
            _case(2, received, due, reasons=reasons(ReasonCode.SECOND_REVIEW)),  # a reviewer's release
            _case(3, received, due, reasons=reasons(ReasonCode.RELEASE)),  # anyone who may release
            _case(4, received, due, reasons=reasons(ReasonCode.ID_INVALID)),  # claimed by another
            _case(5, received, due, reasons=reasons(ReasonCode.SECOND_REVIEW, ReasonCode.POSSIBLE)),
        ],
    )
    with write_transaction(ctx.db.sessions) as s:
        tracking = s.get(CaseTracking, 4)
        assert tracking is not None
        tracking.held_by, tracking.held_until = "赵处长（zhao）", later
    reviewer = Account("zhou", "周复核", frozenset({Role.REVIEWER}))

    def turns(who: Account) -> dict[int, Turn | None]:
        return {r.case.id: r.turn for r in queue(ctx, QueueFilter(), who, today=TODAY).rows}

    assert turns(CLERK) == {1: Turn.MINE, 2: Turn.REVIEWER, 3: Turn.MINE, 4: Turn.OTHERS, 5: Turn.MINE}
    assert turns(reviewer) == {1: Turn.OTHERS, 2: Turn.MINE, 3: Turn.MINE, 4: Turn.OTHERS, 5: Turn.OTHERS}
    second = queue(ctx, QueueFilter(which=Which.SECOND), reviewer, today=TODAY)
    assert [r.case.id for r in second.rows] == [2] and second.second_review == 1
    assert next(r for r in second.rows).held_by is None
    assert queue(ctx, QueueFilter(), CLERK, today=TODAY).rows[3].held_by == "赵处长（zhao）"
