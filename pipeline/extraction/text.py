"""Small text helpers shared by the extraction rules."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.domain.names import CJK, DOTS, WS_RE

NAME_RE = re.compile(rf"[{CJK}][{CJK}{re.escape(DOTS)}]*[{CJK}]|[{CJK}]")

SEAL_RE = re.compile(
    r"[（(]\s*(?:加盖|盖)?\s*(?:公章|印章|单位公章|单位印章|章)\s*[)）]|[（(]\s*盖\s*章\s*[)）]"
)

CN_NUM = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "О": 0, "o": 0, "◯": 0, "一": 1, "二": 2, "两": 2, "三": 3,
          "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip


def compact(text: str) -> str:
    """Remove every kind of white space (alignment spaces, ideographic spaces, PDF gaps)."""
    return WS_RE.sub("", text)


_FOLD = {
    code: code - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(r[0], r[1] + 1)
}


def fold_digits(text: str) -> str:
    """Full-width digits and Latin letters to half-width; CJK punctuation stays as printed."""
    return text.translate(_FOLD) if not text.isascii() else text


def strip_seal(text: str) -> str:
    return SEAL_RE.sub("", text)


def cn_number(text: str) -> int | None:
    """Chinese numerals up to 9999 (十二, 二十, 一百零五) or digits."""
    text = fold_digits(text.strip())
    if text.isdigit():
        return int(text)
    if not text:
        return None
    total, current = 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in text:
        if ch in CN_NUM:
            current = CN_NUM[ch]
        elif ch in units:
            total += (current or 1) * units[ch]
            current = 0
        else:
            return None
    return total + current


_YEAR_CN = "〇零○ＯOО◯一二三四五六七八九"
DATE_ARABIC = r"(?P<y>(?:19|20)\d{2})\s*(?:年|\.|-|/)\s*(?P<m>\d{1,2})\s*(?:月|\.|-|/)\s*(?P<d>\d{1,2})\s*日?"
DATE_CN = rf"(?P<cy>[{_YEAR_CN}]{{4}})\s*年\s*(?P<cm>[一二三四五六七八九十]{{1,3}})\s*月\s*(?P<cd>[一二三四五六七八九十]{{1,3}})\s*日"
DATE_RE = re.compile(rf"(?:{DATE_ARABIC}|{DATE_CN})")


def parse_date_match(m: re.Match[str]) -> dt.date | None:
    try:
        if m.group("y"):
            return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        year = int("".join(str(CN_NUM[c]) for c in m.group("cy")))
        month, day = cn_number(m.group("cm")), cn_number(m.group("cd"))
        if month is None or day is None:
            return None
        return dt.date(year, month, day)
    except (ValueError, KeyError):
        return None
