"""A named person's decision on a verdict the check cannot settle (possible, name_mismatch).

The check only ever says `listed` for an exact 18-digit ID under the same
name. When only a masked record fits, or the ID is listed under another name,
a clerk looks at the records and decides. The decision is tied to the
records it was made on: it settles the verdict again at every re-check, but
only while the same person (name and ID) still meets the very same records;
once a list is re-imported or the person is corrected, it no longer applies
and the case waits for a person again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.domain.result import CheckOutcome, PersonResult, RecordRef, Verdict
from pipeline.privacy import mask_id

DECIDABLE = (Verdict.POSSIBLE, Verdict.NAME_MISMATCH)  # only these wait for a person's decision
DECISIONS = (Verdict.CLEAR, Verdict.LISTED)
DECISION_ZH = {Verdict.CLEAR: "不属于失信联合惩戒对象", Verdict.LISTED: "属于失信联合惩戒对象"}


@dataclass(frozen=True, slots=True)
class ManualDecision:
    seq: int  # 1-based position in the roster
    name: str
    id_number: str
    was: Verdict  # the check's verdict the decision settles: possible | name_mismatch
    verdict: Verdict  # clear | listed
    records: tuple[RecordRef, ...]  # the records the person looked at
    lists: tuple[str, ...]  # 名单类别 / list names of those records (named on a reply for listed)
    by: str
    at: dt.datetime

    def describe_zh(self) -> str:
        """One line for the audit log and the review screen (ID masked)."""
        records = "、".join(r.label_zh() for r in self.records) or "无"
        return (
            f"第{self.seq}人（{self.name}，{mask_id(self.id_number)}）人工核实为{DECISION_ZH[self.verdict]}"
            f"（原核查结论：{self.was.label_zh}；依据名单记录：{records}）"
        )


def decide(result: PersonResult, verdict: Verdict, by: str, at: dt.datetime) -> ManualDecision:
    """A decision on one person's fresh verdict. ValueError when that verdict is not a person's to settle."""
    if verdict not in DECISIONS:
        raise ValueError(f"a decision is clear or listed, not {verdict}")
    if result.verdict not in DECIDABLE:
        raise ValueError(f"verdict {result.verdict} is not decided by a person")
    return ManualDecision(
        seq=result.seq,
        name=result.name,
        id_number=result.id_number,
        was=result.verdict,
        verdict=verdict,
        records=tuple(result.records),
        lists=tuple(result.lists),
        by=by,
        at=at,
    )


def still_applies(decision: ManualDecision, result: PersonResult) -> bool:
    """Same person, same undecided verdict, resting on exactly the same records."""
    return (
        result.seq == decision.seq
        and result.verdict == decision.was
        and result.name == decision.name
        and result.id_number == decision.id_number
        and set(result.records) == set(decision.records)
    )


def apply_decisions(
    outcome: CheckOutcome, decisions: Iterable[ManualDecision]
) -> tuple[CheckOutcome, list[ManualDecision]]:
    """The outcome with every applicable decision in place, and the decisions that no longer apply.

    `decisions` come oldest first: the latest one per person counts. Only a
    possible/name_mismatch verdict is ever replaced; listed and clear verdicts
    are the check's own and stay as they are.
    """
    latest = {d.seq: d for d in decisions}
    results: list[PersonResult] = []
    dropped: list[ManualDecision] = []
    for r in outcome.results:
        d = latest.get(r.seq)
        if d is None:
            results.append(r)
        elif still_applies(d, r):
            results.append(dataclasses.replace(r, verdict=d.verdict, lists=list(d.lists), decided=d))
        else:
            dropped.append(d)
            results.append(r)
    return dataclasses.replace(outcome, results=results), dropped


def record_to_json(ref: RecordRef) -> dict[str, Any]:
    return {
        "snapshot_id": ref.snapshot_id,
        "record_id": ref.record_id,
        "list_name": ref.list_name,
        "line": ref.line,
    }


def record_from_json(data: dict[str, Any]) -> RecordRef:
    return RecordRef(int(data["snapshot_id"]), int(data["record_id"]), data["list_name"], int(data["line"]))


def decision_to_json(d: ManualDecision) -> dict[str, Any]:
    return {
        "seq": d.seq,
        "name": d.name,
        "id_number": d.id_number,
        "was": d.was.value,
        "verdict": d.verdict.value,
        "records": [record_to_json(r) for r in d.records],
        "lists": list(d.lists),
        "by": d.by,
        "at": d.at.isoformat(timespec="seconds"),
    }


def decision_from_json(data: dict[str, Any]) -> ManualDecision:
    return ManualDecision(
        seq=int(data["seq"]),
        name=data["name"],
        id_number=data["id_number"],
        was=Verdict(data["was"]),
        verdict=Verdict(data["verdict"]),
        records=tuple(record_from_json(r) for r in data["records"]),
        lists=tuple(data["lists"]),
        by=data["by"],
        at=dt.datetime.fromisoformat(data["at"]),
    )
