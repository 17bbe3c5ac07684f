"""Pure matching rules: is a record in force, does a masked ID fit a full one."""

from __future__ import annotations

import datetime as dt


def in_force(listed_on: dt.date | None, removed_on: dt.date | None, day: dt.date) -> bool:
    """列入日期 on or before the day (unknown counts as listed) and 移出日期 empty or later."""
    if listed_on is not None and listed_on > day:
        return False
    return removed_on is None or removed_on > day


def masked_fits(masked: str, full: str) -> bool:
    """6101021990****1234 fits 610102199001011234: every visible character agrees."""
    if len(masked) != len(full):
        return False
    return all(m == "*" or m == f for m, f in zip(masked, full, strict=True))
