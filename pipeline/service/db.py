"""Write transactions that take SQLite's write lock up front.

The storage engine begins SQLite transactions with a plain (deferred) BEGIN.
A transaction that reads and then writes can then fail at once with
"database is locked" when another process wrote in between — the busy
timeout does not apply to that case. Every service write transaction
therefore starts with a harmless write, so it waits its turn instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.storage import Database

_TAKE_WRITE_LOCK = text("UPDATE audit_head SET seq = seq WHERE id = 0")


@contextmanager
def write_session(db: Database) -> Iterator[Session]:
    """A session in a transaction that holds the write lock from its first statement (SQLite)."""
    with db.sessions.begin() as session:
        if db.engine.dialect.name == "sqlite":
            session.execute(_TAKE_WRITE_LOCK)
        yield session
