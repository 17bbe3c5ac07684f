"""Across pages: page furniture out of the body, alignment, tables continued over a page break, scans."""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.reading.pdf_reader.glyphs import Line
from pipeline.reading.pdf_reader.page import PageResult, RawCell, RawTable

PAGE_NUMBER = re.compile(
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
SHORT_NUMBER = re.compile(r"(?<!\d)\d{1,4}(?!\d)")  # page numbers, not ID numbers


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def split_furniture(pages: list[PageResult]) -> tuple[list[Line], list[Line]]:
    """Move page numbers and running headers/footers out of the page bodies."""
    headers: list[Line] = []
    footers: list[Line] = []

    def in_band(ln: Line, page: PageResult, share: float) -> bool:
        return ln.bbox[1] < share * page.height or ln.bbox[3] > (1 - share) * page.height

    furniture: set[int] = set()
    # running lines: same text (digits aside) at the same height on every page
    if len(pages) >= 2:
        seen: dict[str, list[Line]] = defaultdict(list)
        for page in pages:
            for ln in page.lines:
                if in_band(ln, page, 0.25):
                    seen[SHORT_NUMBER.sub("#", norm(ln.text))].append(ln)
        for same in seen.values():
            for anchor in same:
                at = [ln for ln in same if abs(ln.bbox[1] - anchor.bbox[1]) <= 3]
                if len({ln.page for ln in at}) == len(pages):
                    furniture.update(id(ln) for ln in at)
                    break
    for page in pages:
        body: list[Line] = []
        for ln in page.lines:
            if id(ln) in furniture or (in_band(ln, page, 0.15) and PAGE_NUMBER.match(norm(ln.text))):
                (headers if ln.bbox[1] < page.height / 2 else footers).append(ln)
            else:
                body.append(ln)
        page.lines = body
    return headers, footers


def text_area(lines: list[Line], width: float) -> tuple[float, float]:
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


def align(ln: Line, left: float, right: float, page_width: float) -> str:
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


def same_columns(a: RawTable, b: RawTable) -> bool:
    return len(a.col_xs) == len(b.col_xs) and all(
        abs(p - q) <= 3 for p, q in zip(a.col_xs, b.col_xs, strict=True)
    )


def row_key(row: list[RawCell]) -> tuple[str, ...]:
    return tuple(norm(c.text) for c in row)


def is_continuation(prev: RawTable, cont: RawTable) -> bool:
    return cont.page == prev.end_page + 1 and len(cont.rows[0]) == len(prev.rows[0])


def repeated_header_rows(prev: RawTable, cont: RawTable) -> int:
    """How many leading rows of `cont` repeat the leading (header) rows of `prev`."""
    n = 0
    while (
        n < min(3, len(cont.rows) - 1, len(prev.rows))
        and any(row_key(cont.rows[n]))
        and row_key(cont.rows[n]) == row_key(prev.rows[n])
    ):
        n += 1
    return n


def merge_continuations(pages: list[PageResult]) -> list[Line | RawTable]:
    """Body blocks in reading order; a table continued at the top of the next
    page (header row repeated, or same columns) is appended to the one that
    ended the previous page. Short lines in the top 10 % of the next page may
    sit above the continuation (a running header only on later pages)."""
    out: list[Line | RawTable] = []
    carry: RawTable | None = None  # table that ended the previous page
    for page in pages:
        blocks: list[Line | RawTable] = sorted([*page.lines, *page.tables], key=lambda b: b.bbox[1])
        first = next((i for i, b in enumerate(blocks) if isinstance(b, RawTable)), None)
        if (
            carry is not None
            and first is not None
            and all(b.bbox[3] < 0.1 * page.height for b in blocks[:first])
            and is_continuation(carry, blocks[first])  # type: ignore[arg-type]
        ):
            cont = blocks[first]
            assert isinstance(cont, RawTable)
            repeated = repeated_header_rows(carry, cont)
            if repeated or same_columns(carry, cont):
                carry.rows.extend(cont.rows[repeated:])
                carry.end_page = cont.page
                del blocks[first]
                if len(blocks) == first:  # nothing after it: the table may go on
                    out.extend(blocks)
                    continue
        carry = blocks[-1] if blocks and isinstance(blocks[-1], RawTable) else None
        out.extend(blocks)
    return out


def scan_verdict(pages: list[PageResult]) -> tuple[str, str] | None:
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
