"""One page: its lines outside tables, its ruled tables (open sides closed), and how much text it has."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.document import BBox
from pipeline.reading.pdf_reader.glyphs import (
    BOLD_FONT,
    Char,
    Line,
    assemble,
    cell_text,
    fix_radicals,
    is_bad_text,
)

TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


@dataclass(slots=True)
class RawCell:
    text: str
    bbox: BBox
    page: int


@dataclass(slots=True)
class RawTable:
    page: int  # where it starts
    bbox: BBox  # of its first part
    rows: list[list[RawCell]]
    col_xs: list[float]  # column boundaries, for matching a continuation
    end_page: int = 0  # where it ends, once merged with continuations


@dataclass(slots=True)
class PageResult:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[RawTable] = field(default_factory=list)
    good: int = 0  # usable, non-space characters
    bad: int = 0  # (cid:NN), private-use and replacement characters
    image_cover: float = 0.0  # share of the page area under images
    vertical: int = 0  # characters not upright (ignored)


class Grid:
    """A pdfplumber table's cells on a regular grid; merged cells cover several slots."""

    def __init__(self, cells: list[BBox]) -> None:
        self.cells = cells
        self.xs = sorted({round(c[0], 2) for c in cells} | {round(c[2], 2) for c in cells})
        self.ys = sorted({round(c[1], 2) for c in cells} | {round(c[3], 2) for c in cells})
        nrows, ncols = len(self.ys) - 1, len(self.xs) - 1
        self.slot: list[list[int | None]] = [[None] * ncols for _ in range(nrows)]
        for idx, (x0, top, x1, bottom) in enumerate(cells):
            c0, c1 = self.xs.index(round(x0, 2)), self.xs.index(round(x1, 2))
            r0, r1 = self.ys.index(round(top, 2)), self.ys.index(round(bottom, 2))
            for r in range(r0, r1):
                for c in range(c0, c1):
                    self.slot[r][c] = idx
        self.bbox: BBox = (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def cell_at(self, x: float, y: float) -> int | None:
        c = bisect.bisect_right(self.xs, x) - 1
        r = bisect.bisect_right(self.ys, y) - 1
        if 0 <= r < len(self.slot) and 0 <= c < len(self.slot[0]):
            return self.slot[r][c]
        return None


def open_table_sides(page) -> list[dict]:  # page: pdfplumber.page.Page
    """Vertical rules to add where a table leaves its outer sides open.

    Many Chinese forms rule every row and the inner column lines but draw no
    left/right border; pdfplumber then finds only the inner columns. A stack of
    three or more horizontal rules of equal extent, crossed by inner vertical
    rules, is closed at whichever end has no vertical rule of its own.
    """
    edges = page.edges
    if not edges:
        return []
    from pdfplumber.table import merge_edges

    merged = merge_edges(edges, 3, 3, 3, 3)
    hs = [e for e in merged if e["orientation"] == "h" and e["x1"] - e["x0"] > 20]
    vs = [e for e in merged if e["orientation"] == "v" and e["bottom"] - e["top"] > 4]
    if len(hs) < 3 or not vs:
        return []
    groups: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for e in hs:
        groups[(round(e["x0"] / 3), round(e["x1"] / 3))].append(e)
    sides: list[dict] = []
    for stack in groups.values():
        if len(stack) < 3:
            continue
        x0 = min(e["x0"] for e in stack)
        x1 = max(e["x1"] for e in stack)
        top = min(e["top"] for e in stack)
        bottom = max(e["top"] for e in stack)
        within = [v for v in vs if v["top"] >= top - 3 and v["bottom"] <= bottom + 3]
        if not any(x0 + 5 < v["x0"] < x1 - 5 for v in within):
            continue  # rules without columns: a list or a 三线表, left to the line reader
        for x in (x0, x1):
            if not any(abs(v["x0"] - x) <= 3 for v in within):
                sides.append(
                    {"object_type": "line", "x0": x, "x1": x, "top": top, "bottom": bottom,
                     "width": 0, "height": bottom - top}
                )  # fmt: skip
    return sides


def read_page(page, number: int) -> PageResult:  # page: pdfplumber.page.Page
    width, height = float(page.width), float(page.height)
    if (page.rotation or 0) % 180 == 90:  # pdfminer gives chars in the rotated (viewed) frame
        width, height = height, width
    result = PageResult(number=number, width=width, height=height)

    area = width * height or 1.0
    covered = 0.0
    for im in page.images:
        w = max(0.0, min(im["x1"], width) - max(im["x0"], 0.0))
        h = max(0.0, min(im["bottom"], height) - max(im["top"], 0.0))
        covered += w * h
    result.image_cover = min(1.0, covered / area)

    settings: dict = TABLE_SETTINGS
    sides = open_table_sides(page)
    if sides:
        settings = {**TABLE_SETTINGS, "explicit_vertical_lines": sides}
    grids: list[Grid] = []
    for t in page.find_tables(settings):
        grid = Grid(t.cells)
        if len(grid.xs) >= 3:  # one column is a box (page frame, boxed note), not a table
            grids.append(grid)
    table_chars: list[dict[int, list[Char]]] = [defaultdict(list) for _ in grids]

    free: list[Char] = []
    for obj in page.chars:
        text = obj["text"]
        x0, x1, top, bottom = obj["x0"], obj["x1"], obj["top"], obj["bottom"]
        if x1 < 0 or x0 > width or bottom < 0 or top > height:
            continue  # off the page: never printed
        if not text.isspace():
            if is_bad_text(text):
                result.bad += 1
                if any(ord(ch) < 32 for ch in text):
                    continue  # a glyph-less control code: nothing was printed
                if text.startswith("(cid:"):
                    text = "\ufffd"  # keep the hole visible: it may be a rare character in a name
            else:
                result.good += 1
        if not obj.get("upright", True):
            result.vertical += 1
            continue
        text = fix_radicals(text)
        ch: Char = (x0, top, x1, bottom, text, float(obj["size"]), bool(BOLD_FONT.search(obj["fontname"])))
        cx, cy = (x0 + x1) / 2, (top + bottom) / 2
        for gi, grid in enumerate(grids):
            gx0, gtop, gx1, gbottom = grid.bbox
            if gx0 <= cx < gx1 and gtop <= cy < gbottom:
                idx = grid.cell_at(cx, cy)
                if idx is not None:
                    table_chars[gi][idx].append(ch)
                    break
        else:
            free.append(ch)  # outside every table, or in a notch of an irregular one

    result.lines = assemble(free, number)
    for grid, by_cell in zip(grids, table_chars, strict=True):
        texts = {idx: cell_text(chars, number) for idx, chars in by_cell.items()}
        rows: list[list[RawCell]] = []
        for r, slots in enumerate(grid.slot):
            row = []
            for c, idx in enumerate(slots):
                if idx is None:
                    bbox = (grid.xs[c], grid.ys[r], grid.xs[c + 1], grid.ys[r + 1])
                    row.append(RawCell("", bbox, number))
                else:
                    row.append(RawCell(texts.get(idx, ""), grid.cells[idx], number))
            rows.append(row)
        result.tables.append(
            RawTable(page=number, bbox=grid.bbox, rows=rows, col_xs=grid.xs, end_page=number)
        )
    return result
