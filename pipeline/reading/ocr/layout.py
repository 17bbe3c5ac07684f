"""Rebuild lines and the roster table from OCR boxes, so extraction sees a scan
the way it sees a text PDF.

OCR gives loose text boxes. Boxes that overlap vertically form one visual line
(read left to right); a line whose boxes are roster headings (序号, 姓名,
身份证号码 …) starts a table whose columns are the headings' x-ranges, and the
lines below it become rows, each box going to the column it overlaps most,
until a line no longer looks like a row. Everything here is pure geometry on
already-deskewed coordinates, testable without the models.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pipeline.document import Block, Cell, Location, Paragraph, Table
from pipeline.reading.ocr.boxes import Box, PageBoxes, VisualLine, group_lines, union_bbox

HEADER_WORD = re.compile(
    r"序号|编号|姓名|身份证|证件号|身份号|公民身份|证号|性别|民族|出生|单位|职位|岗位|备注|学历|报考|拟录用|拟聘|部门|类别|联系电话"
)
HEADER_CORE = re.compile(r"序号|编号|姓名|身份证|公民身份|证件号|性别")  # where merged heading cells are cut
HEADER_KEY = re.compile(r"姓名|身份证|证件号|身份号|公民身份")
ID_LIKE = re.compile(r"[0-9OoDIlZSB]{14,}[0-9Xx×]?")  # OCR'd IDs may carry look-alike letters
PAGE_NUMBER = re.compile(
    r"^[—\-－–~〜一_\s]*\d{1,3}[—\-－–~〜一_\s]*$|^第\s*\d+\s*页.*$|^\d{1,3}\s*/\s*\d{1,3}$"
)
CJK_CHAR = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")

FOOTER_ZONE = 0.10  # bottom share of the page where page numbers live
HEADER_ZONE = 0.06  # top share where a fax machine prints its transmission line
# What a fax machine prints on top of every page: time, sender's number, FAX, page P.01/02.
FAX_WORD = re.compile(r"FAX|F[Aa]x|传真|FROM|From|TO[:：]|P\.?\s*0?\d+\s*/\s*0?\d+|PAGE\s*\d+", re.I)
FAX_TIME = re.compile(r"\d{1,2}[:：]\d{2}|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|[0-9]{7,}")


# --- roster tables ----------------------------------------------------------------------


@dataclass(slots=True)
class Column:
    title: str
    x0: float
    x1: float
    box: Box | None = None  # the heading's OCR box

    def overlap(self, x0: float, x1: float) -> float:
        return max(0.0, min(self.x1, x1) - max(self.x0, x0))


def header_columns(line: VisualLine, page_width: float) -> list[Column] | None:
    """Columns when `line` is a roster header row (序号 / 姓名 / 身份证号码 …), else None."""
    parts = [(*p, b) for b in line.boxes for p in _split_header_box(b)]
    if len(parts) < 2:
        return None
    titles = [p[0] for p in parts]
    if not all(HEADER_WORD.search(t) and len(t) <= 12 for t in titles):
        return None
    if not any(HEADER_KEY.search(t) for t in titles):
        return None
    parts.sort(key=lambda p: p[1])
    columns: list[Column] = []
    for i, (title, x0, x1, box) in enumerate(parts):
        left = 0.0 if i == 0 else (parts[i - 1][2] + x0) / 2
        right = page_width if i == len(parts) - 1 else (x1 + parts[i + 1][1]) / 2
        columns.append(Column(title, left, right, box))
    return columns


def header_cells(columns: list[Column]) -> list[list[_Piece]]:
    """The header row itself: each heading in its own column."""
    return [[_Piece(c.title, c.box)] if c.box is not None else [] for c in columns]


def _split_header_box(box: Box) -> list[tuple[str, float, float]]:
    """A box may hold several headings when OCR merged neighbouring cells."""
    words = [w for w in re.split(r"\s+", box.text.strip()) if w]
    if len(words) <= 1:
        matches = list(HEADER_CORE.finditer(box.text))
        if len(matches) <= 1 or len(box.text) > 16:
            return [(box.text.strip(), box.x0, box.x1)]
        words = _cut_at(box.text, [m.start() for m in matches])
    return _spread(words, box)


def _cut_at(text: str, starts: list[int]) -> list[str]:
    bounds = [0, *starts[1:], len(text)]
    return [text[a:b].strip() for a, b in itertools.pairwise(bounds) if text[a:b].strip()]


def _weight(text: str) -> float:
    return sum(1.0 if CJK_CHAR.match(ch) else 0.55 for ch in text) or 0.5


def _spread(tokens: list[str], box: Box) -> list[tuple[str, float, float]]:
    """Give each token of a box its share of the box's width (CJK full width, digits half)."""
    total = sum(_weight(t) for t in tokens) + 0.5 * (len(tokens) - 1)
    per = (box.x1 - box.x0) / total
    out: list[tuple[str, float, float]] = []
    x = box.x0
    for tok in tokens:
        w = _weight(tok) * per
        out.append((tok, x, x + w))
        x += w + 0.5 * per
    return out


