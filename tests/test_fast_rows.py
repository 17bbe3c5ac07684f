"""The fast path (records/fast_rows.py) takes only rows RowParser would take, and takes them as it
would: the same records, the same rejections with the same Chinese reasons, on the same lines.

Each test imports one file twice, once as usual and once with the fast path off, and compares
every record and every rejected line.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.records import import_list, parsing
from pipeline.records.store import RecordStores
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.models import Snapshot
from tests.builders.spec import make_id
from tests.test_records import HEADER, write_csv

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 0)
GOOD = make_id("610102", "19900101", "123")
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")

NAMES = ["王伟", "Smith", "王 伟", " 王伟", "阿卜杜拉·麦麦提", "阿卜杜拉.麦麦提", "无", "NULL", "", "王" * 201,
         "\uf900伟", "\u3400伟", "王伟\u3000", "e\u0301"]  # fmt: skip
IDS = [GOOD, GOOD[:17] + "x", f" {GOOD}", make_id("610102", "19900101", "123")[:17] + "0",
       "610102199902301234", make_id("610102", TOMORROW, "001"), make_id("610102", "18990101", "001"),
       "6101021990****1234", "610102900101123", "６１０１０２１９９００１０１１２３" + GOOD[-3:], "", "abc"]  # fmt: skip
DATES = ["", "2020-01-01", "2020/01/01", "2020-1-1", "1989-12-31", "2020-02-30", "无", " 2020-01-01",
         "20200101", "2020年1月2日", "-"]  # fmt: skip
OPTIONAL = ["失信被执行人", "", " 前后有空格 ", "—", "无", "NULL", "类" * 201, "a\u00a0"]


def _rows() -> list[list[str]]:
    rows = []
    for i, (name, ident) in enumerate(itertools.product(NAMES, IDS)):
        rows.append([name, ident, OPTIONAL[i % len(OPTIONAL)], OPTIONAL[(i // 3) % len(OPTIONAL)],
                     f"(2020)陕01执{i}号", DATES[i % len(DATES)], DATES[(i * 7) % len(DATES)]])  # fmt: skip
    for listed, removed in itertools.product(DATES, DATES):
        rows.append(["李娜", GOOD, "", "", "", listed, removed])
    rows.append(["", "", "", "", "", "", ""])  # a blank row: not data
    return rows


def _imported(db: Database, settings: Settings, path: Path, name: str) -> tuple[list, list]:
    result = import_list(db.sessions, path, settings, list_name=name, now=NOW)
    with db.sessions() as session:
        snapshot = session.scalar(select(Snapshot).where(Snapshot.id == result.snapshot_id))
        assert snapshot is not None
        records = [tuple(r)[1:] for r in RecordStores(db.engine).scan(session, snapshot.id)]
    rejected = []
    if result.rejected_report is not None:
        with result.rejected_report.open(encoding="utf-8-sig", newline="") as fh:
            rejected = [tuple(r[:2]) for r in list(csv.reader(fh))[1:]]
    return sorted(records), rejected


@pytest.fixture
def both_ways(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    real = parsing._fast_header
    used: list[bool] = []

    def tracking(path, facts):  # type: ignore[no-untyped-def]
        found = real(path, facts)
        used.append(found is not None)
        return found

    monkeypatch.setattr(parsing, "_fast_header", tracking)

    def off() -> None:
        monkeypatch.setattr(parsing, "_fast_header", lambda path, facts: None)

    return used, off


def test_the_fast_path_takes_and_refuses_rows_exactly_as_row_parser_does(
    db: Database, settings: Settings, tmp_path: Path, both_ways
) -> None:  # type: ignore[no-untyped-def]
    used, off = both_ways
    path = write_csv(tmp_path / "edge.csv", _rows())
    fast = _imported(db, settings, path, "A")
    assert used == [True]
    off()
    slow = _imported(db, settings, path, "B")
    assert fast[0] == slow[0]  # every record, value for value, on its line
    assert fast[1] == slow[1]  # every rejected line, with its reason
    assert len(fast[0]) > 50 and len(fast[1]) > 50  # both kinds are really there


@pytest.mark.slow
def test_a_value_spanning_lines_sends_the_file_to_the_row_parser_with_the_right_lines(
    db: Database, settings: Settings, tmp_path: Path, both_ways
) -> None:  # type: ignore[no-untyped-def]
    used, off = both_ways
    rows = [["王伟", GOOD, "类别", "法院", f"(2020)陕01执{i}号", "2020-01-01", ""] for i in range(30_000)]
    rows[20_000][3] = "西安市\n中级人民法院"  # a quoted value with a line break, far into the file
    rows.append(["李娜", "bad", "", "", "", "", ""])
    path = write_csv(tmp_path / "quoted.csv", rows)
    fast = _imported(db, settings, path, "A")
    assert used == [True]
    off()
    slow = _imported(db, settings, path, "B")
    assert fast == slow
    assert fast[1] == [("30003", "身份证号码位数不正确（应为18位）")] or fast[1][0][0] == "30003"


def test_a_row_of_another_width_is_read_as_the_row_parser_reads_it(
    db: Database, settings: Settings, tmp_path: Path, both_ways
) -> None:  # type: ignore[no-untyped-def]
    _used, off = both_ways
    lines = [",".join(HEADER)] + [f"王伟,{GOOD},类别,法院,(2020)陕01执{i}号,2020-01-01," for i in range(100)]
    lines[50] = f"李娜,{GOOD}"  # short: the missing cells are empty
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = _imported(db, settings, path, "A")
    off()
    assert fast == _imported(db, settings, path, "B")
    assert any(r[1] == "李娜" and r[0] == 51 for r in fast[0])
