"""Batched record inserts on a background thread.

Parsing rows is Python work; inserting them is mostly database work that
releases the GIL (sqlite3 and psycopg both do). Running the two side by side
roughly halves an import. The thread has a connection of its own and
commits in chunks (see BatchWriter).
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Connection, Engine

from pipeline.storage.database import SQLITE_BEGIN

RECORD_COLUMNS = (
    "snapshot_id",
    "line",
    "name",
    "name_key",
    "id_number",
    "masked",
    "category",
    "authority",
    "doc_ref",
    "listed_on",
    "removed_on",
)
_DONE = object()


def insert_rows(raw: Any, dialect: str, snapshot_id: int, batch: list[tuple]) -> None:
    """Raw DBAPI for speed: executemany on SQLite, COPY on PostgreSQL.

    Rows come without their snapshot id (RECORD_COLUMNS[1:]): building a new
    tuple per row just to prepend it would cost more than the insert saves.
    """
    columns = ", ".join(RECORD_COLUMNS)
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            with cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row((snapshot_id, *row))
        else:
            marks = ", ".join("?" for _ in RECORD_COLUMNS[1:])
            sql = f"INSERT INTO records ({columns}) VALUES ({int(snapshot_id)}, {marks})"
            cursor.executemany(sql, batch)
    finally:
        cursor.close()


class BatchWriter:
    """put(batch) hands a batch to the writer thread; finish() waits and re-raises its error.

    The thread writes on a connection of its own and commits every `commit_rows` rows: the write
    lock is held for one chunk at a time, so the watcher's writes wait a second, not the whole
    import. The chunks belong to a snapshot nobody reads until the import puts it in force.
    """

    def __init__(
        self, engine: Engine, snapshot_id: int, *, commit_rows: int = 200_000, cache_kb: int = 0
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.snapshot_id = snapshot_id
        self.commit_rows = commit_rows
        self.cache_kb = cache_kb
        self.commits = 0
        self._done = False  # the end marker was taken off the queue
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=2)  # bounded: memory stays flat
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="records-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.engine.connect() as conn:
                self._write(conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}))
        except BaseException as exc:  # handed to the importing thread by finish()
            self.error = self.error or exc
            while not self._done and self.queue.get() is not _DONE:  # drain: put() never blocks on it
                pass

    def _write(self, conn: Connection) -> None:
        sqlite = self.dialect == "sqlite"
        raw = conn.connection.driver_connection
        if sqlite and self.cache_kb:  # a larger page cache: the ID index is inserted in random order
            raw.execute(f"PRAGMA cache_size = -{int(self.cache_kb)}")  # outside any transaction
        tx = None
        pending = 0
        try:
            while (batch := self.queue.get()) is not _DONE:
                if self.error is not None:
                    continue
                if tx is None:
                    tx = conn.begin()
                insert_rows(raw, self.dialect, self.snapshot_id, batch)
                pending += len(batch)
                if pending >= self.commit_rows:
                    tx.commit()
                    self.commits += 1
                    tx, pending = None, 0
            self._done = True
            if tx is not None and self.error is None:
                tx.commit()
                self.commits += 1
                tx = None
        finally:
            if tx is not None:
                tx.rollback()
            if sqlite and self.cache_kb:
                raw.execute("PRAGMA cache_size = -2000")

    def put(self, batch: list[tuple]) -> None:
        if self.error is not None:
            self.finish()
        self.queue.put(batch)

    def finish(self) -> None:
        if self.thread.is_alive():
            self.queue.put(_DONE)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:  # stop the thread quietly; the caller's error wins
            self.error = self.error or exc
            if self.thread.is_alive():
                self.queue.put(_DONE)
                self.thread.join()
            return
        self.finish()
