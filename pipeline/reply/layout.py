"""GB/T 9704-2012 page geometry, shared by the .docx template and the PDF so both agree."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

PT_PER_MM = 72 / 25.4

PAGE_WIDTH_MM = 210.0  # A4
PAGE_HEIGHT_MM = 297.0
MARGIN_TOP_MM = 37.0
MARGIN_BOTTOM_MM = 35.0
MARGIN_LEFT_MM = 28.0
MARGIN_RIGHT_MM = 26.0

LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

BODY_PT = 16  # 3号 仿宋
TITLE_PT = 22  # 2号 小标宋
MASTHEAD_PT = 26  # 发文机关标志, 小标宋, red (GB/T 9704 信函格式)
MASTHEAD_RED = (0.9, 0.0, 0.07)  # RGB, the usual red of 红头
RULE_THICK_PT = 2.0  # 信函格式: a double rule under the masthead, thick over thin
RULE_THIN_PT = 0.5
TABLE_PT = 12  # 小四: an 18-digit ID stays on one line even in a wide fallback face (DejaVu Serif)
PAGE_NUMBER_PT = 14  # 4号 宋体, "— 1 —"
PAGE_NUMBER_GAP_MM = 7.0  # the page number sits 7 mm below the text block

# 序号 | 姓名 | 身份证号码 | 查询结果; sums to the 156 mm text width. The name column
# widens for long names (阿卜杜拉·麦麦提), taken from the result column, which keeps
# room for its longest fixed phrase on one line.
TABLE_COLUMNS_MM = (12.0, 30.0, 54.0, 60.0)
RESULT_ONE_LINE = "不属于失信联合惩戒对象"
TABLE_ROW_MIN_MM = 7.0
CELL_PADDING_MM = 3.5  # left + right: 1.5 mm a side in the .docx, 3 pt in the PDF, and a margin

TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
TEXT_HEIGHT_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225

LINE_PITCH_PT = TEXT_HEIGHT_MM * PT_PER_MM / LINES_PER_PAGE  # ≈ 28.99 pt
CHAR_PITCH_PT = TEXT_WIDTH_MM * PT_PER_MM / CHARS_PER_LINE  # ≈ 15.79 pt

# Word's w:docGrid: linePitch in twentieths of a point, charSpace in 4096ths of a
# point added to the body font size. Rounded down so 22 lines and 28 characters fit.
DOCGRID_LINE_PITCH = math.floor(LINE_PITCH_PT * 20)  # 579
DOCGRID_CHAR_SPACE = math.floor((CHAR_PITCH_PT - BODY_PT) * 4096)  # -848
# 28 characters per line come from condensing each character by 0.25 pt (w:spacing,
# twentieths of a point) rather than from a character grid: LibreOffice lays a
# w:type="linesAndChars" grid out with every 16 pt glyph spread over two 15.79 pt
# cells, so the grid is w:type="lines" and the characters are condensed instead.
CONDENSE_TWIPS = math.floor((CHAR_PITCH_PT - BODY_PT) * 20)  # -5
# The same in the PDF: full-width advances scaled so 28 fit the 156 mm line.
PDF_CJK_ADVANCE = math.floor(1000 * (BODY_PT + CONDENSE_TWIPS / 20) / BODY_PT)  # 984 / 1000 em

TITLE_LEADING_PT = 35  # 2号 title lines at a fixed 35 pt (not on the body grid)

# Fonts named in the .docx, each with the alternative Word/WPS/LibreOffice try when it is missing.
FONT_BODY = ("仿宋_GB2312", "仿宋")  # falls back to 仿宋 (FangSong)
FONT_TITLE = ("方正小标宋简体", "小标宋")
FONT_HEI = ("黑体", "SimHei")
FONT_PAGE_NUMBER = ("宋体", "SimSun")
FONT_LATIN = "Times New Roman"


def text_em(text: str) -> float:
    """Width in ems: full-width (CJK) characters 1, others (digits, Latin, ·) about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def fits(text: str, width_mm: float, pt: float = TABLE_PT) -> bool:
    return text_em(text) * pt <= (width_mm - CELL_PADDING_MM) * PT_PER_MM


def table_columns_mm(names: Sequence[str]) -> tuple[float, float, float, float]:
    """Column widths for these names: the longest name on one line where the page allows."""
    seq, name, id_number, result = TABLE_COLUMNS_MM
    longest = max((text_em(n) for n in names), default=0.0)
    wide = min(max(name, math.ceil(_width_mm(longest))), name_column_max_mm())
    return (seq, wide, id_number, result - (wide - name))


def name_column_max_mm() -> float:
    """As wide as the name column may grow: the result column keeps RESULT_ONE_LINE whole."""
    seq, _, id_number, _ = TABLE_COLUMNS_MM
    return math.floor(TEXT_WIDTH_MM - seq - id_number - _width_mm(text_em(RESULT_ONE_LINE)))


def _width_mm(em: float) -> float:
    return em * TABLE_PT / PT_PER_MM + CELL_PADDING_MM + 0.5


# Where a cell's text may break: after a name's middle dot or a list's 、, before a bracket.
_BREAK_AFTER = "·、，"
_BREAK_BEFORE = "（("


def cell_lines(text: str, width_mm: float, pt: float = TABLE_PT) -> list[str]:
    """The text as lines that fit the cell, broken only at sensible points where it can be.

    A name breaks after its middle dot (阿卜杜拉· / 麦麦提), a result before its bracket or
    after a 、 between list names; a piece with no such point that is still too wide is left
    to the renderer's own wrapping.
    """
    if fits(text, width_mm, pt):
        return [text]
    pieces: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char in _BREAK_BEFORE and i > start:
            pieces.append(text[start:i])
            start = i
        elif char in _BREAK_AFTER:
            pieces.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    lines: list[str] = []
    for piece in pieces:
        if lines and fits(lines[-1] + piece, width_mm, pt):
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def twips(mm: float) -> int:
    """Millimetres to twentieths of a point (OOXML's dxa)."""
    return round(mm * PT_PER_MM * 20)
