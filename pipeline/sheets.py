"""Cells the project writes into CSV or XLSX files that people open in Excel or WPS.

A cell that starts with =, +, -, @ (or a tab or carriage return before one) is
run as a formula by spreadsheet programs: `=HYPERLINK(...)` or `+cmd|'/C calc'!A0`
copied from a hostile list file would run on a clerk's machine. Such text gets
a leading apostrophe, which spreadsheets show as plain text (OWASP's advice
for CSV injection). Numbers are left alone; they are never formulas.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> object:
    """The value, with text that a spreadsheet would evaluate turned into plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cells(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]
