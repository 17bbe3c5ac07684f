"""Word's automatic list numbers (numbering.xml), drawn into the text as Word shows them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from pipeline.reading.docx_reader.tags import (
    W_ABSTRACTNUM,
    W_ABSTRACTNUMID,
    W_ILVL,
    W_ISLGL,
    W_LVL,
    W_LVLOVERRIDE,
    W_LVLTEXT,
    W_NUM,
    W_NUMFMT,
    W_NUMID,
    W_START,
    W_STARTOVERRIDE,
    W_SUFF,
    W_VAL,
    _int,
    _on,
)

# --- list numbering ----------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"


def _chinese(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (up to 9999, then Arabic)."""
    if not 0 < n < 10000:
        return str(n)
    out = ""
    pending_zero = False
    for value, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d, n = divmod(n, value)
        if d:
            if pending_zero:
                out += digits[0]
            out += ("" if (value == 10 and d == 1 and not out) else digits[d]) + unit
            pending_zero = False
        elif out:
            pending_zero = True
    return out


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, sym in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out += sym
            n -= value
    return out


def _letters(n: int) -> str:
    """Word's letter numbering: A..Z, AA..ZZ, AAA..."""
    if n < 1:
        return str(n)
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("decimal", "") or n < 1:
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt[0] == "u" else _roman(n).lower()
    if fmt in ("upperLetter", "lowerLetter"):
        return _letters(n) if fmt[0] == "u" else _letters(n).lower()
    if fmt in _CN_COUNTING:
        return _chinese(n)
    if fmt in ("ideographDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt == "chineseLegalSimplified":
        return _chinese(n, _CN_LEGAL, "拾佰仟")
    if fmt == "ideographTraditional" and n <= 10:
        return _STEMS[n - 1]
    if fmt == "ideographZodiac" and n <= 12:
        return _BRANCHES[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedParen" and n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalEnclosedFullstop" and n <= 20:
        return chr(0x2488 + n - 1)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate(_FULLWIDTH)
    return str(n)


# LibreOffice writes Chinese counting lists as taiwaneseCountingThousand.
_CN_COUNTING = frozenset(
    (
        "chineseCounting",
        "chineseCountingThousand",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "japaneseCounting",
    )
)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_SUFFIX = {"tab": "\t", "space": " ", "nothing": ""}


@dataclass(slots=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str | None = None
    suffix: str = "\t"
    legal: bool = False


def _level(el: etree._Element, base: _Level | None = None) -> _Level:
    lvl = _Level() if base is None else _Level(base.start, base.fmt, base.text, base.suffix, base.legal)
    for child in el:
        tag = child.tag
        if tag == W_START:
            lvl.start = _int(child.get(W_VAL), 1)
        elif tag == W_NUMFMT:
            lvl.fmt = child.get(W_VAL, "decimal")
        elif tag == W_LVLTEXT:
            lvl.text = child.get(W_VAL)
        elif tag == W_SUFF:
            lvl.suffix = _SUFFIX.get(child.get(W_VAL, "tab"), "\t")
        elif tag == W_ISLGL:
            lvl.legal = _on(child)
    return lvl


class _Numbering:
    """List labels (1.  一、 ⑴ ...) that Word draws in front of list paragraphs but
    never stores as text — an auto-numbered 序号 column is empty without them.

    Counters follow Word: per abstract list, deeper levels restart when a
    shallower one advances, a w:num's startOverride restarts its level on first
    use. The numbering part is only parsed once a numbered paragraph shows up.
    """

    def __init__(self, load: Callable[[], etree._Element | None]) -> None:
        self._load: Callable[[], etree._Element | None] | None = load
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._nums: dict[str, tuple[str, dict[int, tuple[int | None, etree._Element | None]]]] = {}
        self._levels: dict[tuple[str, int], _Level | None] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._used: set[str] = set()

    def _parse(self) -> None:
        load, self._load = self._load, None
        root = load() if load is not None else None
        if root is None:
            return
        for el in root:
            if el.tag == W_ABSTRACTNUM:
                levels = {}
                for lvl in el.iter(W_LVL):
                    levels[_int(lvl.get(W_ILVL))] = _level(lvl)
                self._abstract[el.get(W_ABSTRACTNUMID, "")] = levels
            elif el.tag == W_NUM:
                abstract = el.find(W_ABSTRACTNUMID)
                overrides: dict[int, tuple[int | None, etree._Element | None]] = {}
                for ov in el.iter(W_LVLOVERRIDE):
                    start = ov.find(W_STARTOVERRIDE)
                    overrides[_int(ov.get(W_ILVL))] = (
                        _int(start.get(W_VAL), 1) if start is not None else None,
                        ov.find(W_LVL),
                    )
                if abstract is not None:
                    self._nums[el.get(W_NUMID, "")] = (abstract.get(W_VAL, ""), overrides)

    def _lvl(self, num_id: str, ilvl: int) -> _Level | None:
        key = (num_id, ilvl)
        if key not in self._levels:
            abstract_id, overrides = self._nums[num_id]
            base = self._abstract.get(abstract_id, {}).get(ilvl)
            override = overrides.get(ilvl, (None, None))[1]
            self._levels[key] = _level(override, base) if override is not None else base
        return self._levels[key]

    def label(self, num_id: str | None, ilvl_text: str | None) -> str | None:
        """Advance the list and return the label with its suffix, or None (no list, bullets)."""
        if not num_id or num_id == "0":
            return None
        if self._load is not None:
            self._parse()
        if num_id not in self._nums:
            return None
        ilvl = min(max(_int(ilvl_text), 0), 8)
        lvl = self._lvl(num_id, ilvl)
        if lvl is None:
            return None
        abstract_id, overrides = self._nums[num_id]
        counters = self._counters.setdefault(abstract_id, [None] * 9)
        if num_id not in self._used:
            self._used.add(num_id)
            for level, (start, _) in overrides.items():
                if start is not None and 0 <= level < 9:
                    counters[level] = start - 1
        current = counters[ilvl]
        counters[ilvl] = lvl.start if current is None else current + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        if lvl.fmt in ("bullet", "none") or lvl.text is None:
            return None

        def value(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            if not 0 <= k < 9:
                return ""
            other = self._lvl(num_id, k) or _Level()
            n = counters[k] if counters[k] is not None else other.start
            return _format_number(n, "decimal" if lvl.legal else other.fmt)

        text = _LVL_TEXT_RE.sub(value, lvl.text)
        if not text.strip():
            return None
        return text + lvl.suffix


_LVL_TEXT_RE = re.compile(r"%([1-9])")
