"""A list import never holds the write lock for the whole file: its records are committed in chunks,
a failed import leaves nothing behind, and an import that died mid-way is cleaned by the next one.

Found trying faults: one transaction per import held the write lock 15-40 s per million rows, long
enough for the watcher's writes to time out.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.records import ListFileError, import_list, importer, writer
from pipeline.settings import Settings
from pipeline.storage import Database, write_transaction
from pipeline.storage.models import CreditList, Record, Snapshot
from tests.builders.spec import make_id
from tests.test_records import NOW, row, write_csv

pytest_plugins = ["tests.db_backends"]


def _rows(n: int) -> list[list[str]]:
    rng = random.Random(n)
    return [
        row(f"王{i}", make_id("610102", f"19{rng.randrange(50, 99)}0101", f"{i % 1000:03d}"))
        for i in range(n)
    ]


def test_records_are_committed_a_chunk_at_a_time_while_the_import_runs(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "COMMIT_ROWS", 500)
    seen: list[int] = []  # records of the new snapshot others could already see, at each insert
    real = writer.insert_rows

    def watching(raw, dialect, snapshot_id, batch):  # type: ignore[no-untyped-def]
        with db.sessions() as other:  # another connection, as the watcher's would be
            seen.append(other.scalar(select(func.count()).where(Record.snapshot_id == snapshot_id)) or 0)
        real(raw, dialect, snapshot_id, batch)

    monkeypatch.setattr(writer, "insert_rows", watching)
    from pipeline.records import parsing

    monkeypatch.setattr(parsing, "BATCH", 250)
    result = import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(3000)), settings, now=NOW)
    assert result.rows_imported == 3000
    assert max(seen) >= 2500  # committed chunks were visible to others long before the end
    with write_transaction(db.sessions) as session:  # and the lock is free afterwards
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_a_failed_import_leaves_no_snapshot_and_no_records(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(50)), settings, now=NOW)
    bad = write_csv(tmp_path / "L2.csv", [["", "不是号码", "", "", "", "", ""]] * 10)
    with pytest.raises(ListFileError):
        import_list(db.sessions, bad, settings, list_name="L", now=NOW)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1
        assert session.scalar(select(func.count()).select_from(Record)) == 50


def test_an_import_that_died_mid_way_is_cleaned_by_the_next(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    first = import_list(db.sessions, write_csv(tmp_path / "L.csv", _rows(40)), settings, now=NOW)
    with write_transaction(db.sessions) as session:  # what a kill -9 between chunks leaves
        list_id = session.scalar(select(CreditList.id).where(CreditList.name == "L"))
        dead = Snapshot(list_id=list_id, source_file="x", sha256="0" * 64, rows_total=0, rows_imported=0,
                        rows_rejected=0, rows_masked=0, imported_at=NOW, is_current=False)  # fmt: skip
        session.add(dead)
        session.flush()
        for i in range(30):
            session.add(Record(snapshot_id=dead.id, line=i, name="残", name_key="残", id_number=make_id(),
                               masked=False, category=None, authority=None, doc_ref=None))  # fmt: skip
    again = import_list(
        db.sessions, write_csv(tmp_path / "L3.csv", _rows(45)), settings, list_name="L", now=NOW
    )
    with db.sessions() as session:
        snapshots = set(session.scalars(select(Snapshot.id)))
        kept = session.scalar(select(func.count()).select_from(Record))
    assert again.snapshot_id in snapshots and first.snapshot_id in snapshots and len(snapshots) == 2
    assert kept == 45  # the dead import's rows and the replaced snapshot's rows are gone
