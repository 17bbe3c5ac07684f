"""Where a case or an objection stands against its deadline: one vocabulary, one label table.

Every screen, command and count compares these values, never their Chinese labels, so rewording a
label changes what a clerk reads and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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
    def is_workday(self, day: dt.date) -> bool: ...


WEEKDAY_ZH = "一二三四五六日"
DUE_WORKDAYS = 3  # the notice: 接到查询申请公文起3个工作日内


@dataclass(frozen=True, slots=True)
class Delay:
    until: dt.date
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """The due date in force and how it was counted, in the words the notice uses: the case page
    shows it, the queue puts it in a tooltip."""

    received: dt.date
    counted: dt.date  # 3 working days from receipt
    skipped: tuple[dt.date, ...]  # days in between not counted (weekends, holidays)
    worked_weekends: tuple[dt.date, ...]  # weekend days in between that were working days (调休)
    delay: Delay | None  # agreed with the sender (延期), the latest agreement
    left: int  # working days from today to the due date; negative: overdue
    flag: DeadlineFlag

    @property
    def due(self) -> dt.date:
        return self.delay.until if self.delay else self.counted

    def explanation_zh(self) -> str:
        line = (
            f"{self.received:%Y年%m月%d日}收到，自次日起{DUE_WORKDAYS}个工作日，至{self.counted:%Y年%m月%d日}"
        )
        if self.skipped:
            line += f"（{days_zh(self.skipped)}不计"
            line += f"；{days_zh(self.worked_weekends)}调休上班，计入）" if self.worked_weekends else "）"
        elif self.worked_weekends:
            line += f"（{days_zh(self.worked_weekends)}调休上班，计入）"
        if self.delay:
            d = self.delay
            line += f"；经与来函单位沟通延期至{d.until:%Y年%m月%d日}（{d.reason}，{d.by}）"
        if self.flag is DeadlineFlag.OVERDUE:
            return line + f"；已超期{-self.left}个工作日" if self.left < 0 else line + "；已超期"
        if self.flag is DeadlineFlag.DUE_TODAY:
            return line + "；今日到期（今日办结不算超期）"
        return line + f"；还剩{self.left}个工作日"


def days_zh(days: Sequence[dt.date]) -> str:
    """10月1日（周三）、10月2日（周四）: days as a clerk reads them in an explanation."""
    return "、".join(f"{d.month}月{d.day}日（周{WEEKDAY_ZH[d.weekday()]}）" for d in days)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days after `start` and before `end`: where a count of working days may skip some."""
    return [start + dt.timedelta(n) for n in range(1, (end - start).days)]


def count_deadline(
    received: dt.date, counted: dt.date, delay: Delay | None, today: dt.date, calendar: WorkdayCounter
) -> Deadline:
    """How the office's answer to a letter received on `received` is due, seen on `today`."""
    between = days_between(received, counted)
    due = delay.until if delay else counted
    return Deadline(
        received=received,
        counted=counted,
        skipped=tuple(d for d in between if not calendar.is_workday(d)),
        worked_weekends=tuple(d for d in between if d.weekday() >= 5 and calendar.is_workday(d)),
        delay=delay,
        left=calendar.workdays_between(today, due),
        flag=open_flag(due, today, calendar),
    )


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
