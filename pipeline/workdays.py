"""Chinese working days, for due dates and the date printed on a reply.

chinesecalendar knows the State Council's holiday arrangement up to the year
it was released for (2026 in 1.11). Later years come from `holidays.toml`,
which an administrator extends each December when the next arrangement is
published. A year known to neither falls back to "Monday to Friday" with a
warning: a due date a day off is better than a service that stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import tomllib
from pathlib import Path

import chinese_calendar

from pipeline.domain.deadlines import DUE_WORKDAYS
from pipeline.errors import ConfigError

log = logging.getLogger("pipeline.workdays")


def _parse_days(year: int, items: list, path: Path, key: str) -> set[dt.date]:
    days: set[dt.date] = set()
    for item in items:
        try:
            if isinstance(item, dt.date):
                days.add(item)
                continue
            text = str(item).strip()
            if ".." in text:
                first, last = (dt.date.fromisoformat(p.strip()) for p in text.split("..", 1))
                if last < first:
                    raise ValueError(text)
                days.update(first + dt.timedelta(n) for n in range((last - first).days + 1))
            else:
                days.add(dt.date.fromisoformat(text))
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{path}: [{year}] {key}: bad date {item!r}",
                f"节假日文件 {path} 中 [{year}] 的 {key} 含有无效日期：{item!r}（应为 2027-01-01 或 2027-02-05..2027-02-11）",
            ) from exc
    wrong = sorted(d for d in days if d.year != year)
    if wrong:
        raise ConfigError(
            f"{path}: [{year}] {key}: dates outside the year {wrong}",
            f"节假日文件 {path} 中 [{year}] 的 {key} 含有不属于 {year} 年的日期：{wrong[0].isoformat()}",
        )
    return days


def load_holiday_file(path: Path | None) -> dict[int, tuple[set[dt.date], set[dt.date]]]:
    """{year: (holidays, adjusted working days)} from the editable TOML file (missing file = empty)."""
    if path is None or not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", f"节假日文件 {path} 格式错误：{exc}") from exc
    years: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    for key, table in data.items():
        if not (str(key).isdigit() and isinstance(table, dict)):
            raise ConfigError(
                f"{path}: unexpected key {key!r}",
                f"节假日文件 {path} 中的 {key!r} 不是年份，例如应写 [2027]。",
            )
        year = int(key)
        holidays = _parse_days(year, list(table.get("holidays", [])), path, "holidays")
        workdays = _parse_days(year, list(table.get("workdays", [])), path, "workdays")
        both = holidays & workdays
        if both:
            raise ConfigError(
                f"{path}: [{year}] days both holiday and workday",
                f"节假日文件 {path} 中 [{year}] 的 {min(both).isoformat()} 同时列为节假日和调休上班日。",
            )
        years[year] = (holidays, workdays)
    return years


class WorkCalendar:
    """Is a day a working day? The holiday file wins over chinesecalendar for the years it lists."""

    def __init__(self, holidays_file: Path | None = None) -> None:
        self.holidays_file = holidays_file
        self._stamp = self._file_stamp()
        self.file_years = load_holiday_file(holidays_file)
        self.unknown_years: set[int] = set()
        self._lock = threading.Lock()
        # chinesecalendar checks its whole table on every call (~20 µs); a queue of 10,000 cases asks
        # about the same few dozen days thousands of times
        self._memo: dict[dt.date, bool] = {}

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.holidays_file.stat() if self.holidays_file else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def refresh(self, holidays_file: Path | None = None) -> bool:
        """Read the holiday file again if it changed (an administrator added next year's holidays),
        or read `holidays_file` when the setting now resolves to another file (the project's own
        holidays.toml created beside the packaged one); True when the arrangement may have changed,
        so open cases' due dates can be counted again."""
        if holidays_file is not None and holidays_file != self.holidays_file:
            self.holidays_file, self._stamp = holidays_file, None
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        years = load_holiday_file(self.holidays_file)
        with self._lock:
            self.file_years, self._stamp = years, stamp
        return True

    def source(self, year: int) -> str:
        """Where this year's arrangement comes from: 'file', 'chinesecalendar' or 'weekends'."""
        if year in self.file_years:
            return "file"
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
            return "chinesecalendar"
        except NotImplementedError:
            return "weekends"

    def is_workday(self, day: dt.date) -> bool:
        if day.year in self.file_years:
            holidays, workdays = self.file_years[day.year]
            if day in workdays:
                return True
            if day in holidays:
                return False
            return day.weekday() < 5
        known = self._memo.get(day)
        if known is not None:
            return known
        try:
            known = self._memo[day] = bool(chinese_calendar.is_workday(day))
            return known
        except NotImplementedError:
            with self._lock:
                if day.year not in self.unknown_years:
                    self.unknown_years.add(day.year)
                    log.warning(
                        "no holiday arrangement for %s (neither chinesecalendar nor %s); "
                        "counting Monday to Friday only",
                        day.year,
                        self.holidays_file,
                    )
            return day.weekday() < 5

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (start itself not counted)."""
        day = start
        left = count
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def due_date(self, received: dt.datetime | dt.date) -> dt.date:
        """The notice's deadline: 3 working days from the day the letter was received."""
        start = received.date() if isinstance(received, dt.datetime) else received
        return self.add_workdays(start, DUE_WORKDAYS)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when end is before start)."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + dt.timedelta(n)))


_default: WorkCalendar | None = None


def calendar_for(holidays_file: Path | None) -> WorkCalendar:
    """A cached calendar for the configured holiday file."""
    global _default
    if _default is None or _default.holidays_file != holidays_file:
        _default = WorkCalendar(holidays_file)
    return _default


def next_workday(day: dt.date, holidays_file: Path | None = None) -> dt.date:
    """The date to print on a reply: `day` when it is a working day, else the next one."""
    return calendar_for(holidays_file).next_workday(day)
