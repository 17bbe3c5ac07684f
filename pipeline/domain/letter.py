"""A received query letter as the office understands it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.document import Location
from pipeline.domain.reasons import Confirmation


class Kind(StrEnum):
    CIVIL_SERVANT = "civil_servant"  # 公务员录用、调任
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位聘用、招聘

    @property
    def label_zh(self) -> str:
        return {"civil_servant": "公务员录用、调任", "public_institution": "事业单位聘用"}[self.value]


@dataclass(frozen=True, slots=True)
class Source:
    """Provenance of one extracted value: where it was read and how sure we are.

    `confidence` combines the reader's confidence (OCR) with the extractor's
    (1.0 = found by an unambiguous rule, lower = fallback or guess).
    """

    location: Location
    text: str  # the raw text the value was taken from
    confidence: float = 1.0

    def to_json(self) -> dict:
        return {
            "location": self.location.to_json(),
            "text": self.text,
            "confidence": round(self.confidence, 3),
        }

    @classmethod
    def from_json(cls, data: dict) -> Source:
        return cls(
            Location.from_json(data.get("location") or {}),
            data.get("text") or "",
            float(data.get("confidence", 1.0)),
        )


@dataclass(slots=True)
class Contact:
    name: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class Person:
    name: str
    id_number: str
    problems: list[str] = field(default_factory=list)  # blocking, Chinese
    notes: list[str] = field(default_factory=list)  # non-blocking, Chinese
    # Not errors, but a person must compare with the original before a reply (OCR repairs, doubtful reads).
    confirm: list[str] = field(default_factory=list)
    seq: int | None = None  # 序号 as printed, when the roster has one
    name_source: Source | None = None
    id_source: Source | None = None
    id_as_printed: str | None = None
    # The ID came from a spreadsheet cell stored as a number: Excel kept 15 digits, the rest are lost.
    id_from_number: bool = False
    # Who decided that this person's wrong ID is answered 身份证号码有误，未予查询 (the unit must be asked).
    not_checked_by: str | None = None

    @property
    def blocking(self) -> bool:
        return bool(self.problems)


@dataclass(slots=True)
class ObjectionClaim:
    """An objection letter's claim: the reply numbers it cites and why (Chinese, as written)."""

    cited: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(slots=True)
class Letter:
    kind: Kind | None = None
    doc_number: str | None = None
    unit: str | None = None
    date: dt.date | None = None
    addressee: str | None = None
    contact: Contact = field(default_factory=Contact)
    people: list[Person] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # letter-level blocking, Chinese
    notes: list[str] = field(default_factory=list)  # letter-level non-blocking, Chinese
    stated_count: int | None = None  # 共N人 as stated in the letter
    title: str | None = None
    sources: dict[str, Source] = field(default_factory=dict)  # field name -> provenance
    from_scan: bool = False
    confirmed: list[Confirmation] = field(default_factory=list)  # problems a named person confirmed
    # Printed 序号 of rows a clerk deleted as no person (a heading, the contact): no gap in the roster.
    deleted_seqs: list[int] = field(default_factory=list)
    objection: ObjectionClaim | None = None  # an objection (异议申请) to a reply, not a query

    @property
    def blocking_reasons(self) -> list[str]:
        """Every blocking problem, letter-level first, then per person (Chinese)."""
        reasons = list(self.problems)
        for index, person in enumerate(self.people, 1):
            if person.not_checked_by is None:
                reasons.extend(f"第{index}人（{person.name}）：{p}" for p in person.problems)
        return reasons

    @property
    def is_clean(self) -> bool:
        return not self.blocking_reasons
