"""Check results: what the office may say about one person, and no more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.domain.decision import ManualDecision


NOT_CHECKED_ZH = "身份证号码有误，未予查询"


class Verdict(StrEnum):
    LISTED = "listed"  # exact 18-digit ID on a record in force at the check time
    CLEAR = "clear"  # no record in force
    NAME_MISMATCH = "name_mismatch"  # ID listed, but under another name: a person must look
    POSSIBLE = "possible"  # only a masked record matches name + visible digits: a person must look
    NOT_CHECKED = "not_checked"  # the ID is wrong and a named person decided to answer 未予查询

    @property
    def label_zh(self) -> str:
        """How a verdict is shown to clerks (never printed on a reply)."""
        return {
            "listed": "失信联合惩戒对象",
            "clear": "未列入",
            "name_mismatch": "号码在名单中但姓名不同",
            "possible": "可能匹配（脱敏记录）",
            "not_checked": NOT_CHECKED_ZH,
        }[self.value]


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    """Which snapshot of which list a check consulted."""

    list_name: str
    snapshot_id: int
    imported_at: dt.datetime
    row_count: int


@dataclass(frozen=True, slots=True)
class RecordRef:
    """One list record a verdict rests on. Record rows are replaced by every import of their list,
    so the same (snapshot, record) pair means the very same record as when it was looked at."""

    snapshot_id: int
    record_id: int
    list_name: str
    line: int  # line (CSV) or row (XLSX) in the imported file

    def label_zh(self) -> str:
        return f"{self.list_name}（快照{self.snapshot_id}）第{self.line}行"


@dataclass(slots=True)
class PersonResult:
    seq: int  # 1-based position in the roster
    name: str
    id_number: str
    verdict: Verdict
    lists: list[str] = field(default_factory=list)  # 名单类别 / list names that hold the person
    records: list[RecordRef] = field(default_factory=list)  # the records the verdict rests on
    decided: ManualDecision | None = None  # a named person's decision that settled this verdict

    def result_text_zh(self) -> str:
        """The only thing a reply may say about a person (the notice forbids any other credit information)."""
        if self.verdict == Verdict.LISTED:
            which = "、".join(dict.fromkeys(self.lists))
            return f"属于失信联合惩戒对象（{which}）" if which else "属于失信联合惩戒对象"
        if self.verdict == Verdict.CLEAR:
            return "不属于失信联合惩戒对象"
        if self.verdict == Verdict.NOT_CHECKED:
            return NOT_CHECKED_ZH
        return "待人工复核"


@dataclass(slots=True)
class CheckOutcome:
    checked_at: dt.datetime
    results: list[PersonResult]
    snapshots: list[SnapshotRef]
    problems: list[str] = field(default_factory=list)  # e.g. 失信名单未导入或已过期 (Chinese, blocking)

    @property
    def hits(self) -> list[PersonResult]:
        return [r for r in self.results if r.verdict == Verdict.LISTED]

    @property
    def needs_person(self) -> list[PersonResult]:
        return [r for r in self.results if r.verdict in (Verdict.NAME_MISMATCH, Verdict.POSSIBLE)]
