"""异议 (the notice's 二（五）): an objection's chain of steps and the clock of each, in working days.

Provincial office: receipt → apply to 国家公共信用信息中心 for 异议复核 within 3 working days →
the national result (its date of receipt recorded) → tell the unit in writing within 3 working
days of that. City lead department: receipt → tell the unit the review result within 3 working
days. Each clock says how its due date was counted (which days were skipped), and a delay is
only a date agreed after a recorded communication with the unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from pipeline.domain.deadlines import DeadlineFlag, days_between, days_zh, done_flag

CHAIN_WORKDAYS = 3
NATIONAL = "国家公共信用信息中心"


class Level(StrEnum):
    PROVINCE = "province"  # 省信息中心（省信用办）: the national centre reviews
    CITY = "city"  # 市级社会信用体系建设牵头部门: reviews itself

    @property
    def label_zh(self) -> str:
        return {"province": "省信息中心（省信用办）", "city": "市级社会信用体系建设牵头部门"}[self.value]


class Stage(StrEnum):
    LINK = "link"  # which reply it objects to is not known yet: a clerk links it
    APPLY = "apply"  # province: the application to the national centre is due
    RESULT = "result"  # province: waiting for the national centre's result
    NOTIFY = "notify"  # the letter to the unit is due
    DONE = "done"

    @property
    def label_zh(self) -> str:
        return {
            "link": "待关联原查询案件",
            "apply": f"待向{NATIONAL}申请异议复核",
            "result": f"等待{NATIONAL}复核结果",
            "notify": "待书面告知异议申请单位",
            "done": "已办结",
        }[self.value]


class Result(StrEnum):
    UPHELD = "upheld"  # the query result stands
    CHANGED = "changed"  # the result changes for at least one person

    @property
    def label_zh(self) -> str:
        return {"upheld": "维持原查询结果", "changed": "更正查询结果"}[self.value]


class Calendar(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...
    def add_workdays(self, start: dt.date, count: int) -> dt.date: ...


@dataclass(frozen=True, slots=True)
class Delay:
    """A later date agreed with the unit: who was told, when, how, and why."""

    clock: str  # apply | notify
    until: dt.date
    contacted_who: str
    contacted_at: dt.datetime
    how: str  # 电话 / 函件 / 当面 …
    reason: str
    by: str
    at: dt.datetime

    def to_json(self) -> dict:
        return {
            "clock": self.clock, "until": self.until.isoformat(), "contacted_who": self.contacted_who,
            "contacted_at": self.contacted_at.isoformat(timespec="minutes"), "how": self.how,
            "reason": self.reason, "by": self.by, "at": self.at.isoformat(timespec="seconds"),
        }  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> Delay:
        return cls(
            d["clock"], dt.date.fromisoformat(d["until"]), d["contacted_who"],
            dt.datetime.fromisoformat(d["contacted_at"]), d["how"], d["reason"], d["by"],
            dt.datetime.fromisoformat(d["at"]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Clock:
    name_zh: str
    started: dt.date  # the day the clock started (receipt, or the national result's receipt)
    counted: dt.date  # 3 working days on
    due: dt.date  # `counted`, or the date agreed in a delay
    skipped: list[dt.date] = field(default_factory=list)  # days not counted
    done_at: dt.datetime | None = None
    done_by: str | None = None
    delayed: Delay | None = None

    def how_counted_zh(self) -> str:
        days = days_zh(self.skipped)
        line = f"自{self.started:%Y年%m月%d日}起{CHAIN_WORKDAYS}个工作日，至{self.counted:%Y年%m月%d日}"
        line += f"；{days}不计" if days else ""
        if self.delayed:
            d = self.delayed
            line += (
                f"；经{d.contacted_at:%m月%d日}{d.how}与{d.contacted_who}沟通，延期至{d.until:%Y年%m月%d日}"
                f"（{d.reason}，{d.by}）"
            )
        return line

    def flag(self, today: dt.date) -> DeadlineFlag:
        """Done on time or late; else overdue, due today, or nothing (今日到期 is not overdue)."""
        if self.done_at is not None:
            return done_flag(self.done_at.date(), self.due)
        if today > self.due:
            return DeadlineFlag.OVERDUE
        return DeadlineFlag.DUE_TODAY if today == self.due else DeadlineFlag.NONE


def chain_clock(
    calendar: Calendar, name_zh: str, started: dt.date, *, done_at: dt.datetime | None = None,
    done_by: str | None = None, delay: Delay | None = None,
) -> Clock:  # fmt: skip
    due = calendar.add_workdays(started, CHAIN_WORKDAYS)
    skipped = [d for d in days_between(started, due) if not calendar.is_workday(d)]
    return Clock(name_zh, started, due, delay.until if delay else due, skipped, done_at, done_by, delay)


def clocks(
    calendar: Calendar,
    level: Level,
    received_on: dt.date,
    *,
    applied: tuple[dt.datetime, str] | None = None,
    result_received_on: dt.date | None = None,
    notified: tuple[dt.datetime, str] | None = None,
    delays: list[Delay] | None = None,
) -> list[Clock]:
    """The chain's clocks as far as it has got."""
    latest = {d.clock: d for d in delays or []}
    out = []
    if level is Level.PROVINCE:
        out.append(chain_clock(
            calendar, f"向{NATIONAL}申请异议复核", received_on,
            done_at=applied[0] if applied else None, done_by=applied[1] if applied else None,
            delay=latest.get("apply"),
        ))  # fmt: skip
        if result_received_on is None:
            return out
        start = result_received_on
    else:
        start = received_on
    out.append(chain_clock(
        calendar, "书面告知异议申请单位", start,
        done_at=notified[0] if notified else None, done_by=notified[1] if notified else None,
        delay=latest.get("notify"),
    ))  # fmt: skip
    return out
