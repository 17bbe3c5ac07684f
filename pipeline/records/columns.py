"""Canonical list columns, their usual synonyms, and finding the header row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# canonical key -> (canonical header, synonyms) as the issue lists them
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("被执行人姓名", "当事人姓名", "名称")),
    "id_number": ("身份证号码", ("证件号码", "身份证号", "公民身份号码")),
    "category": ("名单类别", ("类别", "失信类别", "名单类型")),
    "authority": ("认定部门", ("执行法院", "列入机关", "认定机关")),
    "doc_ref": ("认定文书号", ("案号", "执行依据文号", "决定文书号")),
    "listed_on": ("列入日期", ("发布时间", "列入时间", "认定日期")),
    "removed_on": ("移出日期", ("移出时间", "撤销日期", "信用修复日期")),
}
REQUIRED = ("name", "id_number")
HEADER_SEARCH_ROWS = 30  # title rows and notes above the header are common in exports

_NOISE = re.compile(r"[\s*＊:：]+")


def header_key(cell: object) -> str:
    """A header cell compared without whitespace, full-width forms or required-field stars."""
    if cell is None:
        return ""
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(cell)))


_LOOKUP = {
    header_key(label): key
    for key, (canonical, synonyms) in COLUMNS.items()
    for label in (canonical, *synonyms)
}


def match_header(cells: Sequence[object]) -> dict[str, int] | None:
    """Column positions by canonical key, when `cells` is a header row holding the required columns."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _LOOKUP.get(header_key(cell))
        if key is not None and key not in found:
            found[key] = index
    if all(k in found for k in REQUIRED):
        return found
    return None


def missing_columns_zh() -> str:
    labels = "、".join(COLUMNS[k][0] for k in REQUIRED)
    return f"未找到表头行：文件前{HEADER_SEARCH_ROWS}行中没有同时包含{labels}（或其同义列名）的行。"
