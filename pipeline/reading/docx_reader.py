"""Read a .docx letter into a Document.

We read the package ourselves (zipfile + lxml) instead of through python-docx:
python-docx builds a wrapper object per paragraph/run/cell and parses parts we
never use, and it is strict about package details that WPS and home-made
generators get wrong. Walking the lxml tree directly is both faster and more
lenient.

What the Document looks like (extraction relies on this):

* Body paragraphs and tables in body order. Content controls (w:sdt) and
  custom-XML wrappers are transparent. Every body paragraph counts for
  `Location.paragraph`, empty ones included.
* Tables are grids: gridSpan/hMerge/vMerge repeat the merged text into every
  slot they cover, gridBefore/gridAfter give empty slots, short rows are
  padded, so each row has the table's full width. `Location.table` numbers
  every table in reading order (nested and text-box tables included).
* A table nested inside a cell is cut out of the cell: the outer table is split
  after the row holding it and the nested table follows as its own Table, then
  the outer table continues (same table index, real row numbers). Outer pieces
  whose cells are all blank (pure layout) are dropped, so a roster inside a
  one-cell layout table reads as an ordinary table.
* Text boxes (DrawingML wps:txbx and VML v:textbox, and VML WordArt's
  v:textpath) become Paragraphs with
  `Location(part="textbox", paragraph=<anchor body paragraph>)`. For
  mc:AlternateContent only the Choice branch is read, so a box Word wrote twice
  (Choice + Fallback) appears once. Text-box text inside a table cell is
  appended to that cell's text.
* Headers and footers of every section go to Document.headers/footers (tables
  there flattened to one tab-joined Paragraph per row; blank lines dropped).
* Tracked changes are read as accepted (insertions kept, deletions dropped);
  hidden text (w:vanish) and field codes are skipped. Line breaks are "\n",
  tabs "\t"; a page break inside a paragraph is "\n", at its edges nothing.
* Word's automatic list numbers are drawn into the text as Word shows them
  ("1.\t王伟", "一、总体要求", an auto-numbered 序号 cell reads "3"); bullets
  add nothing.
* Problems the clerk should know about (embedded Excel objects, altChunks,
  hidden text, damaged style/header parts) go to Document.notes in Chinese.
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree

from pipeline.document import Block, Cell, Document, Location, Paragraph, Part, Table
from pipeline.errors import CorruptFile, EncryptedFile, UnreadableLetter

log = logging.getLogger(__name__)

# --- namespaces and tags -------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
O_NS = "urn:schemas-microsoft-com:office:office"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# ISO/IEC 29500 Strict namespaces -> their Transitional twins (some WPS and
# "Strict Open XML" saves use these); rewritten in the raw bytes before parsing.
_STRICT_NS = (
    (b"http://purl.oclc.org/ooxml/wordprocessingml/main", W_NS.encode()),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships", R_NS.encode()),
)


def _w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


W_BODY = _w("body")
W_P = _w("p")
W_R = _w("r")
W_T = _w("t")
W_TAB = _w("tab")
W_PTAB = _w("ptab")
W_BR = _w("br")
W_CR = _w("cr")
W_SYM = _w("sym")
W_NOBREAKHYPHEN = _w("noBreakHyphen")
W_DRAWING = _w("drawing")
W_PICT = _w("pict")
W_OBJECT = _w("object")
W_RUBY = _w("ruby")
W_RUBYBASE = _w("rubyBase")
W_TXBX = _w("txbxContent")
W_TBL = _w("tbl")
W_TR = _w("tr")
W_TC = _w("tc")
W_TRPR = _w("trPr")
W_TCPR = _w("tcPr")
W_GRIDSPAN = _w("gridSpan")
W_GRIDBEFORE = _w("gridBefore")
W_GRIDAFTER = _w("gridAfter")
W_VMERGE = _w("vMerge")
W_HMERGE = _w("hMerge")
W_SDT = _w("sdt")
W_SDTCONTENT = _w("sdtContent")
W_CUSTOMXML = _w("customXml")
W_ALTCHUNK = _w("altChunk")
W_PPR = _w("pPr")
W_RPR = _w("rPr")
W_PSTYLE = _w("pStyle")
W_RSTYLE = _w("rStyle")
W_JC = _w("jc")
W_SZ = _w("sz")
W_B = _w("b")
W_VANISH = _w("vanish")
W_SECTPR = _w("sectPr")
W_HEADERREF = _w("headerReference")
W_FOOTERREF = _w("footerReference")
W_STYLE = _w("style")
W_BASEDON = _w("basedOn")
W_DOCDEFAULTS = _w("docDefaults")
W_VAL = _w("val")
W_CHAR = _w("char")
W_TYPE = _w("type")
W_STYLEID = _w("styleId")
W_DEFAULT = _w("default")
W_NUMPR = _w("numPr")
W_NUMID = _w("numId")
W_ILVL = _w("ilvl")
W_NUM = _w("num")
W_ABSTRACTNUM = _w("abstractNum")
W_ABSTRACTNUMID = _w("abstractNumId")
W_LVL = _w("lvl")
W_LVLOVERRIDE = _w("lvlOverride")
W_STARTOVERRIDE = _w("startOverride")
W_START = _w("start")
W_NUMFMT = _w("numFmt")
W_LVLTEXT = _w("lvlText")
W_SUFF = _w("suff")
W_ISLGL = _w("isLgl")
MC_ALT = f"{{{MC_NS}}}AlternateContent"
MC_CHOICE = f"{{{MC_NS}}}Choice"
MC_FALLBACK = f"{{{MC_NS}}}Fallback"
O_OLEOBJECT = f"{{{O_NS}}}OLEObject"
V_TEXTPATH = "{urn:schemas-microsoft-com:vml}textpath"
R_ID = f"{{{R_NS}}}id"

# Inline wrappers whose runs are part of the paragraph text. w:del and
# w:moveFrom (tracked deletions) are deliberately absent.
_INLINE_WRAPPERS = frozenset(
    _w(n) for n in ("hyperlink", "ins", "smartTag", "customXml", "fldSimple", "moveTo", "dir", "bdo")
)
_SHAPES = frozenset((W_DRAWING, W_PICT, W_OBJECT, MC_ALT))
_BLOCKS = frozenset((W_P, W_TBL, W_ALTCHUNK))
_CELL_BLOCKS = frozenset((W_P, W_TBL))

# Cells holding anything beyond plain runs of text need the full inline walk; the
# rest (nearly every roster cell) take a C-level text fast path. One query per table.
_COMPLEX_CELLS = etree.XPath(
    ".//w:tc[.//w:tab or .//w:ptab or .//w:br or .//w:cr or .//w:sym or .//w:noBreakHyphen"
    " or .//w:drawing or .//w:pict or .//w:object or .//w:ruby or .//w:tbl or .//w:numPr"
    " or .//w:pStyle or .//w:sdt or .//w:customXml or .//mc:AlternateContent or .//w:vanish]",
    namespaces={"w": W_NS, "mc": MC_NS},
)
_ROW = frozenset((W_TR,))
_CELL = frozenset((W_TC,))

Align = Literal["left", "center", "right", "justify"]
_ALIGN: dict[str, Align] = {
    "left": "left",
    "start": "left",
    "center": "center",
    "right": "right",
    "end": "right",
    "both": "justify",
    "justify": "justify",
    "distribute": "justify",
    "lowKashida": "justify",
    "mediumKashida": "justify",
    "highKashida": "justify",
    "thaiDistribute": "justify",
}
_BLANKS = " \t\n\u3000\f"
_OFF = frozenset(("0", "false", "off", "none"))

_MAX_PART_BYTES = 200 * 1024 * 1024  # a letter's XML is kilobytes; refuse zip bombs
_PAGE_BREAK = "\f"  # placeholder: page breaks at a paragraph's edge are dropped, inner ones -> "\n"

_STYLES_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.-]*):styles\b[^>]*>")
_ATTR_RE = re.compile(rb"([\w.-]+:)?([\w.-]+)\s*=\s*([\"'])(.*?)\3", re.S)

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=True
)


def _on(el: etree._Element) -> bool:
    """OOXML toggle property: present and not switched off."""
    return el.get(W_VAL, "1") not in _OFF


def _size(el: etree._Element) -> float | None:
    try:
        return float(el.get(W_VAL, "")) / 2
    except ValueError:
        return None


def _choose(alt: etree._Element) -> etree._Element | None:
    """The branch of mc:AlternateContent to read: the first Choice, else the Fallback.

    Word writes text boxes twice (wps in Choice, VML in Fallback); reading one
    branch only is what keeps their text from appearing twice.
    """
    fallback = None
    for child in alt:
        if child.tag == MC_CHOICE:
            return child
        if child.tag == MC_FALLBACK:
            fallback = child
    return fallback


def _flatten(el: etree._Element, wanted: frozenset[str]) -> Iterator[etree._Element]:
    """Children of `el` with tags in `wanted`, looking through sdt/customXml/AlternateContent."""
    for child in el:
        tag = child.tag
        if tag in wanted:
            yield child
        elif tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _flatten(content, wanted)
        elif tag == W_CUSTOMXML:
            yield from _flatten(child, wanted)
        elif tag == MC_ALT:
            branch = _choose(child)
            if branch is not None:
                yield from _flatten(branch, wanted)


# --- styles --------------------------------------------------------------------


@dataclass(slots=True)
class _Style:
    kind: str
    based_on: str | None
    jc: str | None
    sz: float | None
    bold: bool | None
    num: tuple[str | None, str | None] | None = None  # (numId, ilvl) from w:numPr


class _Styles:
    """Paragraph/character style properties with basedOn inheritance, resolved lazily.

    A styles part can be far bigger than the letter (python-docx's template
    carries 350 kB of table styles) and a letter uses a handful of them, so
    `from_bytes` only indexes where each w:style sits and parses a style the
    first time it is asked for; `from_tree` is the slow, general fallback.
    """

    def __init__(self) -> None:
        self._raw: dict[str, _Style | None] = {}
        self._spans: dict[str, tuple[int, int]] = {}
        self._data = b""
        self._wrap = (b"", b"")
        self._para: dict[str | None, tuple[str | None, float | None, bool | None]] = {}
        self._char: dict[str, tuple[float | None, bool | None]] = {}
        self._default_para: str | None = None
        self._doc = _Style("", None, None, None, None)

    @classmethod
    def from_tree(cls, root: etree._Element) -> _Styles:
        self = cls()
        for el in root:
            if el.tag == W_STYLE:
                sid = el.get(W_STYLEID)
                if sid is None:
                    continue
                style = self._parse(el)
                self._raw[sid] = style
                if style.kind == "paragraph" and _on_attr(el.get(W_DEFAULT)) and self._default_para is None:
                    self._default_para = sid
            elif el.tag == W_DOCDEFAULTS:
                for sub in el.iter(W_PPR, W_RPR):
                    self._props(sub, self._doc)
        return self

    @classmethod
    def from_bytes(cls, data: bytes) -> _Styles | None:
        """Index the styles part without parsing it; None when it is too unusual to slice safely."""
        if b"<!--" in data or b"<![CDATA[" in data:
            return None
        root = _STYLES_ROOT_RE.search(data)
        if root is None or W_NS.encode() not in root.group(0):
            return None
        self = cls()
        if root.group(0).endswith(b"/>"):
            return self
        prefix = root.group(1)
        self._data = data
        self._wrap = (root.group(0), b"</" + prefix + b":styles>")
        end_tag = b"</" + prefix + b":style>"
        start_re = re.compile(rb"<" + re.escape(prefix) + rb":style\s([^>]*)>")
        for m in start_re.finditer(data, root.end()):
            attrs = {name: value for _, name, _, value in _ATTR_RE.findall(m.group(1))}
            if any(b"&" in v for v in attrs.values()):
                return None
            if m.group(1).endswith(b"/"):
                end = m.end()
            else:
                close = data.find(end_tag, m.end())
                if close < 0:
                    return None
                end = close + len(end_tag)
            sid = attrs.get(b"styleId")
            if sid is None:
                continue
            name = sid.decode("utf-8", "replace")
            self._spans.setdefault(name, (m.start(), end))
            if (
                self._default_para is None
                and attrs.get(b"type", b"paragraph") == b"paragraph"
                and _on_attr(attrs.get(b"default", b"").decode() or None)
            ):
                self._default_para = name
        start = data.find(b"<" + prefix + b":docDefaults")
        close_tag = b"</" + prefix + b":docDefaults>"
        close = data.find(close_tag, start)
        if start >= 0 and close >= 0:
            defaults = self._slice(start, close + len(close_tag))
            if defaults is not None:
                for sub in defaults.iter(W_PPR, W_RPR):
                    self._props(sub, self._doc)
        return self

    def _slice(self, start: int, end: int) -> etree._Element | None:
        try:
            root = etree.fromstring(self._wrap[0] + self._data[start:end] + self._wrap[1], _PARSER)
        except etree.XMLSyntaxError:
            return None
        return root[0] if len(root) else None

    def _style(self, sid: str) -> _Style | None:
        try:
            return self._raw[sid]
        except KeyError:
            pass
        span = self._spans.get(sid)
        el = self._slice(*span) if span else None
        style = self._parse(el) if el is not None else None
        self._raw[sid] = style
        return style

    @classmethod
    def _parse(cls, el: etree._Element) -> _Style:
        style = _Style(el.get(W_TYPE, "paragraph"), None, None, None, None)
        for child in el:
            tag = child.tag
            if tag == W_BASEDON:
                style.based_on = child.get(W_VAL)
            elif tag in (W_PPR, W_RPR):
                cls._props(child, style)
        return style

    @staticmethod
    def _props(container: etree._Element, style: _Style) -> None:
        for prop in container:
            tag = prop.tag
            if tag == W_JC:
                style.jc = prop.get(W_VAL)
            elif tag == W_SZ:
                style.sz = _size(prop)
            elif tag == W_B:
                style.bold = _on(prop)
            elif tag == W_NUMPR:
                style.num = _num_pr(prop)

    def _chain(self, sid: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while sid is not None and sid not in seen:
            style = self._style(sid)
            if style is None:
                return
            seen.add(sid)
            yield style
            sid = style.based_on

    def para(self, sid: str | None) -> tuple[str | None, float | None, bool | None]:
        """(jc, size, bold) a paragraph of style `sid` gets from styles and document defaults."""
        try:
            return self._para[sid]
        except KeyError:
            pass
        jc = sz = bold = None
        known = sid is not None and self._style(sid) is not None
        for style in self._chain(sid if known else self._default_para):
            jc = style.jc if jc is None else jc
            sz = style.sz if sz is None else sz
            bold = style.bold if bold is None else bold
        result = (
            jc if jc is not None else self._doc.jc,
            sz if sz is not None else self._doc.sz,
            bold if bold is not None else self._doc.bold,
        )
        self._para[sid] = result
        return result

    def num(self, sid: str | None) -> tuple[str | None, str | None] | None:
        """(numId, ilvl) a paragraph style puts on its paragraphs (Word's "List Number" styles)."""
        known = sid is not None and self._style(sid) is not None
        for style in self._chain(sid if known else self._default_para):
            if style.num is not None:
                return style.num
        return None

    def char(self, sid: str) -> tuple[float | None, bool | None]:
        """(size, bold) set by character style `sid` (None: inherit from the paragraph)."""
        try:
            return self._char[sid]
        except KeyError:
            pass
        sz = bold = None
        for style in self._chain(sid):
            sz = style.sz if sz is None else sz
            bold = style.bold if bold is None else bold
        self._char[sid] = (sz, bold)
        return sz, bold


def _load_styles(pkg: _Package, name: str | None, notes: set[str]) -> _Styles:
    """The styles part, sliced lazily when possible; damage there costs formatting only."""
    if name is None:
        return _Styles()
    try:
        data = pkg.read_xml_bytes(name)
        fast = _Styles.from_bytes(data)
        if fast is not None:
            return fast
        return _Styles.from_tree(pkg.xml(name))
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        log.warning("skipping damaged styles part %s: %s", name, exc)
        notes.add("Word 文件中部分辅助内容（样式、编号或页眉页脚）已损坏，已跳过，请核对原件。")
        return _Styles()


def _on_attr(value: str | None) -> bool:
    return value is not None and value not in _OFF


def _num_pr(el: etree._Element) -> tuple[str | None, str | None]:
    num_id = ilvl = None
    for child in el:
        if child.tag == W_NUMID:
            num_id = child.get(W_VAL)
        elif child.tag == W_ILVL:
            ilvl = child.get(W_VAL)
    return num_id, ilvl


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


# --- walking -------------------------------------------------------------------


@dataclass(slots=True)
class _Para:
    """What one w:p yields: its text, dominant formatting and the text boxes it anchors."""

    parts: list[str] = field(default_factory=list)
    nonblank: bool = False
    boxes: list[tuple[bool, etree._Element]] = field(default_factory=list)  # (before text?, txbxContent)
    sizes: dict[float, int] = field(default_factory=dict)
    bold_chars: int = 0
    chars: int = 0

    def text(self) -> str:
        text = "".join(self.parts)
        if _PAGE_BREAK in text:
            text = text.strip(_PAGE_BREAK).replace(_PAGE_BREAK, "\n")
        return text


class _Walker:
    """Turns one XML part (body, header or footer) into blocks."""

    def __init__(
        self,
        styles: _Styles,
        numbering: _Numbering,
        part: Part,
        notes: set[str],
        table_counter: list[int],
    ) -> None:
        self.styles = styles
        self.numbering = numbering
        self.part = part
        self.notes = notes
        self.blocks: list[Block] = []
        self.n_paragraphs = 0
        self._tables = table_counter  # shared so table indexes are unique per part kind
        self._anchor: int | None = None  # body paragraph index while inside a text box
        self._complex: set[etree._Element] | None = None  # cells of the current table needing the full walk

    # -- blocks --

    def walk(self, container: etree._Element) -> None:
        for el in _flatten(container, _BLOCKS):
            if el.tag == W_P:
                self._paragraph(el)
            elif el.tag == W_TBL:
                self._table(el)
            else:
                self.notes.add("文件中含有嵌入的外部文档片段（altChunk），其内容未读取，请人工核对原件。")

    def _paragraph(self, p: etree._Element) -> None:
        pstyle = jc = num = None
        mark_sz = mark_bold = None
        ppr = p[0] if len(p) and p[0].tag == W_PPR else ()
        for prop in ppr:
            tag = prop.tag
            if tag == W_PSTYLE:
                pstyle = prop.get(W_VAL)
            elif tag == W_JC:
                jc = prop.get(W_VAL)
            elif tag == W_NUMPR:
                num = _num_pr(prop)
            elif tag == W_RPR:
                for rp in prop:
                    if rp.tag == W_SZ:
                        mark_sz = _size(rp)
                    elif rp.tag == W_B:
                        mark_bold = _on(rp)
        s_jc, s_sz, s_bold = self.styles.para(pstyle)
        acc = _Para()
        self._inline(p, acc, s_sz, s_bold, True)
        label = self._label(num, pstyle)

        if acc.chars:
            font_size: float | None = max(acc.sizes.items(), key=lambda kv: kv[1])[0] if acc.sizes else None
            bold: bool | None = acc.bold_chars * 2 > acc.chars
        else:  # empty paragraph: what its mark (or style) says
            font_size = mark_sz if mark_sz is not None else s_sz
            bold = mark_bold if mark_bold is not None else s_bold
        if self._anchor is None:
            index = self.n_paragraphs
            self.n_paragraphs += 1
            location = Location(part=self.part, paragraph=index)
        else:
            index = self._anchor
            location = Location(part="textbox" if self.part == "body" else self.part, paragraph=index)
        paragraph = Paragraph(
            text=_labelled(label, acc.text()),
            location=location,
            align=_ALIGN.get(jc or s_jc or "left"),
            font_size=font_size,
            bold=bold,
        )
        # Text boxes go right BEFORE their anchor paragraph when no text precedes
        # the anchor run (floating boxes, the usual letterhead case, are anchored
        # at the start of the paragraph and drawn from its top), otherwise right
        # AFTER it (an inline box following the paragraph's text).
        before = [box for first, box in acc.boxes if first]
        after = [box for first, box in acc.boxes if not first]
        for box in before:
            self._textbox(box, index)
        self.blocks.append(paragraph)
        for box in after:
            self._textbox(box, index)

    def _label(self, num: tuple[str | None, str | None] | None, pstyle: str | None) -> str | None:
        """The list label Word would draw before this paragraph (advancing the list)."""
        if num is None:
            num = self.styles.num(pstyle)
            if num is None:
                return None
        elif num[0] is None:  # numPr with only an ilvl: the numId comes from the style
            inherited = self.styles.num(pstyle)
            num = (inherited[0] if inherited else None, num[1])
        return self.numbering.label(num[0], num[1])

    def _textbox(self, content: etree._Element, anchor: int) -> None:
        if content.tag == V_TEXTPATH:  # VML WordArt: one line of text in an attribute
            text = content.get("string", "")
            if text:
                part: Part = "textbox" if self.part == "body" else self.part
                self.blocks.append(Paragraph(text, Location(part=part, paragraph=anchor), align="center"))
            return
        outer = self._anchor
        self._anchor = anchor if outer is None else outer
        try:
            self.walk(content)
        finally:
            self._anchor = outer

    # -- inline content --

    def _inline(self, el: etree._Element, acc: _Para, sz: float | None, bold: bool | None, fmt: bool) -> None:
        for child in el:
            tag = child.tag
            if tag == W_R:
                self._run(child, acc, sz, bold, fmt)
            elif tag in _INLINE_WRAPPERS:
                self._inline(child, acc, sz, bold, fmt)
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    self._inline(content, acc, sz, bold, fmt)
            elif tag == MC_ALT:
                branch = _choose(child)
                if branch is not None:
                    self._inline(branch, acc, sz, bold, fmt)

    def _run(self, r: etree._Element, acc: _Para, p_sz: float | None, p_bold: bool | None, fmt: bool) -> None:
        sz = bold = rstyle = None
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == W_T:
                if child.text:
                    parts.append(child.text)
            elif tag == W_RPR:
                for prop in child:
                    ptag = prop.tag
                    if ptag == W_SZ:
                        sz = _size(prop)
                    elif ptag == W_B:
                        bold = _on(prop)
                    elif ptag == W_RSTYLE:
                        rstyle = prop.get(W_VAL)
                    elif ptag == W_VANISH and _on(prop):
                        self.notes.add("文件中含有隐藏文字，已忽略（以打印可见内容为准）。")
                        return
            elif tag in (W_TAB, W_PTAB):
                parts.append("\t")
            elif tag == W_BR:
                kind = child.get(W_TYPE)
                parts.append(_PAGE_BREAK if kind in ("page", "column") else "\n")
            elif tag == W_CR:
                parts.append("\n")
            elif tag == W_NOBREAKHYPHEN:
                parts.append("-")
            elif tag == W_SYM:
                ch = _symbol(child.get(W_CHAR))
                if ch:
                    parts.append(ch)
            elif tag in _SHAPES:
                if tag == W_OBJECT and child.find(f".//{O_OLEOBJECT}") is not None:
                    self.notes.add("文件中含有嵌入对象（如 Excel 表格），其内容未读取，请人工核对原件。")
                first = not (acc.nonblank or any(p.strip() for p in parts))
                for box in _find_boxes(child):
                    acc.boxes.append((first, box))
            elif tag == W_RUBY:
                base = child.find(W_RUBYBASE)
                if base is not None:
                    self._inline(base, acc, p_sz, p_bold, fmt)
        if not parts:
            return
        text = "".join(parts)
        acc.parts.append(text)
        n = len(text) - sum(text.count(c) for c in _BLANKS)
        if n <= 0:
            return
        acc.nonblank = True
        if not fmt:
            return
        if rstyle is not None and (sz is None or bold is None):
            c_sz, c_bold = self.styles.char(rstyle)
            sz = c_sz if sz is None else sz
            bold = c_bold if bold is None else bold
        sz = p_sz if sz is None else sz
        bold = p_bold if bold is None else bold
        acc.chars += n
        if sz is not None:
            acc.sizes[sz] = acc.sizes.get(sz, 0) + n
        if bold:
            acc.bold_chars += n

    # -- tables --

    def _table(self, tbl: etree._Element) -> None:
        if self._complex is None:  # outermost table: find the cells that need the full walk
            self._complex = set(_COMPLEX_CELLS(tbl))
            try:
                self._table_in(tbl)
            finally:
                self._complex = None
            return
        self._table_in(tbl)

    def _table_in(self, tbl: etree._Element) -> None:
        index = self._tables[0]
        self._tables[0] += 1
        part: Part = "textbox" if self._anchor is not None and self.part == "body" else self.part
        table_loc = Location(part=part, table=index)
        # Pieces are appended to self.blocks as soon as they end (so nested tables
        # land after them) and get their cells once the table's width is known.
        pieces: list[tuple[Table, list[tuple[int, list[str]]]]] = []
        rows: list[tuple[int, list[str]]] = []
        prev: list[str] = []  # previous row's slot texts, for vMerge continuation
        has_nested = False

        def flush(keep_blank: bool) -> None:
            nonlocal rows
            if rows and (keep_blank or any(t.strip() for _, texts in rows for t in texts)):
                table = Table(rows=[], location=table_loc)
                self.blocks.append(table)
                pieces.append((table, rows))
            rows = []

        for r, tr in enumerate(_flatten(tbl, _ROW)):
            nested: list[etree._Element] = []
            texts = self._row(tr, prev, nested)
            prev = texts
            rows.append((r, texts))
            if nested:
                has_nested = True
                flush(False)
                for inner in nested:
                    self._table_in(inner)
        flush(not has_nested)

        width = max((len(texts) for _, piece in pieces for _, texts in piece), default=0)
        for table, piece in pieces:
            table.rows = [
                [
                    Cell(texts[c] if c < len(texts) else "", Location(part=part, table=index, row=r, col=c))
                    for c in range(width)
                ]
                for r, texts in piece
            ]

    def _row(self, tr: etree._Element, prev: list[str], nested: list[etree._Element]) -> list[str]:
        """One row as grid-slot texts: spans repeated, vMerge continuations copied from above."""
        texts: list[str] = []
        after = 0
        trpr = tr.find(W_TRPR)
        if trpr is not None:
            for prop in trpr:
                if prop.tag == W_GRIDBEFORE:
                    texts.extend("" for _ in range(_int(prop.get(W_VAL))))
                elif prop.tag == W_GRIDAFTER:
                    after = _int(prop.get(W_VAL))
        for tc in _flatten(tr, _CELL):
            span, vmerge, hmerge = 1, None, None
            tcpr = tc.find(W_TCPR)
            if tcpr is not None:
                for prop in tcpr:
                    if prop.tag == W_GRIDSPAN:
                        span = max(1, _int(prop.get(W_VAL), 1))
                    elif prop.tag == W_VMERGE:
                        vmerge = prop.get(W_VAL, "continue")
                    elif prop.tag == W_HMERGE:
                        hmerge = prop.get(W_VAL, "continue")
            col = len(texts)
            if vmerge == "continue" and col < len(prev):
                text = prev[col]
                self._cell_text(tc, nested)  # a continuation cell may still hold a nested table
            elif hmerge == "continue" and texts:
                text = texts[-1]
            else:
                text = self._cell_text(tc, nested)
            texts.extend(text for _ in range(span))
        texts.extend("" for _ in range(after))
        return texts

    def _cell_text(self, tc: etree._Element, nested: list[etree._Element]) -> str:
        if self._complex is not None and tc not in self._complex:
            # Plain runs only: the same text the inline walk would give, without the walk.
            return "\n".join("".join(p.itertext(W_T, with_tail=False)) for p in tc.iter(W_P)).strip("\n")
        lines: list[str] = []
        for el in _flatten(tc, _CELL_BLOCKS):
            if el.tag == W_TBL:
                nested.append(el)
                continue
            acc = _Para()
            self._inline(el, acc, None, None, False)
            label = None
            if len(el) and el[0].tag == W_PPR:
                ppr = el[0]
                num_pr = ppr.find(W_NUMPR)
                style = ppr.find(W_PSTYLE)
                pstyle = style.get(W_VAL) if style is not None else None
                if num_pr is not None or pstyle is not None:
                    label = self._label(_num_pr(num_pr) if num_pr is not None else None, pstyle)
            lines.append(_labelled(label, acc.text()))
            for _, box in acc.boxes:  # text boxes in a cell: appended to the cell's text
                if box.tag == V_TEXTPATH:
                    lines.append(box.get("string", ""))
                    continue
                for bp in _flatten(box, frozenset((W_P,))):
                    inner = _Para()
                    self._inline(bp, inner, None, None, False)
                    lines.append(inner.text())
        return "\n".join(lines).strip("\n")


def _labelled(label: str | None, text: str) -> str:
    if label is None:
        return text
    return label + text if text else label.rstrip()


def _find_boxes(el: etree._Element) -> list[etree._Element]:
    """Text containers inside a drawing/pict/object, reading one AlternateContent branch:
    w:txbxContent (text boxes, DrawingML WordArt) and v:textpath (VML WordArt, as
    old Word and WPS write red letterheads)."""
    out: list[etree._Element] = []
    stack = [el]
    while stack:
        node = stack.pop()
        if node.tag == W_TXBX or node.tag == V_TEXTPATH:
            out.append(node)
            continue
        if node.tag == MC_ALT:
            branch = _choose(node)
            if branch is not None:
                stack.append(branch)
            continue
        stack.extend(reversed(node))
    return out


def _symbol(code: str | None) -> str:
    """w:sym: a character from a symbol font; private-use (Symbol/Wingdings) glyphs are dropped."""
    try:
        value = int(code or "", 16)
    except ValueError:
        return ""
    if 0xE000 <= value <= 0xF8FF or value < 0x20:
        return ""
    return chr(value)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


# --- the package ---------------------------------------------------------------


class _Package:
    """The zip, read leniently: parts found by relationship, then by conventional name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf = zipfile.ZipFile(path)
        self.names = {n.replace("\\", "/").lstrip("/").lower(): n for n in self.zf.namelist()}

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def read(self, name: str) -> bytes:
        info = self.zf.getinfo(self.names[name.lower()])
        if info.file_size > _MAX_PART_BYTES:
            raise CorruptFile(
                f"{self.path.name}: part {name} is implausibly large ({info.file_size} bytes)",
                "该 Word 文件内部数据异常（内容过大），无法读取，请向来函单位索取正常的文件。",
            )
        return self.zf.read(info)

    def read_xml_bytes(self, name: str) -> bytes:
        """A part's bytes with Strict namespaces rewritten to Transitional."""
        data = self.read(name)
        for strict, transitional in _STRICT_NS:
            if strict in data:
                data = data.replace(strict, transitional)
        return data

    def xml(self, name: str) -> etree._Element:
        data = self.read_xml_bytes(name)
        root = etree.fromstring(data, _PARSER)
        ns = etree.QName(root).namespace
        if ns and ns != W_NS:
            # An unknown WordprocessingML dialect namespace: read it as the standard one.
            root = etree.fromstring(data.replace(ns.encode(), W_NS.encode()), _PARSER)
        return root

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part name) for a part's relationships; [] when absent or unreadable."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_name):
            return []
        try:
            root = etree.fromstring(self.read(rels_name), _PARSER)
        except etree.XMLSyntaxError:
            return []
        out = []
        for rel in root:
            if not isinstance(rel.tag, str) or etree.QName(rel).localname != "Relationship":
                continue
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            if target.startswith("/"):
                name = target.lstrip("/")
            else:
                name = posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Id", ""), rel.get("Type", ""), name))
        return out

    def main_part(self) -> str | None:
        for _, rtype, name in self.rels(""):
            if rtype.endswith("/officeDocument") and self.has(name):
                return name
        if self.has("word/document.xml"):
            return "word/document.xml"
        return next((n for n in self.names if n.endswith("/document.xml")), None)


