"""Why a letter waits for a person, as data: a code, the person it concerns, and its Chinese text.

What settles a reason is decided by its code alone (`ReasonCode.settled_by`),
so rewording a message never changes who may approve what. Letter-level
problems carry their code from the check that found them (`Problem`, a str
that remembers its code, so the extraction contract still reads plain text).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Settle(StrEnum):
    """What makes a reason go away."""

    APPROVAL = "approval"  # a named person approves (compared with the original, second review)
    CONFIRMATION = "confirmation"  # a named person confirms this very problem, audited
    COMPARISON = "comparison"  # a scan: each field and row compared with the original (domain.comparison)
    CORRECTION = "correction"  # a field must be corrected (or, for an ID, answered 未予查询)
    DECISION = "decision"  # a named person decides the verdict (N.result=clear|listed)
    ADMINISTRATOR = "administrator"  # lists, holidays: fixed by an administrator, then re-checked

    @property
    def label_zh(self) -> str:
        """What a clerk does about it, in the words every screen uses."""
        return {
            "approval": "复核批准",
            "confirmation": "核实后确认",
            "comparison": "对照原件逐项核对",
            "correction": "更正",
            "decision": "人工核实结论",
            "administrator": "管理员处理",
        }[self.value]


class ReasonCode(StrEnum):
    # letter level
    NO_KIND = "no_kind"
    NO_UNIT = "no_unit"
    NO_DATE = "no_date"
    NO_PEOPLE = "no_people"
    SAME_ID_OTHER_NAME = "same_id_other_name"
    COUNT_MISMATCH = "count_mismatch"
    SEQ_GAP = "seq_gap"
    DOCUMENT = "document"  # found by the reader (e.g. a value cut by markup): no field fixes it
    SCAN_CONFIRM = "scan_confirm"  # a scan's fields and rows not yet compared with the original
    # person level
    NAME_INVALID = "name_invalid"
    ID_INVALID = "id_invalid"
    PERSON_CONFIRM = "person_confirm"  # a doubtful read or an OCR repair: compare with the original
    # check level
    LISTS = "lists"  # a list missing, empty or stale
    HOLIDAYS_MISSING = "holidays_missing"
    NAME_MISMATCH = "name_mismatch"
    POSSIBLE = "possible"
    DECISION_STALE = "decision_stale"  # the records a decision rested on changed
    SECOND_REVIEW = "second_review"  # a hit on a civil-servant query: 二次复审, by someone else
    CORRECTED_HIT = "corrected_hit"  # a case once with a hit or civil-servant, changed by a correction
    RELEASE = "release"  # settled in the console: waits until a person has seen the reply and sends it
    CORRECTION_LETTER = "correction_letter"  # a spot check found an error in the reply: a 更正函 is owed

    @property
    def settled_by(self) -> Settle:
        return _SETTLED_BY.get(self, Settle.CORRECTION)

    @property
    def needs_second_person(self) -> bool:
        """Approval must come from someone other than whoever corrected or decided the case."""
        return self in (ReasonCode.SECOND_REVIEW, ReasonCode.CORRECTED_HIT)


_SETTLED_BY = {
    ReasonCode.SCAN_CONFIRM: Settle.COMPARISON,
    ReasonCode.PERSON_CONFIRM: Settle.APPROVAL,
    ReasonCode.SECOND_REVIEW: Settle.APPROVAL,
    ReasonCode.CORRECTED_HIT: Settle.APPROVAL,
    ReasonCode.RELEASE: Settle.APPROVAL,
    ReasonCode.CORRECTION_LETTER: Settle.APPROVAL,
    ReasonCode.COUNT_MISMATCH: Settle.CONFIRMATION,
    ReasonCode.SEQ_GAP: Settle.CONFIRMATION,
    ReasonCode.DOCUMENT: Settle.CONFIRMATION,
    ReasonCode.NAME_MISMATCH: Settle.DECISION,
    ReasonCode.POSSIBLE: Settle.DECISION,
    ReasonCode.DECISION_STALE: Settle.DECISION,
    ReasonCode.LISTS: Settle.ADMINISTRATOR,
    ReasonCode.HOLIDAYS_MISSING: Settle.ADMINISTRATOR,
}


class Problem(str):
    """A blocking problem's Chinese text that remembers which check found it, and what it found.

    `key` is the finding as data (共4人 stated, 3 listed: "4/3"), so a confirmation outlives a
    rewording of the text and still never covers a different finding; without one, the text is
    the finding."""

    code: ReasonCode
    key: str

    def __new__(cls, text: str, code: ReasonCode, key: str | None = None) -> Problem:
        self = super().__new__(cls, text)
        self.code = ReasonCode(code)
        self.key = text if key is None else key
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, (str(self), self.code, self.key))


def code_of(problem: str, default: ReasonCode = ReasonCode.DOCUMENT) -> ReasonCode:
    """A plain string (from a reader, or stored before codes existed) counts as `default`."""
    return problem.code if isinstance(problem, Problem) else default


def key_of(problem: str) -> str:
    """What the problem found, as data (a plain string: its text)."""
    return problem.key if isinstance(problem, Problem) else str(problem)


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    text: str  # Chinese, for the clerk: with the person's number and name when it concerns one
    seq: int | None = None  # 1-based roster position of the person it concerns

    @property
    def settled_by(self) -> Settle:
        return self.code.settled_by

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code.value, "seq": self.seq, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> Reason:
        if isinstance(data, str):  # stored before reasons were typed: only a correction settles it
            return cls(ReasonCode.DOCUMENT, data)
        return cls(ReasonCode(data["code"]), data["text"], data.get("seq"))


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A named person confirmed a letter-level problem that no field fixes (e.g. 共4人 but 3 listed)."""

    code: ReasonCode
    text: str  # the problem exactly as it was shown when confirmed (what the person read)
    by: str
    at: str  # ISO time
    key: str | None = None  # the finding confirmed (Problem.key); None: stored before keys, the text

    def covers(self, problem: str) -> bool:
        """The same check's same finding: rewording the text never voids a confirmation, and a
        confirmation never covers another finding of the same check."""
        if code_of(problem) != self.code:
            return False
        return key_of(problem) == self.key if self.key is not None else str(problem) == self.text

    def to_json(self) -> dict[str, Any]:
        data = {"code": self.code.value, "text": self.text, "by": self.by, "at": self.at}
        return data if self.key is None else {**data, "key": self.key}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Confirmation:
        return cls(ReasonCode(data["code"]), data["text"], data["by"], data["at"], data.get("key"))


def texts(reasons: list[Reason]) -> list[str]:
    return [r.text for r in reasons]


def left_after_approval(reasons: list[Reason]) -> list[Reason]:
    """What an approval cannot settle."""
    return [r for r in reasons if r.settled_by is not Settle.APPROVAL]


def second_review(reasons: list[Reason]) -> list[Reason]:
    return [r for r in reasons if r.code.needs_second_person]
