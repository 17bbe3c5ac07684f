"""One OFD page's content -> glyphs, rules and images in PDF points, origin top-left.

OFD places each object in its Boundary (mm), optionally through a CTM; a
TextCode gives the pen position of its first glyph and DeltaX the advances of
the rest ("g 3 5.6" is three advances of 5.6). The glyph box is estimated from
the font size (an OFD carries no glyph metrics we could trust), a full em for
CJK, half for Latin, which is what the line assembler needs to find gaps.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree

from pipeline.reading.ofd_reader.package import (
    MM,
    OfdPackage,
    Resources,
    box,
    child,
    children,
    local,
    numbers,
)

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_OBJECTS = 200_000  # per page: a letter page draws hundreds


@dataclass(slots=True)
class Placed:
    """An image drawn on the page: its media part and where (points)."""

    media: str | None
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(slots=True)
class PageContent:
    width: float  # points
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    images: list[Placed] = field(default_factory=list)
    strokes: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # x0 y0 x1 y1 width


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (row-vector convention, as in PDF and OFD)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def matrix(text: str | None) -> Matrix | None:
    vals = numbers(text)
    return (vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]) if len(vals) >= 6 else None


def deltas(text: str | None) -> list[float]:
    """DeltaX/DeltaY with the "g count value" repetition expanded."""
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                count, value = int(float(tokens[i + 1])), float(tokens[i + 2])
            except ValueError:
                i += 1
                continue
            out.extend([value] * max(0, min(count, 10_000)))
            i += 3
            continue
        with contextlib.suppress(ValueError):
            out.append(float(tokens[i]))
        i += 1
    return out


def _em(ch: str) -> float:
    """A glyph's width in ems, by its Unicode width class."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


