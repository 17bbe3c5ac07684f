"""Resident ID numbers (居民身份证号码): normalise and check.

The check itself is python-stdnum's `stdnum.cn.ric` (港澳台 residence permits and the
2023 foreigner's permanent residence card follow their own variants: see idkinds); this module only wraps
its sharp edges: it raises KeyError-like failures for county codes it does not
know, treats an unknown region as invalid (real IDs keep the code of the place
they were issued, so that is only a note here), and rejects 15-digit numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from pipeline.domain.idkinds import (
    NOTE_FOREIGN_PROVINCE,
    PROBLEM_FOREIGN_2017,
    foreign_province_known,
    kind_of,
)

# Characters that stand for X in IDs as typed by people and OCR'd.
_X_LIKE = str.maketrans({"x": "X", "×": "X", "Ｘ": "X", "ｘ": "X", "╳": "X", "χ": "X"})
_OLD_15 = re.compile(r"[0-9]{15}")
_SHAPE_18 = re.compile(r"[0-9]{17}[0-9X]")
_SEPARATORS = re.compile(r"[\s\u00a0\u3000\u200b\-－—_.·]+")

PROBLEM_CHECK_DIGIT = "身份证号码校验位错误"
PROBLEM_BIRTH_DATE = "身份证号码中的出生日期不存在"
PROBLEM_LENGTH = "身份证号码位数不正确"
PROBLEM_FORMAT = "身份证号码含有非法字符"
NOTE_CONVERTED_15 = "原为15位旧身份证号码，已按规则升位为18位"
NOTE_UNKNOWN_REGION = "身份证号码前6位行政区划代码未在区划库中找到（或在出生前已撤销），请留意"

EARLIEST_BIRTH = dt.date(1900, 1, 1)


def normalise_id(text: str) -> str:
    """Full-width to half-width, separators out, x upper-cased: the 18 (or 15) characters as typed."""
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", folded.translate(_X_LIKE)).upper()


def upgrade_15(number: str) -> str:
    """Old 15-digit IDs (before 1999): insert the century '19' and compute the check digit."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


@dataclass(slots=True)
class IdCheck:
    number: str  # normalised, 18 characters where that was possible
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def birth_date(number: str) -> dt.date | None:
    """YYYYMMDD at positions 7-14 (what stdnum's get_birth_date reads, without its per-call clean-up)."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_id(text: str, today: dt.date | None = None) -> IdCheck:
    """Normalise and check one ID by the rules of its kind (citizen, 港澳台 residence permit, foreigner's
    permanent residence card: see idkinds); problems block a reply, notes only inform."""
    number = normalise_id(text)
    result = IdCheck(number)
    kind = kind_of(number)
    if kind == "foreign_permanent_2017":
        result.problems.append(PROBLEM_FOREIGN_2017)
        return result
    if _OLD_15.fullmatch(number):
        number = upgrade_15(number)
        result.number = number
        result.notes.append(NOTE_CONVERTED_15)
    if len(number) != 18:
        result.problems.append(PROBLEM_LENGTH)
        return result
    if not _SHAPE_18.fullmatch(number):
        result.problems.append(PROBLEM_FORMAT)
        return result
    born = birth_date(number)
    if born is None or not EARLIEST_BIRTH <= born <= (today or dt.date.today()):
        result.problems.append(PROBLEM_BIRTH_DATE)
    if number[-1] != ric.calc_check_digit(number):
        result.problems.append(PROBLEM_CHECK_DIGIT)
    if born is None or result.problems:
        return result
    if kind == "foreign_permanent":
        if not foreign_province_known(number):
            result.notes.append(NOTE_FOREIGN_PROVINCE)
    elif kind == "citizen" and not _region_known(number[:6], born.year):
        result.notes.append(NOTE_UNKNOWN_REGION)
    return result


@functools.lru_cache(maxsize=4096)
def _region_known(region: str, year: int) -> bool:
    """Did the code name a county at the birth year or any time since? (cached: rosters repeat regions)

    stdnum's get_birth_place asks only "at the birth year", so 610104 莲湖区 (since 1983)
    was doubtful for everyone born before 1983; an ID keeps the code under which it was
    issued, which may be later than the birth. Real doubt is a code that never existed,
    or one abolished before the person was born. The data is python-stdnum's cn/loc.
    """
    from stdnum import numdb

    try:
        found = numdb.get("cn/loc").info(region)
    except (ValidationError, KeyError, ValueError, IndexError):
        return False
    counties = [props["county"] for _, props in found[1:] if "county" in props]
    if not counties:
        return False  # the province is unknown, or no county ever had this code
    for county in ",".join(counties).split(","):
        if not county.startswith("["):
            return True  # no validity period recorded
        period = county[1:].split("]", 1)[0]
        _, _, end = period.partition("-")
        if not end or int(end) >= year:
            return True
    return False


def is_valid_id(text: str) -> bool:
    return check_id(text).valid


def looks_like_id(text: str) -> bool:
    """Could this token be an ID (valid or not)? Used to find roster rows."""
    number = normalise_id(text)
    return bool(_SHAPE_18.fullmatch(number) or _OLD_15.fullmatch(number))
