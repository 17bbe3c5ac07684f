"""Due dates in working days: a holiday inside the chain, a holiday added after a case opened, and
"due today" is not overdue."""

from __future__ import annotations

import datetime as dt
import os

from pipeline.cases.deadlines import keep_current
from pipeline.cases.listing import list_cases, status
from pipeline.domain.deadlines import DeadlineFlag
from pipeline.storage import audit
from pipeline.storage.case_models import CaseTracking
from pipeline.workdays import WorkCalendar
from tests.builders.spec import bad_check_digit
from tests.review_office import drop
from tests.service_letters import spec_for


def _waiting(service, n: int) -> int:  # type: ignore[no-untyped-def]
    spec = spec_for(n)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    return drop(service, f"w{n}.docx", spec)


def _due(ctx, case_id: int) -> dt.date:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        return s.get(CaseTracking, case_id).due_date  # type: ignore[union-attr]


def _holidays(path, *days: dt.date) -> None:  # type: ignore[no-untyped-def]
    by_year: dict[int, list[str]] = {}
    for d in days:
        by_year.setdefault(d.year, []).append(f'"{d.isoformat()}"')
    path.write_text(
        "".join(f"[{y}]\nholidays = [{', '.join(v)}]\n" for y, v in by_year.items()), encoding="utf-8"
    )
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new stamp even within one tick


def test_a_holiday_inside_the_chain_is_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "holidays.toml"
    _holidays(path, dt.date(2031, 10, 1), dt.date(2031, 10, 2), dt.date(2031, 10, 3))
    calendar = WorkCalendar(path)
    assert calendar.due_date(dt.datetime(2031, 9, 30, 16, 0)) == dt.date(2031, 10, 8)  # Tue → next Wed
    assert calendar.workdays_between(dt.date(2031, 9, 30), dt.date(2031, 10, 8)) == 3


def test_a_holiday_added_after_a_case_opened_moves_its_open_due_date(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    opened = _waiting(service, 601)
    answered = drop(service, "done.docx", spec_for(602))
    before = _due(ctx, opened)
    assert keep_current(ctx.db, ctx.calendar, ctx.settings.holidays_path()) == []  # nothing changed
    first_day = ctx.calendar.add_workdays(dt.date.today(), 1)  # inside the case's 3 working days
    own = ctx.settings.path(ctx.settings.holidays_file)  # the project's own file, beside the packaged one
    assert not own.exists()
    _holidays(own, first_day)
    assert keep_current(ctx.db, ctx.calendar, ctx.settings.holidays_path()) == [opened]
    after = _due(ctx, opened)
    assert after == ctx.calendar.add_workdays(before, 1) and after > before
    assert _due(ctx, answered) == before  # a finished case keeps the date it was judged by
    with ctx.db.sessions() as s:
        (said,) = [e for e in audit.events_for(s, opened) if e.reason.startswith("节假日安排已更新")]
    assert f"{before:%Y年%m月%d日}" in said.reason and f"{after:%Y年%m月%d日}" in said.reason


def test_due_today_is_not_overdue(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = _waiting(service, 603)
    due = _due(ctx, case_id)
    with ctx.db.sessions() as s:
        (row,) = list_cases(s, ctx.calendar, ids=[case_id], today=due)
        assert row.flag is DeadlineFlag.DUE_TODAY and row.flag.label_zh == "今日到期"
        (late,) = list_cases(
            s, ctx.calendar, ids=[case_id], today=ctx.calendar.next_workday(due + dt.timedelta(1))
        )
        assert late.flag is DeadlineFlag.OVERDUE
        assert status(s, ctx.calendar, ctx.settings.freshness_days, today=due).overdue == 0


def test_the_deadline_names_the_days_skipped_and_a_weekend_worked() -> None:
    """The explanation a clerk reads: holidays skipped, a 调休 Saturday counted, days left."""
    from pipeline.domain.deadlines import count_deadline

    holidays = {dt.date(2031, 10, 1), dt.date(2031, 10, 2)}  # Wednesday, Thursday
    worked = {dt.date(2031, 10, 4)}  # a Saturday made a working day

    class Calendar:
        def is_workday(self, day: dt.date) -> bool:
            return day in worked or (day.weekday() < 5 and day not in holidays)

        def workdays_between(self, start: dt.date, end: dt.date) -> int:
            if end < start:
                return -self.workdays_between(end, start)
            return sum(self.is_workday(start + dt.timedelta(n)) for n in range(1, (end - start).days + 1))

    received = dt.date(2031, 9, 30)  # Tuesday
    counted = dt.date(2031, 10, 6)  # Fri 3rd, Sat 4th (worked), Mon 6th
    d = count_deadline(received, counted, None, dt.date(2031, 10, 3), Calendar())
    assert d.skipped == (dt.date(2031, 10, 1), dt.date(2031, 10, 2), dt.date(2031, 10, 5))
    assert d.worked_weekends == (dt.date(2031, 10, 4),) and d.left == 2 and d.flag is DeadlineFlag.NONE
    assert d.explanation_zh() == (
        "2031年09月30日收到，自次日起3个工作日，至2031年10月06日"
        "（10月1日（周三）、10月2日（周四）、10月5日（周日）不计；10月4日（周六）调休上班，计入）；还剩2个工作日"
    )