TOKEN = re.compile(r"[0-9A-Za-z×]+|[^0-9A-Za-z×\s]+")  # runs of one script: 1 | 王伟 | 610102…


def _tokens(text: str) -> list[str]:
    """Script runs of a box, with spaced-out names (王  伟) and IDs printed in groups rejoined."""
    out: list[str] = []
    for tok in TOKEN.findall(text):
        if out:
            prev = out[-1]
            if _is_cjk(tok) and _is_cjk(prev) and (len(tok) == 1 or len(prev.replace(" ", "")) == 1):
                out[-1] = f"{prev} {tok}"
                continue
            if _is_num(tok) and _is_num(prev) and len(prev) >= 4 and len(prev) + len(tok) <= 18:
                out[-1] = prev + tok
                continue
        out.append(tok)
    return out


def _is_cjk(text: str) -> bool:
    return bool(CJK_CHAR.match(text))


def _is_num(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9Xx×]+", text))


def _column_of(x0: float, x1: float, columns: list[Column]) -> int:
    best, best_overlap = 0, -1.0
    for i, col in enumerate(columns):
        ov = col.overlap(x0, x1)
        if ov > best_overlap:
            best, best_overlap = i, ov
    if best_overlap <= 0:  # outside every column: nearest by centre
        cx = (x0 + x1) / 2
        best = min(range(len(columns)), key=lambda i: abs((columns[i].x0 + columns[i].x1) / 2 - cx))
    return best


@dataclass(slots=True)
class _Piece:
    text: str
    box: Box


def assign_to_columns(line: VisualLine, columns: list[Column]) -> list[list[_Piece]]:
    """Each box's text to the column it overlaps most. A box OCR merged across cells
    (1王伟, 王伟 610102…) is cut into script runs placed by their share of the box's
    width, and what a run is overrides where it lands: an ID goes to the ID column,
    a leading small number to 序号, a name never to 序号 or the ID column."""
    cells: list[list[_Piece]] = [[] for _ in columns]
    id_col, seq_col, name_col = _id_column(columns), _seq_column(columns), _name_column(columns)
    for box in line.boxes:
        tokens = _tokens(box.text.strip())
        placed = _spread(tokens, box) if len(tokens) > 1 else [(box.text.strip(), box.x0, box.x1)]
        for i, (text, x0, x1) in enumerate(placed):
            col = _column_of(x0, x1, columns)
            if id_col is not None and _is_id_like(text):
                col = id_col
            elif seq_col is not None and i == 0 and len(placed) > 1 and re.fullmatch(r"\d{1,3}", text):
                col = seq_col
            elif name_col is not None and col in (seq_col, id_col) and _is_cjk(text):
                col = name_col
            if cells[col] and cells[col][-1].box is box:  # runs of one box in one cell stay one text
                cells[col][-1] = _Piece(cells[col][-1].text + text, box)
            else:
                cells[col].append(_Piece(text, box))
    return cells


def _is_id_like(text: str) -> bool:
    return bool(ID_LIKE.search(re.sub(r"\s", "", text)))


def _id_column(columns: list[Column]) -> int | None:
    return next((i for i, c in enumerate(columns) if re.search(r"身份|证件|证号", c.title)), None)


def _name_column(columns: list[Column]) -> int | None:
    return next((i for i, c in enumerate(columns) if "姓名" in c.title or c.title.endswith("名")), None)


def _seq_column(columns: list[Column]) -> int | None:
    return next((i for i, c in enumerate(columns) if re.search(r"序|编号", c.title)), None)


def _row_kind(cells: list[list[_Piece]], columns: list[Column], line: VisualLine) -> str:
    """'row', 'continuation' (wrapped text of the previous row's cell) or 'end'."""
    filled = [i for i, c in enumerate(cells) if c]
    if _is_id_like(line.text()) or len(filled) >= 2:
        return "row"
    id_col, seq_col = _id_column(columns), _seq_column(columns)
    if len(filled) == 1 and filled[0] not in (id_col, seq_col) and len(line.text()) <= 20:
        return "continuation"
    return "end"


