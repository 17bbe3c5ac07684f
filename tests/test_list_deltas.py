"""Daily delta files: the day's additions and removals become a snapshot layered on the one in
force, without reading the whole list again, and a check reads exactly what the layers say as of
its own time."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.records import ListFileError, import_list, is_delta_file, list_status
from pipeline.records.results import default_list_name
from pipeline.records.store import RecordStores
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.models import Snapshot
from tests.test_check import HEADER, LI, MA, WANG, ZHAO, check, verdicts

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 0)
ZHAO_MASKED = ZHAO[:10] + "****" + ZHAO[14:]


def _file(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def rec(name: str, ident: str, doc: str, listed: str = "2020-01-02", removed: str = "") -> list[str]:
    return [name, ident, "失信被执行人", "法院", doc, listed, removed]


@pytest.fixture
def full(db: Database, settings: Settings, tmp_path: Path) -> int:
    path = _file(tmp_path, "失信被执行人_20260601.csv", [
        rec("王伟", WANG, "(2020)陕01执1号"),
        rec("李娜", LI, "(2020)陕01执2号"),
        rec("李娜", LI, "(2021)陕01执9号"),  # listed twice, under two 案号
        rec("赵强", ZHAO_MASKED, "(2020)陕01执3号"),  # masked
    ])  # fmt: skip
    return import_list(db.sessions, path, settings, now=NOW - dt.timedelta(days=3)).snapshot_id


def test_a_delta_adds_and_removes_records_as_of_the_check_time(
    db: Database, settings: Settings, tmp_path: Path, full: int
) -> None:
    delta = _file(tmp_path, "失信被执行人_增量_20260603.csv", [
        rec("李娜", LI, "(2020)陕01执2号", removed="2026-06-03"),  # one of her two listings ends
        rec("王伟", WANG, "(2020)陕01执1号", removed="2026-06-03"),
        rec("马蓉", MA, "(2026)陕01执7号", listed="2026-06-03"),
        rec("赵强", ZHAO_MASKED, "(2020)陕01执3号", removed="2026-06-03"),
    ])  # fmt: skip
    assert is_delta_file(delta) and default_list_name(delta) == "失信被执行人"
    result = import_list(db.sessions, delta, settings, now=NOW, delta=True)
    assert (result.delta, result.rows_imported, result.held) == (True, 4, [])
    with db.sessions() as session:
        top = session.scalar(select(Snapshot).where(Snapshot.is_current))
        assert top is not None and (top.id, top.base_id) == (result.snapshot_id, full)
    people = [("王伟", WANG), ("李娜", LI), ("马蓉", MA), ("赵强", ZHAO)]
    assert verdicts(check(db, settings, people, now=NOW)) == ["clear", "listed", "listed", "clear"]
    li = check(db, settings, [("李娜", LI)], now=NOW).results[0]
    assert [r.line for r in li.records] == [4]  # the listing no delta ended, from the full file
    assert [r.snapshot_id for r in li.records] == [full]
    # The same layers, read as of the day before the removals and additions took effect.
    day_before = NOW - dt.timedelta(days=2)
    assert verdicts(check(db, settings, people, now=day_before)) == ["listed", "listed", "clear", "possible"]
    with db.sessions() as session:
        (status,) = list_status(session, settings.freshness_days, NOW)
    assert (status.rows, status.deltas, status.delta_rows, status.imported_at) == (4, 1, 4, NOW)
    assert "增量更新1次" in status.line_zh(NOW)


def test_deltas_stack_newest_first_and_a_full_import_ends_the_chain(
    db: Database, settings: Settings, tmp_path: Path, full: int
) -> None:
    first = _file(tmp_path, "L_增量_1.csv", [rec("王伟", WANG, "(2020)陕01执1号", removed="2026-06-02")])
    second = _file(tmp_path, "L_增量_2.csv", [rec("王伟", WANG, "(2020)陕01执1号")])  # listed again
    one = import_list(db.sessions, first, settings, list_name="失信被执行人", now=NOW, delta=True)
    assert verdicts(check(db, settings, [("王伟", WANG)])) == ["clear"]
    two = import_list(db.sessions, second, settings, list_name="失信被执行人", now=NOW, delta=True)
    assert verdicts(check(db, settings, [("王伟", WANG)])) == ["listed"]
    stores = RecordStores(db.engine)
    renewed = _file(tmp_path, "失信被执行人_20260605.csv", [rec("李娜", LI, "x")] * 4)
    import_list(db.sessions, renewed, settings, now=NOW, confirm=None)
    assert verdicts(check(db, settings, [("王伟", WANG), ("李娜", LI)])) == ["clear", "listed"]
    with db.sessions() as session:  # the old chain is kept one import longer, then goes
        assert all(stores.exists(session, i) for i in (full, one.snapshot_id, two.snapshot_id))
    import_list(
        db.sessions,
        _file(tmp_path, "失信被执行人_20260606.csv", [rec("李娜", LI, "y")] * 4),
        settings,
        now=NOW,
    )
    with db.sessions() as session:
        assert not any(stores.exists(session, i) for i in (full, one.snapshot_id, two.snapshot_id))


def test_a_delta_needs_a_full_import_first(db: Database, settings: Settings, tmp_path: Path) -> None:
    delta = _file(tmp_path, "新名单_增量.csv", [rec("王伟", WANG, "x")])
    with pytest.raises(ListFileError) as info:
        import_list(db.sessions, delta, settings, now=NOW, delta=True)
    assert "尚未导入完整版本" in info.value.message_zh
    with db.sessions() as session:
        assert session.scalar(select(Snapshot)) is None


def test_a_full_import_after_deltas_is_weighed_against_the_full_list_not_the_delta(
    db: Database, settings: Settings, tmp_path: Path, full: int
) -> None:
    """Regression: the shrink guard compared a new full list with the delta on top (4 rows here),
    so a full file that lost most of the list would have gone in force unheld."""
    big = _file(tmp_path, "失信被执行人_20260602.csv", [rec(f"王{i}", WANG, f"d{i}") for i in range(100)])
    import_list(db.sessions, big, settings, now=NOW)
    import_list(db.sessions, _file(tmp_path, "x_增量.csv", [rec("马蓉", MA, "m")]), settings,
                list_name="失信被执行人", now=NOW, delta=True)  # fmt: skip
    small = _file(tmp_path, "失信被执行人_20260603.csv", [rec("李娜", LI, "z")] * 3)
    result = import_list(db.sessions, small, settings, now=NOW)
    assert result.held  # 3 rows against the 100 in force: held for an administrator
