"""Where a case or an objection stands against its deadline: one vocabulary, one label table.

Every screen, command and count compares these values, never their Chinese labels, so rewording a
label changes what a clerk reads and nothing else.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol


class DeadlineFlag(StrEnum):
    NONE = ""  # nothing to flag: time enough, or nothing owed
    DUE_SOON = "due_soon"  # due on the next working day
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"

    @property
    def label_zh(self) -> str:
        return _LABELS[self]

    @property
    def late(self) -> bool:
        """Shown in the warning colour: past the date, whether or not it is done now."""
        return self in (DeadlineFlag.OVERDUE, DeadlineFlag.DONE_LATE)

    @property
    def due_soon(self) -> bool:
        """Counted among 即将到期: today or the next working day, still open."""
        return self in (DeadlineFlag.DUE_SOON, DeadlineFlag.DUE_TODAY)

    def __bool__(self) -> bool:
        return self is not DeadlineFlag.NONE


_LABELS = {
    DeadlineFlag.NONE: "",
    DeadlineFlag.DUE_SOON: "即将到期",
    DeadlineFlag.DUE_TODAY: "今日到期",
    DeadlineFlag.OVERDUE: "已超期",
    DeadlineFlag.DONE_ON_TIME: "已按时完成",
    DeadlineFlag.DONE_LATE: "逾期完成",
}


class WorkdayCounter(Protocol):
    def workdays_between(self, start: dt.date, end: dt.date) -> int: ...


def open_flag(due: dt.date, today: dt.date, calendar: WorkdayCounter) -> DeadlineFlag:
    """An answer still owed by `due`: overdue, due today, due on the next working day, or none."""
    if today > due:
        return DeadlineFlag.OVERDUE
    if today == due:
        return DeadlineFlag.DUE_TODAY
    if calendar.workdays_between(today, due) <= 1:
        return DeadlineFlag.DUE_SOON
    return DeadlineFlag.NONE


def done_flag(done_on: dt.date, due: dt.date) -> DeadlineFlag:
    """A step finished on `done_on`: on time or late."""
    return DeadlineFlag.DONE_ON_TIME if done_on <= due else DeadlineFlag.DONE_LATE
