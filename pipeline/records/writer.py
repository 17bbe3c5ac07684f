"""Batched record inserts on a background thread.

Parsing rows is Python work; inserting them is mostly database work that
releases the GIL (sqlite3 and psycopg both do). Running the two side by side
roughly halves an import. The thread uses the importing transaction's own
DBAPI connection and nothing else touches it until `finish()` returns.
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType
from typing import Any

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
    """put(batch) hands a batch to the writer thread; finish() waits and re-raises its error."""

    def __init__(self, raw: Any, dialect: str, snapshot_id: int) -> None:
        self.raw = raw
        self.dialect = dialect
        self.snapshot_id = snapshot_id
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=2)  # bounded: memory stays flat
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="records-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.queue.get()) is not _DONE:
            if self.error is None:
                try:
                    insert_rows(self.raw, self.dialect, self.snapshot_id, batch)
                except BaseException as exc:  # handed to the importing thread by finish()
                    self.error = exc

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
