"""Validation of an extracted letter: what blocks a reply (problems) and what only informs (notes).

Named apart from `checking` (the blacklist lookup). Every blocking problem is a
`Problem` carrying the code that decides what settles it. All messages are
Chinese, for the clerk who will fix the letter. `revalidate` runs the same
rules again after a clerk's correction, so a correction settles only what it
corrects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from pipeline.domain.idnumber import NOTE_CONVERTED_15, NOTE_UNKNOWN_REGION, check_id, normalise_id
from pipeline.domain.letter import Letter, Person
from pipeline.domain.names import name_key, normalise_name, vocabulary_kind
from pipeline.domain.reasons import Problem, ReasonCode, code_of
from pipeline.extraction.text import cn_number, compact, fold_digits
from pipeline.ideographs import foreign_characters

STATED_COUNT = re.compile(
    r"共(?:需|计|有)?(?:查询|涉及)?(?:对象|人员)?\s*(?P<n>[0-9]{1,5}|[一二两三四五六七八九十百零〇]{1,6})\s*(?:人|名)"
)

ID_NOTES = frozenset({NOTE_CONVERTED_15, NOTE_UNKNOWN_REGION})  # what a new number replaces
SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[Ee]\+?[0-9]{1,2}")  # 6.10102E+17: Excel's General format
PROBLEM_EXCEL_NUMBER = (
    "身份证号码在表格中被存为数字（显示为科学计数法或末几位变为0），缺失的数字无法还原，"
    "请来函单位提供以文本格式保存的名单后更正"
)
_ALNUM = re.compile(r"[0-9A-Za-z]")
_DIGIT = re.compile(r"[0-9]")

PROBLEM_NO_PEOPLE = "未找到查询对象名单（姓名和身份证号码），请核对来函"
PROBLEM_NO_UNIT = "未能识别来函单位"
PROBLEM_NO_DATE = "未能识别来函日期"
PROBLEM_NO_KIND = "未能识别查询类别（公务员录用、调任或事业单位聘用）"
PROBLEM_NO_NAME = "缺少姓名"
PROBLEM_NO_ID = "缺少身份证号码"
PROBLEM_BAD_NAME = "姓名含有数字或其他异常字符"


def foreign_name_problem(chars: list[str]) -> str:
    """A name holding characters that are not Han ideographs (a look-alike from a PDF's text layer, a
    symbol): named with their code points, so the clerk sees what the file really holds."""
    said = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in chars[:5])
    return f"姓名含有非汉字字符{said}，可能是文件文字层中的形近字符，请对照原件核实后更正"


PROBLEM_UNREADABLE_NAME = "姓名中有无法识别的字符（原文件字体缺少编码信息），请对照原件核对"
NOTE_NO_DOC_NUMBER = "来函未标注文号，复函中将不引用来函文号"
NOTE_NO_ADDRESSEE = "未能识别主送单位"
NOTE_NO_CONTACT = "来函未写明联系人或联系电话"
NOTE_FUTURE_DATE = "来函日期晚于今天，请核对"
NOTE_DUPLICATE_ROWS = "名单中有重复行"
NOTE_REPEATED_SEQ = "名单序号有重复"
_LETTER_NOTES = (
    NOTE_NO_DOC_NUMBER,
    NOTE_NO_ADDRESSEE,
    NOTE_NO_CONTACT,
    NOTE_FUTURE_DATE,
    NOTE_DUPLICATE_ROWS,
    NOTE_REPEATED_SEQ,
)


def stated_count(body_lines: list[str]) -> int | None:
    for text in body_lines:
        m = STATED_COUNT.search(fold_digits(compact(text)))
        if m:
            return cn_number(m.group("n"))
    return None


def validate_person(person: Person, today: dt.date) -> None:
    if not person.name:
        person.problems.append(Problem(PROBLEM_NO_NAME, ReasonCode.NAME_INVALID))
    elif "\ufffd" in person.name:
        person.problems.append(Problem(PROBLEM_UNREADABLE_NAME, ReasonCode.NAME_INVALID))
    elif _ALNUM.search(person.name):
        person.problems.append(Problem(PROBLEM_BAD_NAME, ReasonCode.NAME_INVALID))
    elif kind := vocabulary_kind(person.name):
        person.problems.append(
            Problem(
                f"姓名“{person.name}”是{kind}，不是人名（名单的姓名列可能识别错误），请对照原件核实后更正",
                ReasonCode.NAME_INVALID,
            )
        )
    elif odd := foreign_characters(person.name):
        person.problems.append(Problem(foreign_name_problem(odd), ReasonCode.NAME_INVALID))
    # Normalised first: ６１０… typed with a Chinese input method is an ID too.
    if not _DIGIT.search(normalise_id(person.id_number)):
        person.problems.append(Problem(PROBLEM_NO_ID, ReasonCode.ID_INVALID))
        return
    if excel_damaged(person):
        person.problems.append(Problem(PROBLEM_EXCEL_NUMBER, ReasonCode.ID_INVALID))
        return  # never checked, never "repaired": the digits Excel dropped are not in the file
    result = check_id(person.id_number, today)
    person.id_number = result.number
    person.problems.extend(Problem(p, ReasonCode.ID_INVALID) for p in result.problems)
    person.notes.extend(result.notes)


def excel_damaged(person: Person) -> bool:
    """An ID a spreadsheet stored as a number (6.10102E+17 as shown, or all digits with the last ones
    turned to 0): still as it came, i.e. not yet corrected by a clerk from a text copy."""
    printed = normalise_id(person.id_as_printed or "")
    as_now = normalise_id(person.id_number)
    if SCIENTIFIC.fullmatch((person.id_as_printed or "").strip()) and (as_now == printed or "E" in as_now):
        return True
    return person.id_from_number and as_now == printed


def validate_letter(letter: Letter, today: dt.date) -> None:
    """Letter-level problems and notes; person-level ones are validate_person's."""
    if not letter.people:
        letter.problems.append(Problem(PROBLEM_NO_PEOPLE, ReasonCode.NO_PEOPLE))
    if not letter.unit:
        letter.problems.append(Problem(PROBLEM_NO_UNIT, ReasonCode.NO_UNIT))
    if not letter.date:
        letter.problems.append(Problem(PROBLEM_NO_DATE, ReasonCode.NO_DATE))
    elif letter.date > today:
        letter.notes.append(NOTE_FUTURE_DATE)
    if letter.kind is None:
        letter.problems.append(Problem(PROBLEM_NO_KIND, ReasonCode.NO_KIND))
    if not letter.doc_number:
        letter.notes.append(NOTE_NO_DOC_NUMBER)
    if not letter.addressee:
        letter.notes.append(NOTE_NO_ADDRESSEE)
    if not letter.contact.name or not letter.contact.phone:
        letter.notes.append(NOTE_NO_CONTACT)
    _duplicates(letter)
    _counts(letter)


