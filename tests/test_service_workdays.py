from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.workdays import WorkCalendar, load_holiday_file

D = dt.date


def test_due_date_skips_weekends() -> None:
    cal = WorkCalendar(None)
    assert cal.due_date(D(2026, 3, 6)) == D(2026, 3, 11)  # Friday -> Wednesday
    assert cal.due_date(dt.datetime(2026, 3, 7, 9, 30)) == D(2026, 3, 11)  # Saturday counts from Monday


def test_due_date_skips_national_day_and_counts_adjusted_saturday() -> None:
    cal = WorkCalendar(None)
    # 2026: 10月1日–7日 放假, and chinesecalendar knows the adjusted working days around it
    assert not cal.is_workday(D(2026, 10, 1))
    assert cal.due_date(D(2026, 9, 30)) == cal.add_workdays(D(2026, 10, 7), 3)
    assert cal.due_date(D(2026, 9, 30)) > D(2026, 10, 8)


def test_next_workday_is_the_day_itself_or_after() -> None:
    cal = WorkCalendar(None)
    assert cal.next_workday(D(2026, 3, 9)) == D(2026, 3, 9)
    assert cal.next_workday(D(2026, 3, 7)) == D(2026, 3, 9)
    assert cal.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)


def test_unknown_year_falls_back_to_weekends_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar(None)
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        assert cal.due_date(D(2031, 1, 3)) == D(2031, 1, 8)  # Friday -> Wednesday, 1 Jan not known
    assert 2031 in cal.unknown_years
    assert cal.source(2031) == "weekends"
    assert any("2031" in r.getMessage() for r in caplog.records)


def test_holiday_file_supplies_later_years(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        '[2031]\nholidays = ["2031-01-01", "2031-01-20..2031-01-24"]\nworkdays = ["2031-01-26"]\n',
        encoding="utf-8",
    )
    cal = WorkCalendar(path)
    assert cal.source(2031) == "file"
    assert not cal.is_workday(D(2031, 1, 1))
    assert not cal.is_workday(D(2031, 1, 22))
    assert cal.is_workday(D(2031, 1, 26))  # a Sunday worked in lieu
    assert cal.due_date(D(2031, 1, 17)) == D(2031, 1, 28)  # Fri -> (holiday week) Sun 26, Mon 27, Tue 28
    assert cal.unknown_years == set()


def test_shipped_holiday_file_parses(tmp_path: Path) -> None:
    """Regression: this looked one folder above the repo and read the missing file as empty."""
    shipped = Path(__file__).resolve().parents[1] / "holidays.toml"
    text = shipped.read_text(encoding="utf-8")
    assert load_holiday_file(shipped) == {}  # no year is filled in before the State Council publishes it
    # The example an administrator copies must be a valid section once uncommented.
    example = "\n".join(
        line[2:] for line in text.splitlines() if line.startswith(("# [", "# holidays", "# workdays"))
    )
    copied = tmp_path / "holidays.toml"
    copied.write_text(example + "\n", encoding="utf-8")
    holidays, workdays = load_holiday_file(copied)[2027]
    assert D(2027, 2, 8) in holidays and D(2027, 10, 1) in holidays and D(2027, 2, 14) in workdays
    cal = WorkCalendar(copied)
    assert cal.source(2027) != cal.source(2031) and not cal.is_workday(D(2027, 2, 8))


@pytest.mark.parametrize(
    "text",
    [
        '[2031]\nholidays = ["2031-02-30"]\n',
        '[2031]\nholidays = ["2032-01-01"]\n',
        '[2031]\nholidays = ["2031-01-01"]\nworkdays = ["2031-01-01"]\n',
        "[next]\nholidays = []\n",
        "[2031\n",
    ],
)
def test_bad_holiday_file_is_a_clear_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        WorkCalendar(path)
    assert "节假日文件" in err.value.message_zh
