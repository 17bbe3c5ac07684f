"""OOXML namespaces and tag names, the XML parser, and small element helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from lxml import etree

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

_MAX_PART_BYTES = 64 * 1024 * 1024  # a letter's XML is kilobytes; refuse zip bombs
_MAX_TOTAL_BYTES = 128 * 1024 * 1024  # all parts read for one letter, inflated (ten 60 MB headers are a bomb)
_PAGE_BREAK = "\f"  # placeholder: page breaks at a paragraph's edge are dropped, inner ones -> "\n"

_STYLES_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.-]*):styles\b[^>]*>")
_ATTR_RE = re.compile(rb"([\w.-]+:)?([\w.-]+)\s*=\s*([\"'])(.*?)\3", re.S)


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


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default
