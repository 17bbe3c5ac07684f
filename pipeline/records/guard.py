"""When a new list snapshot must not be put in force without an administrator.

A damaged export looks like a valid one with fewer rows: a stray quote makes
the CSV parser swallow hundreds of lines into one field, a cut-off copy simply
ends early. Put in force, either turns listed people "clear" — a wrong
official reply. So a snapshot that shrinks too much, or whose parse does not
account for the file's lines, is held (staged) until someone confirms it.
Pure: the importer gathers the figures, this decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# After the first line break inside one cell: more cells (a delimiter) or an ID means
# whole rows were swallowed, not one address written over two lines.
_SWALLOWED = re.compile(r"[\r\n][^\r\n]*?(?:[,\t;|]|\d{15})")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def embedded_line_breaks(cells: list) -> int:
    """How many physical line breaks the CSV parser consumed inside this row's cells."""
    return sum(len(_LINE_BREAKS.findall(c)) for c in cells if type(c) is str and ("\n" in c or "\r" in c))


def swallowed_rows(cells: list) -> bool:
    """True when a cell holds what looks like further rows of the file."""
    return any(type(c) is str and _SWALLOWED.search(c) is not None for c in cells)


def merged_reason(first: int, last: int) -> str:
    return (
        f"第{first}至{last}行被读成了一条记录（第{first}行附近的引号未成对），"
        f"这{last - first + 1}行均未导入，请修正后重新导出"
    )


@dataclass(frozen=True, slots=True)
class ParseFigures:
    """What one import read, beside what is in force now."""

    previous: int | None  # records of the snapshot in force (None: first import of the list)
    imported: int
    rejected: int
    merged_lines: int  # physical lines swallowed into merged records
    lines_in_file: int | None  # physical lines of a CSV (None for XLSX)
    lines_read: int  # last physical line the parser reached


def hold_reasons(figures: ParseFigures, *, shrink_share: float, unexplained_loss: bool) -> list[str]:
    """Chinese reasons to hold the snapshot for confirmation; empty when it may go in force."""
    reasons = []
    if figures.merged_lines:
        reasons.append(
            f"文件中有{figures.merged_lines}行被合并进其他记录（引号未成对），这些行的记录未能读取"
        )
    if figures.lines_in_file is not None and figures.lines_read < figures.lines_in_file:
        reasons.append(
            f"文件共{figures.lines_in_file}行，解析只读到第{figures.lines_read}行，"
            f"有{figures.lines_in_file - figures.lines_read}行未被读取"
        )
    previous = figures.previous
    if previous:
        lost = previous - figures.imported
        if lost > previous * shrink_share:
            reasons.append(
                f"新版本有效记录{figures.imported}条，比现行版本{previous}条减少{lost}条"
                f"（{lost / previous:.1%}），超过允许的{shrink_share * 100:g}%"
            )
        elif unexplained_loss and lost > figures.rejected:
            reasons.append(
                f"新版本有效记录{figures.imported}条，比现行版本{previous}条减少{lost}条，"
                f"多于被拒绝的{figures.rejected}行"
            )
    return reasons
