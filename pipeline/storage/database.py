"""Open the database: private SQLite file or PostgreSQL, migrated to head."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ConfigError, DatabaseBusy, DatabaseUnreachable, LettersError
from pipeline.privacy import private_file
from pipeline.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 15_000
SQLITE_BEGIN = "sqlite_begin"  # execution option read by the begin hook
MIGRATION_LOCK_KEY = 0x6C657474  # "lett": PostgreSQL advisory lock held while migrating


@dataclass(slots=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_path(url: str) -> Path | None:
    """The SQLite database file of `url` (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file 0600 before SQLite does; SQLite gives -wal/-shm the same mode.

    An existing file is only chmod-ed, never opened: closing any descriptor of
    the database file drops this process's SQLite locks on it (POSIX advisory
    locks), after which another process closing its connection may checkpoint
    and delete the WAL under a live connection — a corrupt database.
    """
    if path.exists():
        os.chmod(path, 0o600)
    else:
        private_file(path)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.chmod(side, 0o600)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # write_transaction() asks for IMMEDIATE: the write lock up front, so a transaction
        # that reads before it writes waits its turn instead of failing with "database is locked".
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _never_recreate(engine: Engine, path: Path) -> None:
    """Every connection opens the file made above read-write, never creating it: a database file
    removed under the service must fail its next connection (the service then stops and says it
    was deleted), not be recreated empty by the pool as if it had been replaced."""
    from urllib.parse import quote

    @event.listens_for(engine, "do_connect")
    def _existing_only(_dialect, _record, cargs, cparams) -> None:  # type: ignore[no-untyped-def]
        cargs[:1] = [f"file:{quote(str(path.resolve()))}?mode=rw"]
        cparams["uri"] = True


def create_db_engine(url: str) -> Engine:
    """An engine for `url` with the per-backend settings the pipeline relies on."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"bad database URL: {exc}", "配置项 database_url 不是有效的数据库地址。") from exc
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            old_umask = os.umask(0o077)  # anything SQLite creates beside it stays private too
            try:
                _prepare_sqlite_file(path)
            finally:
                os.umask(old_umask)
        engine = create_engine(url)
        _configure_sqlite(engine)
        if path is not None:
            _never_recreate(engine, path)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction that holds SQLite's write lock from the start (PostgreSQL: plain)."""
    with sessions.begin() as session:
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
        yield session


_REVISION = re.compile(r'^(down_)?revision\s*(?::[^=]*)?=\s*["\']?([\w.-]+|None)["\']?', re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The newest migration shipped, read from the migration files themselves (the one no other
    names as its `down_revision`); None when that is not a single one (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for down, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (parents if down else revisions).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(engine: Engine) -> bool:
    """The schema is already the newest: nothing to upgrade, and Alembic (a third of a second to
    import, more to read its scripts) is not loaded for a command that only reads."""
    from sqlalchemy import inspect

    head = head_revision()
    if head is None:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return current == [head]


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration shipped in the package.

    Two processes starting at once on a new database take turns: SQLite through
    BEGIN IMMEDIATE, PostgreSQL through a transaction-scoped advisory lock.
    """
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A migration that changes a constraint copies the table and drops the old one; with
            # foreign keys on, that drop deletes every row that cascades from it (tracking,
            # decisions, drafts …). SQLite's own procedure: keys off outside the transaction,
            # then a foreign-key check before the commit.
            _pragma(connection, "foreign_keys = OFF")
        connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys = ON")


def _pragma(connection: Connection, pragma: str) -> None:
    """A pragma outside any transaction (SQLAlchemy would open one): on the driver's connection."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    """The database named by settings, created privately and migrated to head.

    Only the default database (data/letters.db) brings its folder into being. A configured SQLite
    URL whose folder is missing is a mistyped or unmounted path: creating the folder would start
    an empty office (no lists, no cases, reply numbers from 1) beside the real one, so it is refused.
    """
    configured = sqlite_path(settings.database_url) if settings.database_url else None
    if configured is not None and not configured.parent.is_dir():
        raise ConfigError(
            f"database_url names a missing folder: {configured.parent}",
            f"配置项 database_url 指向的文件夹不存在：{configured.parent}。请检查数据库地址（是否写错或存储未挂载）；"
            "为避免误建一个空的数据库，系统不会自动创建该文件夹。",
        )
    engine = create_db_engine(settings.db_url)
    if upgrade:
        migrate(engine)
    path = sqlite_path(settings.db_url) if engine.dialect.name == "sqlite" else None
    if path is not None:
        _prepare_sqlite_file(path)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def explain_database_error(exc: BaseException) -> LettersError | None:
    """The clerk-facing error for a database fault that is not a bug: busy, or unreachable."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    text = str(getattr(exc, "orig", exc) or exc).lower()
    if "database is locked" in text or "database table is locked" in text or "lock timeout" in text:
        return DatabaseBusy(f"database busy: {text[:200]}")
    if exc.connection_invalidated or any(
        marker in text
        for marker in (
            "could not connect",
            "connection refused",
            "connection failed",
            "password authentication",
            "no such host",
            "name or service not known",
            "timeout expired",
            "server closed the connection",
        )
    ):
        return DatabaseUnreachable(f"database unreachable: {text[:200]}")
    return None
