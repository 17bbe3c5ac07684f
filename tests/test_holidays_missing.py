"""A reply is never dated in a year whose holidays nobody entered (2027 Spring Festival, 2031 National Day).

Found trying the service: with no arrangement for the year, the calendar counted
Monday to Friday and only logged a warning, so a reply could be dated on a public
holiday and its deadline miscounted. Now the case waits, and `letters status`
warns from December on when next year is missing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.cases.handling import reasons_now
from pipeline.cases.listing import status
from pipeline.cases.reasons import HOLIDAYS_MISSING
from pipeline.domain.reasons import texts
from pipeline.domain.result import CheckOutcome, PersonResult, Verdict
from pipeline.extraction import extract
from pipeline.settings import Settings
from pipeline.storage import open_database
from pipeline.workdays import WorkCalendar
from tests.builders.model_builder import build_document
from tests.builders.spec import LetterSpec

pytestmark = pytest.mark.unknown_holidays

FAR = dt.date(2031, 10, 8)  # a year no calendar knows


def clean(letter) -> CheckOutcome:
    people = [PersonResult(i, p.name, p.id_number, Verdict.CLEAR) for i, p in enumerate(letter.people, 1)]
    return CheckOutcome(dt.datetime(2031, 10, 8, 9), people, [])


def test_reply_in_a_year_without_holiday_arrangement_waits(tmp_path: Path) -> None:
    letter = extract(build_document(LetterSpec()), today=FAR)
    office = Settings(base_dir=tmp_path)
    reasons = texts(reasons_now(letter, clean(letter), office, dt.datetime.combine(FAR, dt.time(9))))
    assert f"{HOLIDAYS_MISSING}（2031年）" in reasons
    # Once the administrator enters the year, the same letter is answered.
    (tmp_path / "holidays.toml").write_text(
        '[2031]\nholidays = ["2031-10-01..2031-10-07"]\n', encoding="utf-8"
    )
    assert texts(reasons_now(letter, clean(letter), office, dt.datetime.combine(FAR, dt.time(9)))) == []


def test_a_known_year_needs_nothing(tmp_path: Path) -> None:
    today = dt.date(2026, 6, 4)
    letter = extract(build_document(LetterSpec()), today=today)
    assert (
        reasons_now(
            letter, clean(letter), Settings(base_dir=tmp_path), dt.datetime.combine(today, dt.time(9))
        )
        == []
    )


@pytest.mark.parametrize(("today", "warned"), [(dt.date(2026, 12, 1), True), (dt.date(2026, 11, 30), False)])
def test_status_warns_from_december_when_next_year_is_missing(
    tmp_path: Path, today: dt.date, warned: bool
) -> None:
    db = open_database(Settings(base_dir=tmp_path))
    try:
        calendar = WorkCalendar(None)
        assert calendar.source(2027) == "weekends"  # chinesecalendar 1.11 stops at 2026
        with db.sessions() as session:
            st = status(session, calendar, 7, today=today)
    finally:
        db.dispose()
    assert (2027 in st.unknown_years) is warned


def test_letter_processed_in_an_unknown_year_waits_and_uses_no_number(tmp_path: Path) -> None:
    from tests.test_process import REPO, WANG, letter_file, load_list

    office = Settings(base_dir=tmp_path, templates=REPO / "letter_templates")
    db = open_database(office)
    try:
        now = dt.datetime(2031, 10, 8, 10, 0)
        load_list(
            db,
            office,
            [["王伟", WANG, "失信被执行人", "法院", "(2020)陕01执1号", "2020-01-02", ""]],
            imported=now,
        )
        from pipeline.cases.named import process_named
        from pipeline.storage.models import CaseState
        from pipeline.storage.numbers import allocated_numbers

        result = process_named(
            letter_file(tmp_path, kind="public_institution"), office, db, clock=lambda: now
        )
        assert result.state == CaseState.WAITING_REVIEW
        assert f"{HOLIDAYS_MISSING}（2031年）" in texts(result.reasons)
        with db.sessions() as session:
            assert allocated_numbers(session, "陕信用函", 2031) == []
    finally:
        db.dispose()