class _Walker:
    def __init__(self, pkg: OfdPackage, resources: Resources, out: PageContent) -> None:
        self.pkg = pkg
        self.res = resources
        self.out = out
        self.count = 0

    def walk(self, root: etree._Element) -> None:
        content = child(root, "Content")
        if content is None:
            return
        for layer in children(content, "Layer"):
            self._objects(layer, IDENTITY)

    def _objects(self, parent: etree._Element, outer: Matrix) -> None:
        for el in parent:
            self.count += 1
            if self.count > MAX_OBJECTS:
                return
            name = local(el)
            if name == "TextObject":
                self._text(el, outer)
            elif name == "PathObject":
                self._path(el, outer)
            elif name == "ImageObject":
                self._image(el, outer)
            elif name in ("PageBlock", "CompositeObject"):
                self._objects(el, self._place(el, outer) if el.get("Boundary") else outer)

    def _place(self, el: etree._Element, outer: Matrix) -> Matrix:
        """Object space -> page (mm): the CTM, then the Boundary's origin, then the enclosing block."""
        b = box(el.get("Boundary")) or (0.0, 0.0, 0.0, 0.0)
        m = matrix(el.get("CTM")) or IDENTITY
        return multiply(multiply(m, (1.0, 0.0, 0.0, 1.0, b[0], b[1])), outer)

    def _text(self, el: etree._Element, outer: Matrix) -> None:
        m = self._place(el, outer)
        a, b, c, d = m[:4]
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        try:
            size = float(el.get("Size", "3.5"))
        except ValueError:
            size = 3.5
        font = self.res.fonts.get(el.get("Font", ""))
        weight = el.get("Weight", "")
        bold = (
            bool(font and font.bold) or (weight.isdigit() and int(weight) >= 600) or el.get("Bold") == "true"
        )
        fontname = (font.name if font else "") + ("-Bold" if bold else "")
        turned = abs(b) > 1e-6 or abs(c) > 1e-6 or a < 0 or d < 0
        turned = turned or el.get("ReadDirection", "0") != "0" or el.get("CharDirection", "0") != "0"
        x = y = 0.0
        for code in children(el, "TextCode"):
            text = _CONTROL.sub("", code.text or "")
            try:
                x = float(code.get("X", x))
                y = float(code.get("Y", y))
            except ValueError:
                pass
            dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
            vertical = bool(dy) and not dx
            for i, ch in enumerate(text):
                self._glyph(ch, x, y, size, scale, m, fontname, upright=not (turned or vertical))
                x += dx[i] if i < len(dx) else (0.0 if dy else size * _em(ch))
                y += dy[i] if i < len(dy) else 0.0

    def _glyph(
        self, ch: str, x: float, y: float, size: float, scale: float, m: Matrix, fontname: str, upright: bool
    ) -> None:
        px, py = apply(m, x, y)  # the baseline pen position, page mm
        em = size * scale
        x0, x1 = px * MM, (px + em * _em(ch)) * MM
        top, bottom = (py - 0.86 * em) * MM, (py + 0.14 * em) * MM
        self.out.chars.append(
            {"text": ch, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "size": em * MM,
             "fontname": fontname, "upright": upright}
        )  # fmt: skip

    def _path(self, el: etree._Element, outer: Matrix) -> None:
        stroke = el.get("Stroke", "true") != "false"
        fill = el.get("Fill", "false") == "true"
        if not (stroke or fill):
            return
        m = self._place(el, outer)
        try:
            width = float(el.get("LineWidth", "0.353"))
        except ValueError:
            width = 0.353
        data = child(el, "AbbreviatedData")
        if data is None or not data.text:
            return
        for x0, y0, x1, y1 in _segments(data.text):
            ax, ay = apply(m, x0, y0)
            bx, by = apply(m, x1, y1)
            self._edge(ax * MM, ay * MM, bx * MM, by * MM, width * MM)

    def _edge(self, ax: float, ay: float, bx: float, by: float, width: float) -> None:
        self.out.strokes.append((ax, ay, bx, by, width))
        if abs(ay - by) < 0.5 and abs(ax - bx) > 0.5:
            x0, x1 = sorted((ax, bx))
            top = (ay + by) / 2
            self.out.edges.append(
                {"object_type": "line", "orientation": "h", "x0": x0, "x1": x1, "top": top, "bottom": top,
                 "width": x1 - x0, "height": 0.0}
            )  # fmt: skip
        elif abs(ax - bx) < 0.5 and abs(ay - by) > 0.5:
            top, bottom = sorted((ay, by))
            x = (ax + bx) / 2
            self.out.edges.append(
                {"object_type": "line", "orientation": "v", "x0": x, "x1": x, "top": top, "bottom": bottom,
                 "width": 0.0, "height": bottom - top}
            )  # fmt: skip

    def _image(self, el: etree._Element, outer: Matrix) -> None:
        m = self._place(el, outer)
        corners = [apply(m, u, v) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]  # the unit square, placed
        xs, ys = [p[0] * MM for p in corners], [p[1] * MM for p in corners]
        media = self.res.media.get(el.get("ResourceID", ""))
        self.out.images.append(Placed(media, min(xs), min(ys), max(xs), max(ys)))


def _segments(data: str) -> list[tuple[float, float, float, float]]:
    """Straight segments of an AbbreviatedData path (curves are not rules; only their end moves the pen)."""
    tokens = data.replace(",", " ").split()
    out: list[tuple[float, float, float, float]] = []
    arity = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
    cx = cy = sx = sy = 0.0
    i = 0
    while i < len(tokens) and len(out) < 50_000:
        op = tokens[i]
        n = arity.get(op)
        if n is None:
            i += 1
            continue
        try:
            args = [float(t) for t in tokens[i + 1 : i + 1 + n]]
        except ValueError:
            i += 1
            continue
        if len(args) < n:
            break
        if op in ("S", "M"):
            cx, cy = sx, sy = args[0], args[1]
        elif op == "L":
            out.append((cx, cy, args[0], args[1]))
            cx, cy = args[0], args[1]
        elif op == "C":
            if (cx, cy) != (sx, sy):
                out.append((cx, cy, sx, sy))
            cx, cy = sx, sy
        else:
            cx, cy = args[-2], args[-1]
        i += 1 + n
    return out


def read_content(
    pkg: OfdPackage, part: str, templates: list[str], size_mm: tuple[float, float]
) -> PageContent:
    """A page with its templates underneath."""
    out = PageContent(width=size_mm[0] * MM, height=size_mm[1] * MM)
    walker = _Walker(pkg, pkg.resources, out)
    for name in [*templates, part]:
        walker.walk(pkg.xml(name))
    return out
