"""Glyphs to visual lines: a space only where the page shows a gap; radicals folded; holes kept."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from pipeline.document import BBox
from pipeline.ideographs import fold

# A char tuple: (x0, top, x1, bottom, text, size, bold_font)
Char = tuple[float, float, float, float, str, float, bool]

BOLD_FONT = re.compile(r"bold|heavy|black|demi|semibold", re.I)


@dataclass(slots=True)
class Line:
    text: str
    bbox: BBox
    size: float
    bold: bool
    page: int
    align: str | None = None


def is_bad_text(text: str) -> bool:
    if text.startswith("(cid:"):
        return True
    return any(0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd" or (ord(ch) < 32) for ch in text)


def fix_radicals(text: str) -> str:
    """Some PDF producers map ideographs to look-alike Kangxi/supplement radicals or compatibility
    ideographs (⽂ U+2F42 for 文, ⻜ U+2EDC for 飞); fold those to the real characters
    (pipeline.ideographs: Unicode's own table, not NFKC, which misses the Radicals Supplement)."""
    return fold(text)


def is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def gap_threshold(a: str, b: str, size: float) -> float:
    """Gap (points) above which two neighbouring glyphs are visibly apart.

    Word/LibreOffice put ~0.2 em between CJK and Latin text and stretch
    justified CJK lines by ~0.1 em, neither of which is a space in the source.
    """
    if a and b and not is_cjk(a[-1]) and not is_cjk(b[0]):
        return 0.15 * size
    return 0.3 * size


def assemble(chars: list[Char], page: int) -> list[Line]:
    """Group chars into visual lines (by vertical overlap), each read left to right."""
    if not chars:
        return []
    chars.sort(key=lambda c: (c[1], c[0]))
    groups: list[list[Char]] = []
    spans: list[list[float]] = []  # [top, bottom] per group
    active: list[int] = []
    for ch in chars:
        top, bottom = ch[1], ch[3]
        height = max(bottom - top, 0.1)
        active = [i for i in active if spans[i][1] > top]
        best, best_overlap = -1, 0.5 * height
        for i in active:
            overlap = min(bottom, spans[i][1]) - max(top, spans[i][0])
            if overlap >= best_overlap:
                best, best_overlap = i, overlap
        if best < 0:
            groups.append([ch])
            spans.append([top, bottom])
            active.append(len(groups) - 1)
        else:
            groups[best].append(ch)
            span = spans[best]
            span[0] = min(span[0], top)
            span[1] = max(span[1], bottom)
    lines = [line_from(g, page) for g in groups]
    return [ln for ln in lines if ln is not None]


def line_from(chars: list[Char], page: int) -> Line | None:
    chars.sort(key=lambda c: c[0])
    parts: list[str] = []
    kept: list[Char] = []
    pending_space = False
    doubled = 0
    prev: Char | None = None
    for ch in chars:
        x0, top, _x1, _bottom, text, size, _ = ch
        if text.isspace():
            pending_space = bool(parts)
            continue
        # fake bold: the same glyph drawn again a fraction of a point away
        if any(k[4] == text and abs(k[0] - x0) <= 1.0 and abs(k[1] - top) <= 1.0 for k in kept[-3:]):
            doubled += 1
            continue
        if prev is not None and not pending_space:
            gap = x0 - prev[2]
            if gap > gap_threshold(prev[4], text, (size + prev[5]) / 2):
                pending_space = True
        if pending_space and parts:
            parts.append(" ")
        pending_space = False
        parts.append(text)
        kept.append(ch)
        prev = ch
    if not kept:
        return None
    sizes = [k[5] for k in kept]
    bold_font = sum(1 for k in kept if k[6])
    return Line(
        text="".join(parts),
        bbox=(
            min(k[0] for k in kept),
            min(k[1] for k in kept),
            max(k[2] for k in kept),
            max(k[3] for k in kept),
        ),
        size=round(statistics.median(sizes), 1),
        bold=bold_font * 2 >= len(kept) or doubled * 2 >= len(kept),
        page=page,
    )


def cell_text(chars: list[Char], page: int) -> str:
    """A cell's lines joined: wrapped IDs and names continue without a break."""
    out = ""
    for ln in assemble(chars, page):
        if (
            out
            and out[-1].isascii()
            and out[-1].isalpha()
            and ln.text[:1].isascii()
            and ln.text[:1].isalpha()
        ):
            out += " "
        out += ln.text
    return out
