"""A report's period: a month (2026-11), a quarter (2026Q4) or a year (2026)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.errors import UsageError

_QUARTER_ZH = "一二三四"


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date  # first day
    end: dt.date  # day after the last
    label_zh: str  # 2026年11月 · 2026年第四季度 · 2026年
    key: str  # 2026-11 · 2026Q4 · 2026 (file names)

    def contains(self, moment: dt.datetime | dt.date) -> bool:
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return self.start <= day < self.end

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time())

    def previous(self) -> Period:
        """The period before, of the same kind (the month, quarter or year before), for comparison."""
        if m := re.fullmatch(r"(\d{4})-(\d{2})", self.key):
            year, month = int(m[1]), int(m[2])
            return parse_period(f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}")
        if m := re.fullmatch(r"(\d{4})Q([1-4])", self.key):
            year, q = int(m[1]), int(m[2])
            return parse_period(f"{year - (q == 1)}Q{(q - 2) % 4 + 1}")
        if re.fullmatch(r"\d{4}", self.key):
            return parse_period(str(int(self.key) - 1))
        length = self.end - self.start
        return Period(self.start - length, self.start, "上期", f"{self.key}-before")


def parse_period(text: str) -> Period:
    raw = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            end = dt.date(year + (month == 12), month % 12 + 1, 1)
            return Period(dt.date(year, month, 1), end, f"{year}年{month}月", f"{year}-{month:02d}")
    elif m := re.fullmatch(r"(\d{4})Q([1-4])", raw):
        year, q = int(m[1]), int(m[2])
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return Period(start, end, f"{year}年第{_QUARTER_ZH[q - 1]}季度", f"{year}Q{q}")
    elif m := re.fullmatch(r"\d{4}", raw):
        year = int(raw)
        return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), f"{year}年", str(year))
    raise UsageError(
        f"bad period {text!r}",
        f"统计期间格式无效：{text}（应写作 2026-11 表示月、2026Q4 表示季度、2026 表示年）",
    )
