"""A list import never holds a lock the watcher waits on: its records fill a store of their own, a
failed import leaves nothing behind, and an import that died mid-way is cleaned by the next one.

Found trying faults: one transaction per import held the write lock 15-40 s per million rows, long
enough for the watcher's writes to time out.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pipeline.records import ListFileError, import_list
from pipeline.records.store import RecordStores, StoreBuilder
from pipeline.settings import Settings
from pipeline.storage import Database, write_transaction
from pipeline.storage.models import CreditList, Snapshot
from tests.builders.spec import make_id
from tests.test_records import NOW, row, stored, write_csv

pytest_plugins = ["tests.db_backends"]


def _rows(n: int) -> list[list[str]]:
    rng = random.Random(n)
    return [
        row(f"王{i}", make_id("610102", f"19{rng.randrange(50, 99)}0101", f"{i % 1000:03d}"))
        for i in range(n)
    ]


def test_the_watcher_writes_at_once_while_a_list_store_fills(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[int] = []
    real = StoreBuilder.append

    def watching(self, table):  # type: ignore[no-untyped-def]
        real(self, table)
        with write_transaction(db.sessions) as other:  # the watcher's write, mid-import
            if db.engine.dialect.name == "sqlite":
                other.execute(text("PRAGMA busy_timeout = 0"))  # fail at once rather than wait
            other.execute(text("UPDATE credit_lists SET name = name"))
        waits.append(table.num_rows)

    monkeypatch.setattr(StoreBuilder, "append", watching)
    from pipeline.records import parsing

    monkeypatch.setattr(parsing, "BATCH", 250)
    monkeypatch.setattr(parsing, "_fast_header", lambda path, facts: None)  # row batches of 250
    result = import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(3000)), settings, now=NOW)
    assert result.rows_imported == 3000
    assert len(waits) >= 12  # every batch let the other writer in
    with write_transaction(db.sessions) as session:  # and the lock is free afterwards
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_a_failed_import_leaves_no_snapshot_and_no_store(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(50)), settings, now=NOW)
    bad = write_csv(tmp_path / "L2.csv", [["", "不是号码", "", "", "", "", ""]] * 10)
    with pytest.raises(ListFileError):
        import_list(db.sessions, bad, settings, list_name="L", now=NOW)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1
        assert RecordStores(db.engine).leftovers(session, {1}) == []
    assert stored(db) == 50


def test_an_import_that_died_mid_way_is_cleaned_by_the_next(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    first = import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(40)), settings, now=NOW)
    stores = RecordStores(db.engine)
    with write_transaction(db.sessions) as session:  # what a kill -9 mid-import leaves
        list_id = session.scalar(select(CreditList.id).where(CreditList.name == "L"))
        dead = Snapshot(list_id=list_id, source_file="x", sha256="0" * 64, rows_total=0, rows_imported=0,
                        rows_rejected=0, rows_masked=0, imported_at=NOW, is_current=False)  # fmt: skip
        session.add(dead)
        session.flush()
        dead_id = dead.id
    import pyarrow as pa

    half = StoreBuilder(stores.target(dead_id))  # a half-built store, never finished
    half.append(pa.table({"line": [1], "name": ["残"], "name_key": ["残"], "id_number": [make_id()],
                          "masked": [False], "category": [None], "authority": [None], "doc_ref": [None],
                          "listed_on": [None], "removed_on": [None]},
                         schema=pa.schema([(c, pa.bool_() if c == "masked" else pa.int64() if c == "line"
                                            else pa.string()) for c in ("line", "name", "name_key",
                                            "id_number", "masked", "category", "authority", "doc_ref",
                                            "listed_on", "removed_on")])))  # fmt: skip
    orphan = StoreBuilder(stores.target(dead_id + 50))  # and a store whose snapshot row is gone
    orphan.finish()
    again = import_list(
        db.sessions, write_csv(tmp_path / "L3.csv", _rows(45)), settings, list_name="L", now=NOW
    )
    with db.sessions() as session:
        snapshots = set(session.scalars(select(Snapshot.id)))
        assert stores.leftovers(session, snapshots) == []
        assert not stores.exists(session, dead_id + 50)
        if again.snapshot_id != dead_id:  # SQLite may give the new snapshot the dead one's number
            assert not stores.exists(session, dead_id)
        assert stores.count(session, again.snapshot_id) == 45
    assert again.snapshot_id in snapshots and first.snapshot_id in snapshots and len(snapshots) == 2
    if db.engine.dialect.name == "sqlite":
        assert not stores.target(dead_id).part.exists()
    assert stored(db) == 85  # the one in force, and the one it replaced (kept one import longer)