def read_docx(path: Path) -> Document:
    """Read a .docx letter; any damage surfaces as CorruptFile/EncryptedFile, never a raw exception."""
    try:
        return _read(path)
    except UnreadableLetter:
        raise
    except RuntimeError as exc:  # zipfile: encrypted entry ("password required")
        if "password" in str(exc).lower() or "encrypted" in str(exc).lower():
            raise EncryptedFile(f"{path.name}: encrypted zip entry") from exc
        raise _corrupt(path, exc) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptFile(
            f"{path.name}: damaged zip container ({type(exc).__name__}: {exc})",
            "该 Word 文件已损坏（压缩包不完整或数据出错），无法打开，请向来函单位索取完整文件。",
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise CorruptFile(
            f"{path.name}: malformed XML in the document part ({exc})",
            "该 Word 文件内容结构已损坏，无法读取，请向来函单位索取完整文件或另存后重新放入。",
        ) from exc
    except Exception as exc:  # a file we cannot make sense of must still become a clerk message
        log.exception("unexpected failure reading %s", path.name)
        raise _corrupt(path, exc) from exc


def _corrupt(path: Path, exc: BaseException) -> CorruptFile:
    return CorruptFile(
        f"{path.name}: unreadable Word file ({type(exc).__name__}: {exc})",
        "该 Word 文件无法解析，可能已损坏，请向来函单位索取完整文件或另存为 .docx 后重新放入。",
    )


def _read(path: Path) -> Document:
    pkg = _Package(path)
    with pkg.zf:
        main = pkg.main_part()
        if main is None:
            raise CorruptFile(
                f"{path.name}: zip has no word/document.xml",
                "该文件不是完整的 Word 文档（缺少正文部分），无法读取，请向来函单位索取完整文件。",
            )
        root = pkg.xml(main)
        rels = pkg.rels(main)
        notes: set[str] = set()
        styles = _load_styles(pkg, _related(pkg, rels, "styles"), notes)

        body = root.find(W_BODY)
        numbering = _Numbering(lambda: _optional_xml(pkg, _related(pkg, rels, "numbering"), notes))
        tables = [0]
        walker = _Walker(styles, numbering, "body", notes, tables)
        if body is not None:
            walker.walk(body)
        else:
            notes.add("该 Word 文件没有正文内容。")

        by_id = {rid: (rtype, name) for rid, rtype, name in rels}
        headers = _furniture(pkg, root, by_id, rels, "header", styles, numbering, notes)
        footers = _furniture(pkg, root, by_id, rels, "footer", styles, numbering, notes)
    log.debug(
        "read docx %s: %d blocks, %d body paragraphs, %d tables",
        path.name,
        len(walker.blocks),
        walker.n_paragraphs,
        tables[0],
    )
    return Document(
        blocks=walker.blocks,
        source_type="docx",
        headers=headers,
        footers=footers,
        notes=sorted(notes),
    )


def _related(pkg: _Package, rels: list[tuple[str, str, str]], kind: str) -> str | None:
    """The document's styles/numbering part: by relationship, else by its usual name."""
    for _, rtype, name in rels:
        if rtype.endswith("/" + kind) and pkg.has(name):
            return name
    return f"word/{kind}.xml" if pkg.has(f"word/{kind}.xml") else None


def _optional_xml(pkg: _Package, name: str | None, notes: set[str]) -> etree._Element | None:
    """A secondary part (styles, header, footer): damage there costs formatting, not the letter."""
    if name is None:
        return None
    try:
        return pkg.xml(name)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        log.warning("skipping damaged part %s: %s", name, exc)
        notes.add("Word 文件中部分辅助内容（样式、编号或页眉页脚）已损坏，已跳过，请核对原件。")
        return None


def _furniture(
    pkg: _Package,
    root: etree._Element,
    by_id: dict[str, tuple[str, str]],
    rels: list[tuple[str, str, str]],
    kind: Literal["header", "footer"],
    styles: _Styles,
    numbering: _Numbering,
    notes: set[str],
) -> list[Paragraph]:
    """Headers or footers of all sections (default/first/even), each part once, in section order."""
    ref_tag = W_HEADERREF if kind == "header" else W_FOOTERREF
    names: list[str] = []
    for ref in root.iter(ref_tag):  # only inside sectPr elements; cheap: a few per document
        rel = by_id.get(ref.get(R_ID, ""))
        if rel is not None and rel[1] not in names:
            names.append(rel[1])
    for _, rtype, name in rels:  # parts related but not referenced (lenient with odd producers)
        if rtype.endswith("/" + kind) and name not in names:
            names.append(name)
    out: list[Paragraph] = []
    for name in names:
        if not pkg.has(name):
            continue
        part_root = _optional_xml(pkg, name, notes)
        if part_root is None:
            continue
        walker = _Walker(styles, numbering, kind, notes, [0])
        walker.walk(part_root)
        for block in walker.blocks:
            if isinstance(block, Paragraph):
                out.append(block)
            else:
                out.extend(
                    Paragraph("\t".join(c.text for c in row), Location(part=kind)) for row in block.rows
                )
    kept = [p for p in out if p.text.strip()]
    for i, p in enumerate(kept):
        p.location = Location(part=kind, paragraph=i)
    return kept
