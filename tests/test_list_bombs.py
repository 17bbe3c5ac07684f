"""Hostile list workbooks cost what a list costs: refused by their declared sizes before parsing, or
read no wider than a list can be."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.records import ListFileError
from pipeline.records.source import MAX_LIST_COLUMNS, check_xlsx_package, xlsx_rows
from tests.service_letters import person

HEADER = ["姓名", "身份证号码", "名单类别"]


def _workbook(path: Path, rows: int = 3) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in range(rows):
        name, number = person(900 + i)
        sheet.append([name, number, "失信被执行人"])
    book.save(path)
    return path


def _rewrite(path: Path, part: str, change) -> Path:  # type: ignore[no-untyped-def]
    """The same workbook with one part's XML changed, or added (the way a hostile file is made)."""
    out = path.with_name("bomb-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, change(data) if info.filename == part else data)
        if part not in src.namelist():
            dst.writestr(
                part, change(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
            )
    return out


def test_a_declared_dimension_of_the_whole_sheet_is_not_read_as_such(tmp_path: Path) -> None:
    """Regression: a row bomb declared A1:XFD1048576 and put a cell at column XFD in its rows, so
    openpyxl padded every row to 16,384 cells; a 4.6 MB workbook was still importing after 900 s."""
    sheet = "xl/worksheets/sheet1.xml"
    path = _rewrite(
        _workbook(tmp_path / "名单.xlsx"),
        sheet,
        lambda xml: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', xml).replace(
            b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1
        ),
    )
    rows = list(xlsx_rows(path))
    assert [cells[:2] for _, cells in rows[1:]] == [list(person(900 + i)) for i in range(3)]
    assert max(len(cells) for _, cells in rows) <= MAX_LIST_COLUMNS


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_a_part_that_inflates_a_thousandfold_is_refused_before_parsing(tmp_path: Path, part: str) -> None:
    """Regression: a sharedStrings bomb took 847 s and 2.39 GB before it was refused."""
    path = _workbook(tmp_path / "名单.xlsx")
    padding = b"<!--" + b" " * (40 * 1024**2) + b"-->"  # 40 MB that deflate to about 40 KB
    bomb = _rewrite(path, part, lambda xml: padding + xml)
    with zipfile.ZipFile(bomb) as zf:
        assert part in zf.namelist()
    with pytest.raises(ListFileError) as caught:
        check_xlsx_package(bomb)
    assert "解压后过大" in caught.value.message_zh and caught.value.exit_code == 7
    with pytest.raises(ListFileError):
        list(xlsx_rows(bomb))  # the reader asks first