def _duplicates(letter: Letter) -> None:
    """The same row printed twice is answered twice (a note); one ID under two names blocks."""
    seen: dict[str, list[int]] = defaultdict(list)
    for index, person in enumerate(letter.people, 1):
        if len(person.id_number) == 18:
            seen[person.id_number].append(index)
    for positions in seen.values():
        if len(positions) < 2:
            continue
        names = "、".join(f"第{i}人{letter.people[i - 1].name}" for i in positions)
        if len({name_key(letter.people[i - 1].name) for i in positions}) == 1:
            letter.notes.append(
                f"{NOTE_DUPLICATE_ROWS}（姓名和身份证号码均相同）：{names}，复函将按来函逐行答复"
            )
        else:
            letter.problems.append(
                Problem(f"名单中同一身份证号码对应不同姓名：{names}，请核对", ReasonCode.SAME_ID_OTHER_NAME)
            )


def _counts(letter: Letter) -> None:
    n = len(letter.people)
    if letter.stated_count is not None and n and letter.stated_count != n:
        letter.problems.append(
            Problem(
                f"来函写明共{letter.stated_count}人，但名单中识别到{n}人，请核对是否有遗漏",
                ReasonCode.COUNT_MISMATCH,
                f"{letter.stated_count}/{n}",
            )
        )
    seqs = [p.seq for p in letter.people]
    if n and sum(s is not None for s in seqs) >= max(2, n // 2):
        numbers = [s for s in seqs if s is not None]
        expected = set(range(1, max(numbers) + 1))
        missing = sorted(expected - set(numbers) - set(letter.deleted_seqs))
        if missing:
            shown = "、".join(str(m) for m in missing[:10]) + ("等" if len(missing) > 10 else "")
            letter.problems.append(
                Problem(
                    f"名单序号不连续（缺少第{shown}号），可能有人员遗漏，请核对",
                    ReasonCode.SEQ_GAP,
                    ",".join(map(str, missing)),
                )
            )
        repeated = sorted(s for s, count in Counter(numbers).items() if count > 1)
        if repeated:
            letter.notes.append(f"{NOTE_REPEATED_SEQ}：" + "、".join(str(s) for s in repeated[:10]))


def revalidate(letter: Letter, today: dt.date, changed: set[int] | None = None) -> None:
    """After a correction: validate the changed people (0-based indexes) and the letter again.

    Problems a reader found in the file stay (no field fixes them; a person
    confirms them); every other letter-level problem and note is recomputed,
    so a fixed unit stops blocking and a count that still disagrees still does.
    """
    for index in changed or set():
        person = letter.people[index]
        person.problems = []
        person.notes = [n for n in person.notes if n not in ID_NOTES]
        validate_person(person, today)
    letter.problems = [p for p in letter.problems if code_of(p) is ReasonCode.DOCUMENT]
    letter.notes = [n for n in letter.notes if not n.startswith(_LETTER_NOTES)]
    validate_letter(letter, today)


SAME_ID_NAMED = 3  # rows named as having the same ID; more are counted


@dataclass(frozen=True, slots=True)
class RowRules:
    """One roster row as the rules see it while a clerk types: normalised values and what is wrong."""

    name: str
    id_number: str
    problems: list[str]
    notes: list[str]
    same_id_as: list[int]  # the first few other rows (1-based) with this ID
    same_id_count: int = 0  # how many other rows have it, named or not


def roster_rules(rows: list[tuple[str, str]], today: dt.date) -> list[RowRules]:
    """The rules a correction will apply (check digit, birth date, region, name, duplicates),
    for rows that are not stored yet: one place for them, so the console shows what submit will say."""
    people = [Person(name=normalise_name(n), id_number=normalise_id(i)) for n, i in rows]
    for person in people:
        validate_person(person, today)
    by_id: dict[str, list[int]] = defaultdict(list)
    for index, person in enumerate(people, 1):
        if len(person.id_number) == 18:
            by_id[person.id_number].append(index)
    out = []
    for index, p in enumerate(people, 1):
        group = by_id.get(p.id_number, [])
        # The answer grows with the rows, not their square: 5,000 copies of one ID named each
        # other in 25 million numbers (120 MB). A few are named, the rest counted.
        named = [i for i in group[: SAME_ID_NAMED + 1] if i != index][:SAME_ID_NAMED]
        out.append(
            RowRules(
                p.name,
                p.id_number,
                [str(x) for x in p.problems],
                list(p.notes),
                named,
                max(0, len(group) - 1),
            )
        )
    return out
