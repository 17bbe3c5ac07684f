"""Text-PDF reader: pdfplumber characters -> a Document of visual lines and ruled tables.

A PDF has no paragraphs, only glyphs at positions. We rebuild what a reader
sees: one Paragraph per visual line (CJK has no spaces, so a space is written
only where the page shows a real gap), ruled tables as Table blocks at their
place in the reading order, a table running over several pages as one table,
and page furniture (page numbers, running headers) kept out of the body.

Work per page is kept to what the bare library does anyway — parse the chars,
find the ruled tables once — and each page's caches are dropped after use, so
long rosters stay fast and small.

Rules worth knowing downstream:
  * a space in a line means a horizontal gap wider than ~0.3 em next to a CJK
    character (0.15 em between Latin ones), or a space glyph; runs of
    whitespace (incl. U+3000) collapse to one ASCII space;
  * `align` comes from the line's position relative to the body text area
    (edges shared by two lines, per page width): "justify" (spans the full
    width), "center", "right" (starts right of 30 % of the text width), else
    "left"; `bold` from a bold font name or fake-bold doubled glyphs;
  * headers/footers: page numbers ("— 1 —", "第1页 共3页", "1/3", "3") in the
    top/bottom 15 % of a page, and lines repeated with the same text (short
    numbers aside) at the same height in the top/bottom 25 % of every page of
    a multi-page file;
  * tables are pdfplumber's ruled ("lines") tables with at least two columns,
    open outer sides closed first; a table continued at the top of the next
    page merges into one, repeated header rows dropped; merged cells repeat
    their text; text in a table never appears as lines;
  * undecodable glyphs become U+FFFD (with a note), never silently dropped;
  * the document is a scan (ScannedLetter) if any page that carries content
    has no usable text layer, so a scanned roster page is never silently lost.
"""

from __future__ import annotations

import bisect
import logging
import re
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.document import BBox, Cell, Document, Location, Paragraph, Table
from pipeline.errors import CorruptFile, EncryptedFile, LettersError, ScannedLetter
from pipeline.privacy import mask_ids_in

log = logging.getLogger(__name__)

# A char tuple: (x0, top, x1, bottom, text, size, bold_font)
_Char = tuple[float, float, float, float, str, float, bool]

_BOLD_FONT = re.compile(r"bold|heavy|black|demi|semibold", re.I)
_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-—–－―~〜·•]+\s*[\d一二三四五六七八九十〇]{1,4}\s*[-—–－―~〜·•]+   # — 1 —, - 2 -
      | 第[\d一二三四五六七八九十〇]{1,4}页(?:[,，/／]?共[\d一二三四五六七八九十〇]{1,4}页)?  # 第1页 共3页
      | 共[\d一二三四五六七八九十〇]{1,4}页[,，/／]?第[\d一二三四五六七八九十〇]{1,4}页
      | \d{1,4}\s*[/／]\s*\d{1,4}                                           # 1/3
      | \d{1,4}                                                             # bare 3
      | page\s*\d{1,4}(?:\s*of\s*\d{1,4})?
    )$""",
    re.X | re.I,
)
_SHORT_NUMBER = re.compile(r"(?<!\d)\d{1,4}(?!\d)")  # page numbers, not ID numbers
_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


# --- per-page raw material -----------------------------------------------------------


@dataclass(slots=True)
class _Line:
    text: str
    bbox: BBox
    size: float
    bold: bool
    page: int
    align: str | None = None


@dataclass(slots=True)
class _RawCell:
    text: str
    bbox: BBox
    page: int


@dataclass(slots=True)
class _RawTable:
    page: int  # where it starts
    bbox: BBox  # of its first part
    rows: list[list[_RawCell]]
    col_xs: list[float]  # column boundaries, for matching a continuation
    end_page: int = 0  # where it ends, once merged with continuations


@dataclass(slots=True)
class _PageResult:
    number: int
    width: float
    height: float
    lines: list[_Line] = field(default_factory=list)
    tables: list[_RawTable] = field(default_factory=list)
    good: int = 0  # usable, non-space characters
    bad: int = 0  # (cid:NN), private-use and replacement characters
    image_cover: float = 0.0  # share of the page area under images
    vertical: int = 0  # characters not upright (ignored)


def _is_bad_text(text: str) -> bool:
    if text.startswith("(cid:"):
        return True
    return any(0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd" or (ord(ch) < 32) for ch in text)


def _fix_radicals(text: str) -> str:
    """Some PDF producers map ideographs to look-alike Kangxi/supplement radicals or
    compatibility ideographs (⽂ U+2F42 for 文); fold those to the real characters.
    Full NFKC would also fold full-width punctuation, which is the domain's own."""
    if all(ord(ch) < 0x2E80 or 0x2FE0 <= ord(ch) < 0xF900 or ord(ch) > 0xFAFF for ch in text):
        return text
    return "".join(
        unicodedata.normalize("NFKC", ch) if 0x2E80 <= ord(ch) < 0x2FE0 or 0xF900 <= ord(ch) <= 0xFAFF else ch
        for ch in text
    )


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _gap_threshold(a: str, b: str, size: float) -> float:
    """Gap (points) above which two neighbouring glyphs are visibly apart.

    Word/LibreOffice put ~0.2 em between CJK and Latin text and stretch
    justified CJK lines by ~0.1 em, neither of which is a space in the source.
    """
    if a and b and not _is_cjk(a[-1]) and not _is_cjk(b[0]):
        return 0.15 * size
    return 0.3 * size


