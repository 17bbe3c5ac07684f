"""What a case has been, and the second review that follows from it.

A maker-checker rule that looks only at the case as it is after the last edit can be walked
around by the edit: a clerk "corrects" the ID of a listed civil-servant candidate to another valid
number, or changes 查询类别 to 事业单位聘用, and the fresh check no longer asks for anyone else. So
the rule is decided from history, which no edit lowers:

- a person was once found listed, possibly listed, or listed under another name (`ever_hit`);
- the query was once a civil-servant one (`ever_civil_servant`);
- a correction changed a person's name or ID, the kind, the roster (a row added or deleted) or
  a verdict (`fixes`, each with who, when, before and after).

With a hit or a civil-servant kind in the past, any such fix means a second person — a 复核
account that made none of the fixes — approves before any reply goes out, and every reply in
which a name, an ID or the kind was changed is drawn for 抽查抽检.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pipeline.domain.decision import record_from_json
from pipeline.domain.letter import Kind, Letter
from pipeline.domain.result import CheckOutcome, Verdict
from pipeline.privacy import mask_id, mask_ids_in

HIT_VERDICTS = (Verdict.LISTED, Verdict.POSSIBLE, Verdict.NAME_MISMATCH)
_HIT_VALUES = frozenset(v.value for v in HIT_VERDICTS)  # as a stored check spells them


class FixKind(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"
    KIND = "kind"
    ADD = "add"
    DELETE = "delete"
    VERDICT = "verdict"
    UNIT = "unit"
    DOC_NUMBER = "doc_number"
    DATE = "date"
    ADDRESSEE = "addressee"

    @property
    def label_zh(self) -> str:
        return {
            "name": "姓名",
            "id_number": "身份证号码",
            "kind": "查询类别",
            "add": "增加人员",
            "delete": "删除人员",
            "verdict": "核查结论",
            "unit": "来函单位",
            "doc_number": "来函文号",
            "date": "来函日期",
            "addressee": "主送单位",
        }[self.value]

    @property
    def sensitive(self) -> bool:
        """Changes who is answered, or what: after a hit or on a civil-servant query, a second person."""
        return self in SENSITIVE

    @property
    def identity(self) -> bool:
        """Changes who or what is answered: such a reply is always drawn for 抽查抽检."""
        return self in (FixKind.NAME, FixKind.ID_NUMBER, FixKind.KIND)


SENSITIVE = frozenset(
    {FixKind.NAME, FixKind.ID_NUMBER, FixKind.KIND, FixKind.ADD, FixKind.DELETE, FixKind.VERDICT}
)
REVERTIBLE = frozenset(
    {FixKind.NAME, FixKind.ID_NUMBER, FixKind.KIND, FixKind.UNIT, FixKind.DOC_NUMBER, FixKind.DATE,
     FixKind.ADDRESSEE}
)  # fmt: skip
LETTER_FIELDS = (FixKind.KIND, FixKind.UNIT, FixKind.DOC_NUMBER, FixKind.DATE, FixKind.ADDRESSEE)


def _current(letter: Letter, what: FixKind, seq: int | None) -> str | None:
    """The letter's value now for a revertible fix's field (None: the row is gone)."""
    if seq is None:
        value = getattr(letter, what.value)
        return "" if value is None else str(value)
    if not 1 <= seq <= len(letter.people):
        return None
    person = letter.people[seq - 1]
    return person.name if what == FixKind.NAME else person.id_number


@dataclass(frozen=True, slots=True)
class Fix:
    """One correction that matters to the second review: what changed, from what to what, by whom."""

    what: FixKind
    seq: int | None  # the roster position as the person saw it (None: the letter's kind)
    before: str
    after: str
    by: str
    at: str  # ISO time
    found: str = ""  # what the check had found for this person before the fix (verdict, records)

    def describe_value(self, value: str) -> str:
        """One side of the fix as a person reads it, in full (for an audited view of the case)."""
        if self.what == FixKind.KIND:
            try:
                return Kind(value).label_zh
            except ValueError:
                return value or "（未识别）"
        return value or "（空）"

    def describe_zh(self, *, masked: bool = True) -> str:
        """A line for the reviewer and the audit log: IDs masked unless the reader may see them."""

        def show(value: str) -> str:
            if self.what == FixKind.ID_NUMBER and masked:
                return mask_id(value) if value else "（空）"
            if masked and self.what in (FixKind.ADD, FixKind.DELETE):
                return mask_ids_in(value) or "（空）"
            return self.describe_value(value)

        who = f"第{self.seq}人" if self.seq is not None else "来函"
        found = f"；更正前核查：{self.found}" if self.found else ""
        if masked and self.what == FixKind.ID_NUMBER and show(self.before) == show(self.after):
            found += "；改动在隐藏的号码位中，请在案件页面对照完整号码"
        return (
            f"{who}{self.what.label_zh}：{show(self.before)} → {show(self.after)}"
            f"（{self.by}，{self.at[:16]}{found}）"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what.value,
            "seq": self.seq,
            "before": self.before,
            "after": self.after,
            "by": self.by,
            "at": self.at,
            "found": self.found,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        return cls(
            FixKind(data["what"]), data.get("seq"), data.get("before") or "", data.get("after") or "",
            data["by"], data["at"], data.get("found") or "",
        )  # fmt: skip


def _hit(outcome: CheckOutcome | None) -> bool:
    return outcome is not None and any(
        r.verdict in HIT_VERDICTS or (r.decided is not None and r.decided.was in HIT_VERDICTS)
        for r in outcome.results
    )


def stored_hit(check_json: dict[str, Any] | None) -> bool:
    """A stored check (pipeline.checking.outcome_to_json) that found anyone listed or possibly listed."""
    return any(
        r.get("verdict") in _HIT_VALUES or (r.get("decided") or {}).get("was") in _HIT_VALUES
        for r in (check_json or {}).get("results", []) or []
    )


@dataclass(frozen=True, slots=True)
class CaseHistory:
    ever_hit: bool = False
    ever_civil_servant: bool = False
    fixes: tuple[Fix, ...] = ()

    def observe(self, letter: Letter | None, outcome: CheckOutcome | None) -> CaseHistory:
        """This history with what a letter and a check show now (flags only ever rise)."""
        return dataclasses.replace(
            self,
            ever_hit=self.ever_hit or _hit(outcome),
            ever_civil_servant=self.ever_civil_servant
            or (letter is not None and letter.kind == Kind.CIVIL_SERVANT),
        )

    def with_fixes(self, fixes: list[Fix]) -> CaseHistory:
        return dataclasses.replace(self, fixes=(*self.fixes, *fixes))

    def open_fixes(self, letter: Letter) -> list[Fix]:
        """The fixes still in effect: a name, an ID or a letter field that a later correction put back
        to what the letter was read as is closed (a reviewer undoing a clerk's change leaves nothing
        to review); rows added or deleted and verdicts decided stay open."""
        first: dict[tuple[FixKind, int | None], Fix] = {}
        later: dict[tuple[FixKind, int | None], list[Fix]] = {}
        rows_moved = False
        result: list[Fix] = []
        for f in self.fixes:
            if f.what not in REVERTIBLE:
                result.append(f)
                rows_moved = rows_moved or f.what in (FixKind.ADD, FixKind.DELETE)
                continue
            key = (f.what, f.seq)
            first.setdefault(key, f)
            later.setdefault(key, []).append(f)
        for key, f in first.items():
            if rows_moved and f.seq is not None:
                result.extend(later[key])  # positions moved: a put-back cannot be told apart
            elif _current(letter, f.what, f.seq) != f.before:
                result.extend(later[key])
        return result

    def marked(self, letter: Letter) -> list[tuple[Fix, bool]]:
        """Every fix, with whether it is still in effect (open_fixes), in the order they were made."""
        open_ids = {id(f) for f in self.open_fixes(letter)}
        return [(f, id(f) in open_ids) for f in self.fixes]

    def correctors(self, letter: Letter) -> set[str]:
        """Who made a change that is still in effect."""
        return {f.by for f in self.open_fixes(letter)}

    def needs_second_person(self, letter: Letter) -> bool:
        """A case that had a hit or was a civil-servant query, changed by a correction in effect."""
        return (self.ever_hit or self.ever_civil_servant) and any(
            f.what.sensitive for f in self.open_fixes(letter)
        )

    @property
    def identity_changed(self) -> bool:
        """A name, an ID or the kind was corrected: the reply is drawn for 抽查抽检."""
        return any(f.what.identity for f in self.fixes)


def fixes_between(
    before: list[tuple[int, str, str]],
    before_fields: dict[FixKind, str],
    letter: Letter,
    *,
    by: str,
    at: str,
) -> list[Fix]:
    """The fixes that turned `before` (each person's object id, name and ID, in roster order) and
    `before_fields` (letter_fields_of) into `letter`: people are followed by identity, so deletes and
    adds are seen as such."""
    fixes: list[Fix] = []
    for what in LETTER_FIELDS:
        was, now_value = before_fields.get(what, ""), _current(letter, what, None) or ""
        if was != now_value:
            fixes.append(Fix(what, None, was, now_value, by, at))
    now = {id(p): p for p in letter.people}
    for seq, (key, name, number) in enumerate(before, 1):
        person = now.get(key)
        if person is None:
            fixes.append(Fix(FixKind.DELETE, seq, f"{name}（{number}）", "", by, at))
            continue
        if person.name != name:
            fixes.append(Fix(FixKind.NAME, seq, name, person.name, by, at))
        if person.id_number != number:
            fixes.append(Fix(FixKind.ID_NUMBER, seq, number, person.id_number, by, at))
    known = {key for key, _, _ in before}
    for seq, person in enumerate(letter.people, 1):
        if id(person) not in known:
            fixes.append(Fix(FixKind.ADD, seq, "", f"{person.name}（{person.id_number}）", by, at))
    return fixes


def letter_fields_of(letter: Letter) -> dict[FixKind, str]:
    """The letter-level values fixes_between compares against."""
    return {what: _current(letter, what, None) or "" for what in LETTER_FIELDS}


def found_before(check_json: dict[str, Any] | None) -> dict[int, str]:
    """Per roster position, what a stored check found for a hit (its verdict and the records matched),
    so the reviewer sees a corrected person beside the record the original reading met."""
    found: dict[int, str] = {}
    for r in (check_json or {}).get("results", []) or []:
        verdict = r.get("verdict")
        was = (r.get("decided") or {}).get("was")
        if verdict not in _HIT_VALUES and was is None:
            continue
        records = "、".join(record_from_json(x).label_zh() for x in r.get("records") or [])
        label = Verdict(was or verdict).label_zh
        found[int(r.get("seq") or 0)] = f"{label}" + (f"，名单记录：{records}" if records else "")
    return found


def with_found(fixes: list[Fix], found: dict[int, str]) -> list[Fix]:
    """The fixes with what the check had found for their person before."""
    return [dataclasses.replace(f, found=found.get(f.seq, "")) if f.seq is not None else f for f in fixes]


def roster_of(letter: Letter) -> list[tuple[int, str, str]]:
    """What fixes_between compares against: taken before a correction is applied."""
    return [(id(p), p.name, p.id_number) for p in letter.people]


def verdict_fix(seq: int, name: str, was: Verdict, now: Verdict, by: str, at: str) -> Fix:
    return Fix(FixKind.VERDICT, seq, f"{name}：{was.label_zh}", f"{name}：{now.label_zh}", by, at)
