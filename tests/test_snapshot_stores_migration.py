"""Migration 0015: the records of snapshots in force move from the shared table into their stores,
under the same record numbers, so a case's references to them still lead to them."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from sqlalchemy import inspect, text

from pipeline.records.store import RecordStores
from pipeline.settings import Settings
from pipeline.storage import open_database
from pipeline.storage.database import create_db_engine
from tests.builders.spec import make_id
from tests.test_case_origin_migration import _upgrade

WANG = make_id("610102", "19900101", "123")


def test_records_in_force_move_into_their_stores_with_their_numbers(tmp_path: Path) -> None:
    settings = Settings(base_dir=tmp_path)
    _upgrade(settings.db_url, "0014_case_crashes")
    engine = create_db_engine(settings.db_url)
    at = dt.datetime(2026, 6, 4, 10, 0)
    with engine.begin() as c:
        c.execute(text("INSERT INTO credit_lists (id, name, created_at) VALUES (1, 'L', :at)"), {"at": at})
        for snapshot_id, current in ((1, False), (2, True)):
            c.execute(
                text(
                    "INSERT INTO snapshots (id, list_id, source_file, sha256, rows_total, rows_imported, "
                    "rows_rejected, rows_masked, imported_at, is_current) "
                    "VALUES (:id, 1, 'x.csv', :sha, 2, 2, 0, 1, :at, :current)"
                ),
                {"id": snapshot_id, "sha": str(snapshot_id) * 64, "at": at, "current": current},
            )
        rows = [
            (7, 2, 3, "王伟", WANG, False, "失信被执行人", "2020-01-01", None),
            (9, 2, 4, "李娜", "610113********2460", True, None, None, "2024-05-01"),
            (5, 1, 3, "旧", make_id(), False, None, None, None),  # a retired snapshot's leftover
        ]
        for rid, sid, line, name, number, masked, category, listed, removed in rows:
            c.execute(
                text(
                    "INSERT INTO records (id, snapshot_id, line, name, name_key, id_number, masked, category, "
                    "listed_on, removed_on) VALUES (:id, :sid, :line, :name, :name, :number, :masked, "
                    ":category, :listed, :removed)"
                ),
                {"id": rid, "sid": sid, "line": line, "name": name, "number": number, "masked": masked,
                 "category": category, "listed": listed, "removed": removed},
            )  # fmt: skip
    engine.dispose()
    db = open_database(settings)  # migrates to head
    try:
        assert "records" not in inspect(db.engine).get_table_names()
        stores = RecordStores(db.engine)
        with db.sessions() as session:
            moved = stores.scan(session, 2)
            assert not stores.exists(session, 1)
        assert [(r.id, r.line, r.name, r.masked, r.category, r.listed_on, r.removed_on) for r in moved] == [
            (7, 3, "王伟", False, "失信被执行人", dt.date(2020, 1, 1), None),
            (9, 4, "李娜", True, None, None, dt.date(2024, 5, 1)),
        ]
        with db.sessions() as session:
            assert [r.name for r in stores.by_id_number(session, 2, [WANG])] == ["王伟"]
        store_file = Path(stores.target(2).location)
        assert stat.S_IMODE(os.stat(store_file).st_mode) == 0o600
    finally:
        db.dispose()
