"""One list row -> a record, or the reason it is rejected (Chinese).

This is the hot loop of an import (a million rows at a time, >= 100,000 rows/s),
so the common case — ASCII 18-digit IDs, ISO dates, clean names — takes short
paths, and what repeats across rows (dates, birth dates, region codes) is
computed once and remembered.
"""

from __future__ import annotations

import datetime as dt
import re
from operator import itemgetter

from stdnum.cn import ric

from pipeline.domain.idnumber import (
    PROBLEM_BIRTH_DATE,
    PROBLEM_CHECK_DIGIT,
    PROBLEM_FORMAT,
    PROBLEM_LENGTH,
    normalise_id,
    upgrade_15,
)
from pipeline.domain.names import clean_name

_FULL_ID = re.compile(r"[0-9]{17}[0-9X]")
_MASKED_ID = re.compile(r"[0-9X*]{18}")
_NAME_NEEDS_CLEANING = re.compile(
    r"[\s.\u00b7\u2022\u2027\u2219\u30fb\uff65\u22c5\u0387\u16eb\u2e31\u318d\uff0e]"
)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
EMPTY = frozenset({"", "-", "－", "—", "——", "/", "无", "暂无", "null", "NULL", "None"})
EARLIEST_LISTING = dt.date(1990, 1, 1)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

REASON_NO_NAME = "缺少姓名"
REASON_NO_ID = "缺少身份证号码"
REASON_MASK = "脱敏身份证号码格式不正确（应为18位，隐去的位用*表示）"
REASON_LISTED_ON = "列入日期无法识别"
REASON_REMOVED_ON = "移出日期无法识别"
REASON_ORDER = "移出日期早于列入日期"

FIELDS = ("name", "id_number", "category", "authority", "doc_ref", "listed_on", "removed_on")


class Rejected(ValueError):
    """A row that cannot become a record; the message is the Chinese reason."""


_BIRTHS: dict[str, bool] = {}  # YYYYMMDD -> a possible birth date; lists repeat the same dates


def _birth_ok(birth: str) -> bool:
    known = _BIRTHS.get(birth)
    if known is not None:
        return known
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        born = None
    ok = born is not None and EARLIEST_BIRTH <= born <= dt.date.today()
    if ok and len(_BIRTHS) < 200_000:  # a future date is not remembered: tomorrow it may be real
        _BIRTHS[birth] = ok
    return ok


def parse_id(raw: object) -> tuple[str, bool]:
    """(18 characters, masked?) — a full ID validated like extraction does, or a masked one kept masked."""
    text = raw.strip() if type(raw) is str else _cell_text(raw)
    if not _FULL_ID.fullmatch(text):
        if not text:
            raise Rejected(REASON_NO_ID)
        text = normalise_id(text)
        if len(text) == 15 and text.isdigit():
            text = upgrade_15(text)
        if "*" in text:
            if not _MASKED_ID.fullmatch(text) or text.count("*") == 18:
                raise Rejected(REASON_MASK)
            return text, True
        if len(text) != 18:
            raise Rejected(PROBLEM_LENGTH)
        if not _FULL_ID.fullmatch(text):
            raise Rejected(PROBLEM_FORMAT)
    if not _birth_ok(text[6:14]):
        raise Rejected(PROBLEM_BIRTH_DATE)
    if text[17] != ric.calc_check_digit(text):
        raise Rejected(PROBLEM_CHECK_DIGIT)
    return text, False


_DATES: dict[str, str | None] = {}  # cell text -> ISO date; lists repeat the same few thousand dates


def parse_date(raw: object, reason: str) -> str | None:
    """A date cell -> ISO text (None when empty). Accepts Excel dates and the usual Chinese spellings."""
    if type(raw) is str:
        if raw in _DATES:
            return _DATES[raw]
        value = _parse_date_text(raw.strip(), reason)
        if len(_DATES) < 100_000:
            _DATES[raw] = value
        return value
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return _parse_date_text(_cell_text(raw), reason)


def _parse_date_text(text: str, reason: str) -> str | None:
    if text in EMPTY:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        year, month, day = text[:4], text[5:7], text[8:]
    else:
        m = _DATE.match(text) or _DATE_COMPACT.fullmatch(text)
        if not m:
            raise Rejected(reason)
        year, month, day = m.groups()
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise Rejected(reason) from None
    if value < EARLIEST_LISTING:
        raise Rejected(reason)
    return value.isoformat()


def _cell_text(raw: object) -> str:
    if type(raw) is str:
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def _optional(raw: object) -> str | None:
    text = raw.strip() if type(raw) is str else _cell_text(raw)
    return None if text in EMPTY else text[:200]


_SHARED: dict[str, str] = {}  # 名单类别 and 认定部门 take few values: one object each, encoded once


def _repeated(raw: object) -> str | None:
    text = _optional(raw)
    if text is None:
        return None
    shared = _SHARED.get(text)
    if shared is None:
        if len(_SHARED) >= 50_000:
            return text
        shared = _SHARED[text] = text
    return shared


def _name(raw: object) -> str:
    name = clean_name(raw.strip() if type(raw) is str else _cell_text(raw))
    if name in EMPTY:
        raise Rejected(REASON_NO_NAME)
    return name[:200]


class RowParser:
    """Turns the cells of one row into the values of one record, given the header's column positions."""

    def __init__(self, columns: dict[str, int]) -> None:
        present = [columns[f] for f in FIELDS if f in columns]
        pad = max(present) + 1  # missing columns read this always-empty slot
        self.width = pad + 1 if len(present) < len(FIELDS) else pad
        self.get = itemgetter(*(columns.get(f, pad) for f in FIELDS))

    def __call__(self, cells: list) -> tuple:
        """(name, name_key, id_number, masked, category, authority, doc_ref, listed_on, removed_on)."""
        if len(cells) < self.width:
            cells = [*cells, *([None] * (self.width - len(cells)))]
        raw_name, raw_id, category, authority, doc_ref, raw_listed, raw_removed = self.get(cells)
        name = _name(raw_name)
        number, masked = parse_id(raw_id)
        listed_on = parse_date(raw_listed, REASON_LISTED_ON)
        removed_on = parse_date(raw_removed, REASON_REMOVED_ON)
        if listed_on and removed_on and removed_on < listed_on:
            raise Rejected(REASON_ORDER)
        return (
            name,
            name,
            number,
            masked,
            _repeated(category),
            _repeated(authority),
            _optional(doc_ref),
            listed_on,
            removed_on,
        )