def _cell(pieces: list[_Piece]) -> Cell:
    if not pieces:
        return Cell("", Location(page=None), 1.0)
    boxes: list[Box] = []
    for p in pieces:
        if all(p.box is not b for b in boxes):
            boxes.append(p.box)
    text = " ".join(p.text for p in pieces) if len(pieces) > 1 else pieces[0].text
    return Cell(
        text,
        Location(page=pieces[0].box.page, bbox=union_bbox(b.bbox for b in boxes)),
        min(b.score for b in boxes),
    )


SPECK_ENDS = " .,'`·。，、:;：；_~-"  # paper specks read as punctuation at a cell's edge


def _build_table(rows: list[list[list[_Piece]]], columns: list[Column]) -> Table:
    cell_rows = [[_cell(pieces) for pieces in row] for row in rows]
    # 序号, names and IDs never begin or end with punctuation: there it is a speck on the paper
    roles = {_seq_column(columns), _name_column(columns), _id_column(columns)} - {None}
    for row in cell_rows:
        for i in roles:
            cell = row[i]  # type: ignore[index]
            cell.text = cell.text.strip(SPECK_ENDS)
    located = [c for row in cell_rows for c in row if c.location.bbox is not None]
    bbox = union_bbox(c.location.bbox for c in located) if located else None
    page = located[0].location.page if located else None
    for row in cell_rows:  # empty cells still point at their page
        for i, c in enumerate(row):
            if c.location.page is None:
                row[i] = Cell("", Location(page=page), 1.0)
    return Table(cell_rows, Location(page=page, bbox=bbox))


# --- a whole document ---------------------------------------------------------------------


def _paragraph(line: VisualLine, page: PageBoxes) -> Paragraph:
    align: str = "left"
    if abs(line.x0 - (page.width - line.x1)) < 0.03 * page.width and line.x0 > 0.12 * page.width:
        align = "center"
    elif line.x0 > 0.45 * page.width and line.x1 > 0.7 * page.width:
        align = "right"
    return Paragraph(
        line.text(),
        Location(page=line.page, bbox=line.bbox),
        confidence=round(line.confidence, 4),
        align=align,  # type: ignore[arg-type]
        font_size=round(line.h * page.pt_per_px / FONT_BOX_RATIO, 1),
    )


FONT_BOX_RATIO = 1.3  # detection boxes are this much taller than the font size


def is_fax_line(line: VisualLine, page: PageBoxes) -> bool:
    """The transmission line a fax machine prints at the top edge: not the letter's text."""
    text = line.text()
    return line.y1 < page.height * HEADER_ZONE and bool(FAX_WORD.search(text)) and bool(FAX_TIME.search(text))


def build_blocks(pages: list[PageBoxes]) -> tuple[list[Block], list[Paragraph], list[Paragraph]]:
    """(body blocks in reading order, headers, footers) for all pages of a scan; a fax machine's
    transmission line is a header, never the letter's date or sender."""
    blocks: list[Block] = []
    headers: list[Paragraph] = []
    footers: list[Paragraph] = []
    columns: list[Column] | None = None  # the open roster, carried over a page break
    for page in pages:
        lines = group_lines(page.boxes)
        rows: list[list[list[_Piece]]] = []
        last_row_line: VisualLine | None = None

        def close_table(open_columns: list[Column] | None) -> None:
            nonlocal rows
            if rows:
                blocks.append(_build_table(rows, open_columns or []))
            rows = []

        for line in lines:
            text = line.text()
            if line.y0 > page.height * (1 - FOOTER_ZONE) and PAGE_NUMBER.match(text):
                footers.append(_paragraph(line, page))
                continue
            if is_fax_line(line, page):
                headers.append(_paragraph(line, page))
                continue
            header = header_columns(line, page.width)
            if header is not None:
                close_table(columns)
                columns = header
                rows = [header_cells(columns)]
                last_row_line = line
                continue
            if columns is not None:
                cells = assign_to_columns(line, columns)
                kind = _row_kind(cells, columns, line)
                near = last_row_line is not None and line.y0 - last_row_line.y1 < 1.0 * line.h
                if kind == "continuation" and rows and near:
                    for prev, new in zip(rows[-1], cells, strict=True):
                        prev.extend(new)
                    last_row_line = line
                    continue
                if kind == "row" and (rows or _is_id_like(text)):
                    rows.append(cells)
                    last_row_line = line
                    continue
                close_table(columns)
                columns = None
            blocks.append(_paragraph(line, page))
        close_table(columns)  # a table running to the page end stays open for the next page's rows
        if columns is not None and not _is_id_like(" ".join(ln.text() for ln in lines[-3:])):
            columns = None
    return blocks, headers, footers
