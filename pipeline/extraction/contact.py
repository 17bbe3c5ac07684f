"""The contact person and phone, from the 联系人 line in its many forms:

    联系人：张三，电话：029-88886666
    联系人及电话：张三 029-8888 6666
    联系人：人事处 张三；联系电话：13912345678
    联系电话：13912345678            (no name)

Only 联系 lines count: other numbers in the letter (a service hotline, a
fax) are not the contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.domain.letter import Source
from pipeline.extraction.lines import Line
from pipeline.extraction.text import CJK, fold_digits

CONTACT_LINE = re.compile(r"联\s*系\s*人|联系电话|联系方式|联络人|经办人")
NAME_AFTER = re.compile(
    rf"(?:联系人|联络人|经办人|联系方式)(?:及(?:其)?(?:联系)?(?:电话|方式))?(?:姓名)?\s*[:：]?\s*(?P<name>[{CJK}·](?:[ \t\u3000]{{0,3}}[{CJK}·]){{1,19}})"
)
PHONE = re.compile(
    r"(?<![0-9])(?:"
    r"1[3-9][0-9](?:[\s\-－—–]?[0-9]){8}"  # mobile
    r"|[（(]?0[0-9]{2,3}[)）]?[\s\-－—–]?[0-9](?:[\s\-－—–]?[0-9]){6,7}(?:[-转][0-9]{1,5})?"  # landline with area code
    r"|[2-8][0-9]{6,7}"  # local landline
    r")(?![0-9])"
)
DEPARTMENT = re.compile(
    rf"^(?P<dept>[{CJK}]{{1,12}}(?:处|科|室|办|部|司|局|中心|股|组))(?P<name>[{CJK}·]{{2,4}})$"
)
NOISE_TAIL = re.compile(r"(联系电话|联系方式|电话|手机|座机|同志|老师|先生|女士|办公电话|固话|传真)$")


@dataclass(slots=True)
class ContactFound:
    name: str | None = None
    name_source: Source | None = None
    phone: str | None = None
    phone_source: Source | None = None


def _clean_name(raw: str) -> str | None:
    name = re.sub(r"\s+", "", raw)
    while True:
        stripped = NOISE_TAIL.sub("", name)
        if stripped == name:
            break
        name = stripped
    m = DEPARTMENT.match(name)
    if m and len(name) > 4:
        name = m.group("name")
    return name if 2 <= len(name.replace("·", "")) <= 12 else None


def _phone(text: str) -> str | None:
    m = PHONE.search(text)
    if not m:
        return None
    return re.sub(r"\s+", "", m.group(0))


SPACED_LABEL = re.compile(
    r"联[ \t\u3000]+系[ \t\u3000]*人|联[ \t\u3000]*系[ \t\u3000]*电[ \t\u3000]*话|经[ \t\u3000]+办[ \t\u3000]*人"
)
TRAILING_DIGITS = re.compile(r"[0-9][0-9\s\-－—–]*$")
LEADING_DIGITS = re.compile(r"^[\s\u3000]*([0-9][0-9\s\-－—–]*)")


def _despaced(text: str) -> str:
    """联 系 人 (letter-spaced to fill a column) -> 联系人, so the label rules read it."""
    return SPACED_LABEL.sub(lambda m: re.sub(r"[ \t\u3000]", "", m.group(0)), text)


def _phone_across(text: str, following: Line | None) -> str | None:
    """A phone number the line break cut in two: "联系电话：029-8888" + "1234" on the next line."""
    if following is None or not TRAILING_DIGITS.search(text):
        return None
    m = LEADING_DIGITS.match(fold_digits(following.text))
    if not m:
        return None
    joined = _phone(text + m.group(1))
    alone = _phone(text)
    return joined if joined and (alone is None or len(joined) > len(alone)) else None


def find_contact(lines: list[Line]) -> ContactFound:
    """Name and phone from the 联系人 lines; a phone on the line right after a bare 联系人 line counts."""
    found = ContactFound()
    for k, line in enumerate(lines):
        if not CONTACT_LINE.search(_despaced(line.text)):
            continue
        text = _despaced(fold_digits(line.text))
        if found.name is None:
            m = NAME_AFTER.search(text)
            name = _clean_name(m.group("name")) if m else None
            if name:
                found.name, found.name_source = name, line.source(1.0, name)
        if found.phone is None:
            following = lines[k + 1] if k + 1 < len(lines) else None
            phone = _phone_across(text, following) or _phone(text)
            source_line = line
            if (
                phone is None
                and k + 1 < len(lines)
                and re.match(r"^(联系)?(电话|手机|座机|方式)", lines[k + 1].compact)
            ):
                source_line = lines[k + 1]
                phone = _phone(fold_digits(source_line.text))
            if phone:
                found.phone, found.phone_source = phone, source_line.source(1.0, phone)
        if found.name and found.phone:
            break
    return found
