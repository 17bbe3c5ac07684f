"""A clerk's corrections of an extracted letter (`field=value`), and their decisions on people.

A roster row missed by extraction is added (`add=姓名,身份证号码`) and a row
that is not a person (a misread heading, the contact) is deleted (`delete=N`).
Every `N` in one request means the row as the clerk saw it: fields are
corrected first, rows deleted after, added rows go to the end.

Corrected values are normalised as extraction normalises them, and the
letter is validated again afterwards (pipeline.extraction.validation.revalidate),
so a correction settles exactly what it corrects: fixing the addressee of a
letter that says 共4人 but lists 3 leaves the count to be confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.domain.idnumber import normalise_id
from pipeline.domain.letter import Kind, Letter, Person
from pipeline.domain.names import normalise_name
from pipeline.domain.reasons import ReasonCode, code_of
from pipeline.domain.result import Verdict
from pipeline.errors import InvalidRequest
from pipeline.extraction.validation import revalidate, roster_rules
from pipeline.privacy import mask_id

__all__ = [
    "FIELD_HELP",
    "Requested",
    "apply_corrections",
    "mark_not_checked",
    "roster_rules",
    "split_request",
]  # roster_rules: as typed

LETTER_FIELDS = {"kind", "unit", "doc_number", "date", "addressee"}
ADD, DELETE = "add", "delete"  # add=姓名,身份证号码 and delete=N
PERSON_FIELDS = {"name", "id_number"}
RESULT_FIELD = "result"  # N.result=clear|listed|not_checked
NOT_CHECKED = "not_checked"  # the ID is wrong and the unit must be asked: answered 未予查询
RESULT_VALUES = {"clear": Verdict.CLEAR, "listed": Verdict.LISTED, NOT_CHECKED: Verdict.NOT_CHECKED}
FIELD_HELP = (
    "可更正：unit=来函单位、doc_number=来函文号、date=2026-06-04、kind=civil_servant|public_institution、"
    "addressee=主送单位、N.name=姓名、N.id_number=身份证号码、add=姓名,身份证号码（增加一行）、delete=N（删除第N行）、"
    "N.result=clear|listed（人工核实结论：clear=不属于、listed=属于失信联合惩戒对象，"
    "仅限核查结论为“可能匹配”或“号码在名单中但姓名不同”的人员）、"
    "N.result=not_checked（身份证号码有误且无法更正：复函中该人写明“身份证号码有误，未予查询”）（N为序号）"
)


@dataclass(frozen=True, slots=True)
class Requested:
    """What a correction asks for, split: field corrections and per-person verdict decisions."""

    fields: list[str]
    verdicts: dict[int, Verdict]
    deletes: set[int] = field(default_factory=set)
    adds: list[tuple[str, str]] = field(default_factory=list)


def split_request(items: list[str]) -> Requested:
    """Separate `N.result=…` decisions from the corrections of the letter itself."""
    wanted: dict[int, Verdict] = {}
    rest: list[str] = []
    deletes: set[int] = set()
    adds: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if sep and key.strip() == DELETE:
            if not value.strip().isdigit():
                raise InvalidRequest("bad delete", f"delete 后应写要删除的序号，例如 delete=3：{item}")
            deletes.add(int(value.strip()))
            continue
        if sep and key.strip() == ADD:
            adds.append(_added(value))
            continue
        seq, _, attr = key.strip().partition(".")
        if attr != RESULT_FIELD or not sep:
            rest.append(item)
            continue
        if not seq.isdigit():
            raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key.strip()}”。{FIELD_HELP}")
        verdict = RESULT_VALUES.get(value.strip())
        if verdict is None:
            raise InvalidRequest(
                "bad result",
                f"第{seq}人的结论只能是 clear（不属于失信联合惩戒对象）、listed（属于失信联合惩戒对象）"
                f"或 not_checked（身份证号码有误，未予查询）：{value.strip()}",
            )
        if int(seq) in wanted:
            raise InvalidRequest("result twice", f"第{seq}人的结论写了两次，请只写一个。")
        wanted[int(seq)] = verdict
    return Requested(rest, wanted, deletes, adds)


def _added(value: str) -> tuple[str, str]:
    name, sep, number = value.replace("，", ",").partition(",")
    if not sep or (not name.strip() and not number.strip()):
        raise InvalidRequest("bad add", f"增加人员应写作 add=姓名,身份证号码：{value}")
    return name.strip(), number.strip()


def _letter_field(letter: Letter, key: str, value: str) -> None:
    if key == "kind":
        try:
            letter.kind = Kind(value)
        except ValueError:
            raise InvalidRequest(
                "bad kind", "kind 只能是 civil_servant（公务员）或 public_institution（事业单位）。"
            ) from None
    elif key == "date":
        try:
            letter.date = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidRequest("bad date", f"来函日期格式无效：{value}（应写作 2026-06-04）") from None
    else:
        setattr(letter, key, value or None)


def apply_corrections(
    letter: Letter, request: Requested, today: dt.date
) -> tuple[list[str], dict[int, Verdict]]:
    """Apply the corrections and roster changes and validate again.

    Returns Chinese descriptions (IDs masked) and the request's verdicts keyed by
    the people's positions after the roster changes.
    """
    done = []
    changed: set[int] = set()
    for item in request.fields:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InvalidRequest(f"bad field {item!r}", f"更正内容格式应为 字段=值：{item}。{FIELD_HELP}")
        if key in LETTER_FIELDS:
            _letter_field(letter, key, value)
            done.append(f"{key}={value}")
            continue
        seq, _, attr = key.partition(".")
        if not seq.isdigit() or attr not in PERSON_FIELDS:
            raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key}”。{FIELD_HELP}")
        index = int(seq) - 1
        if not 0 <= index < len(letter.people):
            raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{len(letter.people)}人）。")
        person = letter.people[index]
        if attr == "name":
            person.name = normalise_name(value)  # as extraction stores names
            done.append(f"第{seq}人姓名={person.name}")
        else:
            person.id_number = normalise_id(value)  # ６１０… typed with a Chinese input method
            person.not_checked_by = None  # a corrected number is checked again
            done.append(f"第{seq}人身份证号码={mask_id(person.id_number)}")
        changed.add(index)
    touched = {id(letter.people[i]) for i in changed}
    verdicts = _delete_rows(letter, request, done)
    for name, number in request.adds:
        person = Person(name=normalise_name(name), id_number=normalise_id(number))
        letter.people.append(person)
        touched.add(id(person))
        done.append(f"增加第{len(letter.people)}人：{person.name}（{mask_id(person.id_number)}）")
    revalidate(letter, today, {i for i, p in enumerate(letter.people) if id(p) in touched})
    return done, verdicts


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
