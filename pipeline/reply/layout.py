"""GB/T 9704-2012 page geometry, shared by the .docx template and the PDF so both agree."""

from __future__ import annotations

import math

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
TABLE_PT = 12  # 小四: an 18-digit ID stays on one line even in a wide fallback face (DejaVu Serif)
PAGE_NUMBER_PT = 14  # 4号 宋体, "— 1 —"
PAGE_NUMBER_GAP_MM = 7.0  # the page number sits 7 mm below the text block

# 序号 | 姓名 | 身份证号码 | 查询结果; sums to the 156 mm text width.
TABLE_COLUMNS_MM = (12.0, 30.0, 54.0, 60.0)
TABLE_ROW_MIN_MM = 7.0

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


def twips(mm: float) -> int:
    """Millimetres to twentieths of a point (OOXML's dxa)."""
    return round(mm * PT_PER_MM * 20)