def _assemble(chars: list[_Char], page: int) -> list[_Line]:
    """Group chars into visual lines (by vertical overlap), each read left to right."""
    if not chars:
        return []
    chars.sort(key=lambda c: (c[1], c[0]))
    groups: list[list[_Char]] = []
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
    lines = [_line_from(g, page) for g in groups]
    return [ln for ln in lines if ln is not None]


def _line_from(chars: list[_Char], page: int) -> _Line | None:
    chars.sort(key=lambda c: c[0])
    parts: list[str] = []
    kept: list[_Char] = []
    pending_space = False
    doubled = 0
    prev: _Char | None = None
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
            if gap > _gap_threshold(prev[4], text, (size + prev[5]) / 2):
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
    return _Line(
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


def _cell_text(chars: list[_Char], page: int) -> str:
    """A cell's lines joined: wrapped IDs and names continue without a break."""
    out = ""
    for ln in _assemble(chars, page):
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


class _Grid:
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


def _open_table_sides(page) -> list[dict]:  # page: pdfplumber.page.Page
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


def _read_page(page, number: int) -> _PageResult:  # page: pdfplumber.page.Page
    width, height = float(page.width), float(page.height)
    if (page.rotation or 0) % 180 == 90:  # pdfminer gives chars in the rotated (viewed) frame
        width, height = height, width
    result = _PageResult(number=number, width=width, height=height)

    area = width * height or 1.0
    covered = 0.0
    for im in page.images:
        w = max(0.0, min(im["x1"], width) - max(im["x0"], 0.0))
        h = max(0.0, min(im["bottom"], height) - max(im["top"], 0.0))
        covered += w * h
    result.image_cover = min(1.0, covered / area)

    settings: dict = _TABLE_SETTINGS
    sides = _open_table_sides(page)
    if sides:
        settings = {**_TABLE_SETTINGS, "explicit_vertical_lines": sides}
    grids: list[_Grid] = []
    for t in page.find_tables(settings):
        grid = _Grid(t.cells)
        if len(grid.xs) >= 3:  # one column is a box (page frame, boxed note), not a table
            grids.append(grid)
    table_chars: list[dict[int, list[_Char]]] = [defaultdict(list) for _ in grids]

    free: list[_Char] = []
    for obj in page.chars:
        text = obj["text"]
        x0, x1, top, bottom = obj["x0"], obj["x1"], obj["top"], obj["bottom"]
        if x1 < 0 or x0 > width or bottom < 0 or top > height:
            continue  # off the page: never printed
        if not text.isspace():
            if _is_bad_text(text):
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
        text = _fix_radicals(text)
        ch: _Char = (x0, top, x1, bottom, text, float(obj["size"]), bool(_BOLD_FONT.search(obj["fontname"])))
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

    result.lines = _assemble(free, number)
    for grid, by_cell in zip(grids, table_chars, strict=True):
        texts = {idx: _cell_text(chars, number) for idx, chars in by_cell.items()}
        rows: list[list[_RawCell]] = []
        for r, slots in enumerate(grid.slot):
            row = []
            for c, idx in enumerate(slots):
                if idx is None:
                    bbox = (grid.xs[c], grid.ys[r], grid.xs[c + 1], grid.ys[r + 1])
                    row.append(_RawCell("", bbox, number))
                else:
                    row.append(_RawCell(texts.get(idx, ""), grid.cells[idx], number))
            rows.append(row)
        result.tables.append(
            _RawTable(page=number, bbox=grid.bbox, rows=rows, col_xs=grid.xs, end_page=number)
        )
    return result


# --- document-level decisions ----------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _split_furniture(pages: list[_PageResult]) -> tuple[list[_Line], list[_Line]]:
    """Move page numbers and running headers/footers out of the page bodies."""
    headers: list[_Line] = []
    footers: list[_Line] = []

    def in_band(ln: _Line, page: _PageResult, share: float) -> bool:
        return ln.bbox[1] < share * page.height or ln.bbox[3] > (1 - share) * page.height

    furniture: set[int] = set()
    # running lines: same text (digits aside) at the same height on every page
    if len(pages) >= 2:
        seen: dict[str, list[_Line]] = defaultdict(list)
        for page in pages:
            for ln in page.lines:
                if in_band(ln, page, 0.25):
                    seen[_SHORT_NUMBER.sub("#", _norm(ln.text))].append(ln)
        for same in seen.values():
            for anchor in same:
                at = [ln for ln in same if abs(ln.bbox[1] - anchor.bbox[1]) <= 3]
                if len({ln.page for ln in at}) == len(pages):
                    furniture.update(id(ln) for ln in at)
                    break
    for page in pages:
        body: list[_Line] = []
        for ln in page.lines:
            if id(ln) in furniture or (in_band(ln, page, 0.15) and _PAGE_NUMBER.match(_norm(ln.text))):
                (headers if ln.bbox[1] < page.height / 2 else footers).append(ln)
            else:
                body.append(ln)
        page.lines = body
    return headers, footers


def _text_area(lines: list[_Line], width: float) -> tuple[float, float]:
    """Left and right edge of the body text: the outermost edges shared by two lines."""

    def edge(values: list[float], reverse: bool) -> float | None:
        values = sorted(values, reverse=reverse)
        for i, v in enumerate(values[:-1]):
            if abs(values[i + 1] - v) <= 3:
                return v
        return values[0] if values else None

    left = edge([ln.bbox[0] for ln in lines], reverse=False)
    right = edge([ln.bbox[2] for ln in lines], reverse=True)
    if left is None or right is None or right - left < 0.3 * width:
        return 0.12 * width, 0.88 * width
    return left, right


def _align(ln: _Line, left: float, right: float, page_width: float) -> str:
    x0, _, x1, _ = ln.bbox
    span = right - left
    tol = max(6.0, 0.02 * span)
    mid = (x0 + x1) / 2
    if x1 >= right - tol and x0 <= left + 3 * ln.size:
        return "justify"
    if x0 > left + tol and (abs(mid - (left + right) / 2) <= tol or abs(mid - page_width / 2) <= tol):
        return "center"
    if x0 > left + 0.3 * span:
        return "right"
    return "left"


def _same_columns(a: _RawTable, b: _RawTable) -> bool:
    return len(a.col_xs) == len(b.col_xs) and all(
        abs(p - q) <= 3 for p, q in zip(a.col_xs, b.col_xs, strict=True)
    )


def _row_key(row: list[_RawCell]) -> tuple[str, ...]:
    return tuple(_norm(c.text) for c in row)


def _is_continuation(prev: _RawTable, cont: _RawTable) -> bool:
    return cont.page == prev.end_page + 1 and len(cont.rows[0]) == len(prev.rows[0])


def _repeated_header_rows(prev: _RawTable, cont: _RawTable) -> int:
    """How many leading rows of `cont` repeat the leading (header) rows of `prev`."""
    n = 0
    while (
        n < min(3, len(cont.rows) - 1, len(prev.rows))
        and any(_row_key(cont.rows[n]))
        and _row_key(cont.rows[n]) == _row_key(prev.rows[n])
    ):
        n += 1
    return n


def _merge_continuations(pages: list[_PageResult]) -> list[_Line | _RawTable]:
    """Body blocks in reading order; a table continued at the top of the next
    page (header row repeated, or same columns) is appended to the one that
    ended the previous page. Short lines in the top 10 % of the next page may
    sit above the continuation (a running header only on later pages)."""
    out: list[_Line | _RawTable] = []
    carry: _RawTable | None = None  # table that ended the previous page
    for page in pages:
        blocks: list[_Line | _RawTable] = sorted([*page.lines, *page.tables], key=lambda b: b.bbox[1])
        first = next((i for i, b in enumerate(blocks) if isinstance(b, _RawTable)), None)
        if (
            carry is not None
            and first is not None
            and all(b.bbox[3] < 0.1 * page.height for b in blocks[:first])
            and _is_continuation(carry, blocks[first])  # type: ignore[arg-type]
        ):
            cont = blocks[first]
            assert isinstance(cont, _RawTable)
            repeated = _repeated_header_rows(carry, cont)
            if repeated or _same_columns(carry, cont):
                carry.rows.extend(cont.rows[repeated:])
                carry.end_page = cont.page
                del blocks[first]
                if len(blocks) == first:  # nothing after it: the table may go on
                    out.extend(blocks)
                    continue
        carry = blocks[-1] if blocks and isinstance(blocks[-1], _RawTable) else None
        out.extend(blocks)
    return out


def _scan_verdict(pages: list[_PageResult]) -> tuple[str, str] | None:
    """Why the file has no usable text layer (log text, clerk text), or None.

    Rule: the whole document counts as a scan when any page carrying content
    lacks usable text — a page whose characters mostly decode to glyph ids or
    private-use codes, or a page under a large image with (almost) no text.
    Sending the whole file to OCR beats silently losing a scanned roster page.
    """
    for p in pages:
        if p.bad >= 5 and p.bad > 0.3 * (p.good + p.bad):
            return (
                f"page {p.number}: text decodes to glyph ids, not characters",
                f"第{p.number}页的文字无法解码（字体缺少编码表），需要文字识别（OCR）后才能处理。",
            )
    if not any(p.good for p in pages):
        return "no text layer", "该文件为扫描件（无可识别的文字层），需要文字识别（OCR）后才能处理。"
    for p in pages:
        if p.image_cover >= 0.3 and p.good < 15:  # a scanned page, maybe with a stamped page number
            return (
                f"page {p.number}: image without a text layer",
                f"第{p.number}页为扫描图像（无文字层），需要文字识别（OCR）后才能处理。",
            )
    return None


def _build(pages: list[_PageResult], path: Path) -> Document:
    verdict = _scan_verdict(pages)
    if verdict:
        raise ScannedLetter(f"{path.name}: {verdict[0]}", verdict[1])

    notes: list[str] = []
    if all(p.image_cover >= 0.8 for p in pages):
        notes.append("该 PDF 为扫描件附带文字层，文字层可能存在识别错误，请核对原件。")
    for p in pages:
        if p.vertical > 20 and p.vertical > 0.3 * p.good:  # a few rotated chars are a seal's ring text
            notes.append(f"第{p.number}页有竖排或旋转的文字，未读取，请核对原件。")
        if p.bad:
            notes.append(
                f"第{p.number}页有{p.bad}个字符无法识别（字体缺少编码表或为自造字），请核对原件中的姓名、号码等内容。"
            )

    heads, foots = _split_furniture(pages)
    # one text area per page width (a landscape roster page has its own margins)
    width_of = {p.number: round(p.width) for p in pages}
    by_width: dict[int, list[_Line]] = defaultdict(list)
    for p in pages:
        by_width[width_of[p.number]].extend(p.lines)
    areas = {w: _text_area(lns, w) for w, lns in by_width.items()}
    for ln in [*(ln for p in pages for ln in p.lines), *heads, *foots]:
        w = width_of[ln.page]
        left, right = areas.get(w) or _text_area([], w)
        ln.align = _align(ln, left, right, w)

    def para(ln: _Line, part: str = "body") -> Paragraph:
        return Paragraph(
            text=ln.text,
            location=Location(part=part, page=ln.page, bbox=ln.bbox),  # type: ignore[arg-type]
            align=ln.align,  # type: ignore[arg-type]
            font_size=ln.size,
            bold=ln.bold,
        )

    blocks: list[Paragraph | Table] = []
    n_tables = 0
    for b in _merge_continuations(pages):
        if isinstance(b, _Line):
            blocks.append(para(b))
            continue
        rows = [
            [
                Cell(text=c.text, location=Location(page=c.page, bbox=c.bbox, table=n_tables, row=r, col=j))
                for j, c in enumerate(row)
            ]
            for r, row in enumerate(b.rows)
        ]
        blocks.append(Table(rows=rows, location=Location(page=b.page, bbox=b.bbox, table=n_tables)))
        n_tables += 1
    log.debug("%s: %d pages, %d blocks, %d tables", path.name, len(pages), len(blocks), n_tables)
    return Document(
        blocks=blocks,
        source_type="pdf",
        headers=[para(ln, "header") for ln in heads],
        footers=[para(ln, "footer") for ln in foots],
        page_count=len(pages),
        notes=notes,
    )


# --- entry point -----------------------------------------------------------------------


def _looks_complete(path: Path) -> bool:
    """A PDF ends with %%EOF; without it the file was cut off (pages may be missing
    even when what is left still parses)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 8192))
        return b"%%EOF" in fh.read()


def _is_password_error(exc: BaseException) -> bool:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, PDFPasswordIncorrect | PDFEncryptionError):
            return True
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _unreadable(path: Path, exc: Exception) -> LettersError:
    if _is_password_error(exc):
        return EncryptedFile(f"{path.name}: encrypted PDF needs a password")
    detail = mask_ids_in(str(exc)[:200])  # parser messages can quote page content
    return CorruptFile(f"{path.name}: PDF cannot be parsed ({type(exc).__name__}: {detail})")


def read_pdf(path: Path) -> Document:
    """Read a PDF with a text layer into a Document.

    Raises ScannedLetter when there is no usable text (the dispatcher then
    tries OCR), EncryptedFile when a password is needed, CorruptFile for a
    damaged or truncated file.
    """
    import pdfplumber

    path = Path(path)
    try:
        complete = _looks_complete(path)
    except OSError as exc:
        raise CorruptFile(f"{path.name}: cannot read file ({exc})") from exc
    if not complete:
        raise CorruptFile(
            f"{path.name}: PDF is truncated (no %%EOF)",
            "文件不完整（结尾缺失），可能在下载或传输中被截断，请向来函单位索取完整文件。",
        )
    pages: list[_PageResult] = []
    try:
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                try:
                    pages.append(_read_page(page, number))
                finally:
                    page.close()
    except LettersError:
        raise
    except Exception as exc:  # pdfminer raises many kinds of errors on bad input
        raise _unreadable(path, exc) from exc
    if not pages:
        raise CorruptFile(f"{path.name}: PDF has no pages", "文件中没有任何页面，请向来函单位索取完整文件。")
    return _build(pages, path)
