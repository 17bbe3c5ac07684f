"""A clerk's corrections of an extracted letter, and their decisions on people, as typed values.

Each edge builds the values from its own input (the console from its form, the CLI from `--field`,
pipeline.commands.fields); nothing between the layers is a sentence to parse, so a name with a
comma in it stays one name. A roster row missed by extraction is added (`AddRow`) and a row that
is not a person (a misread heading, the contact) is deleted (`DeleteRow`). Every `seq` in one
request means the row as the clerk saw it: fields are corrected first, rows deleted after, added
rows go to the end.

Corrected values are normalised as extraction normalises them, and the letter is validated again
afterwards (pipeline.extraction.validation.revalidate), so a correction settles exactly what it
corrects: fixing the addressee of a letter that says 共4人 but lists 3 leaves the count to be confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.domain import comparison
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.history import FixKind
from pipeline.domain.idnumber import normalise_id
from pipeline.domain.letter import Kind, Letter, Person
from pipeline.domain.names import normalise_name
from pipeline.domain.reasons import ReasonCode, code_of
from pipeline.domain.result import Verdict
from pipeline.errors import InvalidRequest
from pipeline.extraction import CONFIRM_ID_REPAIRED, CONFIRM_NAME
from pipeline.extraction.validation import revalidate, roster_rules
from pipeline.privacy import mask_id

__all__ = [
    "AddRow",
    "Compared",
    "Correction",
    "DeleteRow",
    "FieldFix",
    "LetterField",
    "PersonField",
    "PersonFix",
    "Requested",
    "VerdictDecision",
    "apply_corrections",
    "mark_not_checked",
    "requested",
    "roster_rules",
]  # roster_rules: as typed


class LetterField(StrEnum):
    KIND = "kind"
    UNIT = "unit"
    DOC_NUMBER = "doc_number"
    DATE = "date"
    ADDRESSEE = "addressee"

    @property
    def label_zh(self) -> str:
        return FixKind(self.value).label_zh  # one label per field, as the correction history shows it


class PersonField(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"


@dataclass(frozen=True, slots=True)
class FieldFix:
    """A letter field as the clerk reads it in the original (kind: civil_servant|public_institution;
    date: ISO 2026-06-04)."""

    field: LetterField
    value: str


@dataclass(frozen=True, slots=True)
class PersonFix:
    seq: int  # the row as the clerk saw it
    field: PersonField
    value: str


@dataclass(frozen=True, slots=True)
class AddRow:
    name: str
    id_number: str


@dataclass(frozen=True, slots=True)
class DeleteRow:
    seq: int


@dataclass(frozen=True, slots=True)
class VerdictDecision:
    """A person's verdict decided by the clerk: clear or listed (possible and name-mismatch verdicts
    only), or not_checked (an ID that is wrong and cannot be corrected: answered 未予查询)."""

    seq: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Compared:
    """A scan's header field or roster row (`seq`, as the clerk saw it) compared with the original:
    it reads as shown (pipeline.domain.comparison)."""

    seq: int | None = None
    field: LetterField | None = None

    @classmethod
    def named(cls, item: str) -> Compared:
        """An item as both edges name it: a row by its 序号 ("3"), a header field by name ("unit")."""
        item = item.strip()
        if item.isdigit() and int(item) >= 1:
            return cls(seq=int(item))
        if item in LetterField.__members__.values():
            return cls(field=LetterField(item))
        names = "、".join(f.value for f in LetterField)
        raise InvalidRequest(f"bad compared item {item!r}", f"“{item}”不是序号或来函信息字段（{names}）。")


Correction = FieldFix | PersonFix | AddRow | DeleteRow | VerdictDecision | Compared
DECIDED = (Verdict.CLEAR, Verdict.LISTED, Verdict.NOT_CHECKED)


@dataclass(frozen=True, slots=True)
class Requested:
    """What a correction asks for, split: field corrections and per-person verdict decisions."""

    fields: list[FieldFix | PersonFix]
    verdicts: dict[int, Verdict]
    deletes: set[int] = field(default_factory=set)
    adds: list[AddRow] = field(default_factory=list)
    compared: list[Compared] = field(default_factory=list)


def requested(items: Sequence[Correction]) -> Requested:
    """The corrections sorted by what they do; a person decided twice, or a decision no person may
    make, is refused."""
    if not items:
        raise InvalidRequest("no corrections", "请写明更正内容。")
    out = Requested([], {})
    for item in items:
        _bounded(item)
        if isinstance(item, DeleteRow):
            out.deletes.add(item.seq)
        elif isinstance(item, Compared):
            out.compared.append(item)
        elif isinstance(item, AddRow):
            if not item.name.strip() and not item.id_number.strip():
                raise InvalidRequest("empty added row", "增加的人员应写明姓名和身份证号码。")
            out.adds.append(item)
        elif isinstance(item, VerdictDecision):
            if item.verdict not in DECIDED:
                raise InvalidRequest(
                    f"verdict {item.verdict} is no decision",
                    f"第{item.seq}人的结论只能是“不属于”“属于失信联合惩戒对象”或“身份证号码有误，未予查询”。",
                )
            if item.seq in out.verdicts:
                raise InvalidRequest("result twice", f"第{item.seq}人的结论写了两次，请只写一个。")
            out.verdicts[item.seq] = item.verdict
        else:
            out.fields.append(item)
    return out


_FIELD_BOUNDS = {
    LetterField.UNIT: Typed.UNIT,
    LetterField.ADDRESSEE: Typed.UNIT,
    LetterField.DOC_NUMBER: Typed.DOC_NUMBER,
    LetterField.KIND: Typed.DOC_NUMBER,  # a code or a date: short either way
    LetterField.DATE: Typed.DOC_NUMBER,
}


def _bounded(item: Correction) -> None:
    """Every typed value no longer than its field can mean (pipeline.domain.bounds)."""
    if isinstance(item, FieldFix):
        bounded(item.value, _FIELD_BOUNDS[item.field])
    elif isinstance(item, PersonFix):
        bounded(item.value, Typed.NAME if item.field is PersonField.NAME else Typed.ID_NUMBER)
    elif isinstance(item, AddRow):
        bounded(item.name, Typed.NAME)
        bounded(item.id_number, Typed.ID_NUMBER)


def _letter_field(letter: Letter, key: LetterField, value: str) -> None:
    if key is LetterField.KIND:
        try:
            letter.kind = Kind(value)
        except ValueError:
            raise InvalidRequest(
                "bad kind",
                "查询类别只能是公务员录用、调任（civil_servant）或事业单位聘用（public_institution）。",
            ) from None
    elif key is LetterField.DATE:
        try:
            letter.date = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidRequest("bad date", f"来函日期格式无效：{value}（应写作 2026-06-04）") from None
    else:
        setattr(letter, key.value, value or None)


def apply_corrections(
    letter: Letter, request: Requested, today: dt.date, *, by: str = "", at: str = ""
) -> tuple[list[str], dict[int, Verdict]]:
    """Apply the corrections and roster changes and validate again; on a scan, record what `by`
    compared with the original: the items asked, and every field and row typed or corrected.

    Returns Chinese descriptions (IDs masked) and the request's verdicts keyed by
    the people's positions after the roster changes.
    """
    done = []
    changed: set[int] = set()
    looked = _compared_people(letter, request)
    for item in request.fields:
        value = item.value.strip()
        if isinstance(item, FieldFix):
            _letter_field(letter, item.field, value)
            done.append(f"{item.field.label_zh}：{value}")
            continue
        seq, index = item.seq, item.seq - 1
        if not 0 <= index < len(letter.people):
            raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{len(letter.people)}人）。")
        person = letter.people[index]
        # A value the clerk typed from the original is no longer the scan's doubtful read: the
        # doubt that quoted it (姓名识别置信度较低, 自动纠错) is settled with it.
        if item.field is PersonField.NAME:
            person.name = normalise_name(value)  # as extraction stores names
            person.confirm = [c for c in person.confirm if c != CONFIRM_NAME]
            done.append(f"第{seq}人姓名={person.name}")
        else:
            person.id_number = normalise_id(value)  # ６１０… typed with a Chinese input method
            person.not_checked_by = None  # a corrected number is checked again
            person.confirm = [c for c in person.confirm if c != CONFIRM_ID_REPAIRED]
            done.append(f"第{seq}人身份证号码={mask_id(person.id_number)}")
        changed.add(index)
    touched = {id(letter.people[i]) for i in changed}
    verdicts = _delete_rows(letter, request, done)
    for row in request.adds:
        person = Person(name=normalise_name(row.name.strip()), id_number=normalise_id(row.id_number.strip()))
        letter.people.append(person)
        touched.add(id(person))
        done.append(f"增加第{len(letter.people)}人：{person.name}（{mask_id(person.id_number)}）")
    revalidate(letter, today, {i for i, p in enumerate(letter.people) if id(p) in touched})
    if letter.from_scan:
        fields = {c.field.value for c in request.compared if c.field is not None}
        fields |= {f.field.value for f in request.fields if isinstance(f, FieldFix)}
        rows = touched | looked
        wanted = [
            item
            for item in comparison.items(letter)
            if item.field in fields or (item.seq is not None and id(letter.people[item.seq - 1]) in rows)
        ]
        recorded = comparison.compare(letter, wanted, by, at)
        if recorded:
            done.append("对照原件核对：" + "、".join(recorded))
    return done, verdicts


def _compared_people(letter: Letter, request: Requested) -> set[int]:
    """The rows the clerk compared, as people (the request's numbers are the rows as shown)."""
    if request.compared and not letter.from_scan:
        raise InvalidRequest("not a scan", "该来函不是扫描件，无需对照原件逐项核对。")
    people = set()
    for item in request.compared:
        if item.seq is None:
            continue
        if not 1 <= item.seq <= len(letter.people):
            raise InvalidRequest("no such person", f"名单中没有第{item.seq}人（共{len(letter.people)}人）。")
        if item.seq not in request.deletes:
            people.add(id(letter.people[item.seq - 1]))
    return people


def _delete_rows(letter: Letter, request: Requested, done: list[str]) -> dict[int, Verdict]:
    """Remove the rows the clerk deleted; the verdicts follow their people to the new positions."""
    n = len(letter.people)
    for seq in sorted(request.deletes):
        if not 1 <= seq <= n:
            raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{n}人），无法删除。")
        if seq in request.verdicts:
            raise InvalidRequest("decided a deleted row", f"第{seq}人已删除，不能再对其作出核实结论。")
    for seq in sorted(request.deletes, reverse=True):
        person = letter.people.pop(seq - 1)
        if person.seq is not None:
            letter.deleted_seqs.append(person.seq)
        done.append(f"删除第{seq}人：{person.name}（{mask_id(person.id_number)}）")
    kept = [s for s in range(1, n + 1) if s not in request.deletes]
    renumber = {old: new for new, old in enumerate(kept, 1)}
    return {renumber.get(s, s): v for s, v in request.verdicts.items()}  # a seq past the end is refused later


def mark_not_checked(letter: Letter, seq: int, by: str) -> str:
    """Answer a person whose ID is wrong as 身份证号码有误，未予查询, on a named person's decision."""
    if not 1 <= seq <= len(letter.people):
        raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{len(letter.people)}人）。")
    person = letter.people[seq - 1]
    if not any(code_of(p, ReasonCode.ID_INVALID) is ReasonCode.ID_INVALID for p in person.problems):
        raise InvalidRequest(
            "ID is not wrong",
            f"第{seq}人（{person.name}）的身份证号码没有错误，应正常查询，不能答复为“身份证号码有误，未予查询”。",
        )
    person.not_checked_by = by
    return f"第{seq}人（{person.name}）身份证号码有误（{'；'.join(person.problems)}），答复为“身份证号码有误，未予查询”"
