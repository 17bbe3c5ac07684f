"""Every test database starts as a copy of one migrated once per test process.

Running the sixteen Alembic migrations took about a second per fresh database, and some 300 tests
take one. The template is migrated by the real `migrate` the first time a test needs a database; a
fresh SQLite file then receives it through SQLite's backup API, and a PostgreSQL test gets a
database created `TEMPLATE` it. A database that already holds tables (an older revision built by
a migration test) still goes through the real migrations, so migration tests test them.

Registered from tests/conftest.py; `db_backends.db_url` asks `postgres_database()` for its database.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pipeline.storage import database

_real_migrate = database.migrate
_lock = threading.RLock()
# "folder": where the SQLite template is built; "memory": it, read into memory; "head": the newest
# revision; "pg": this process's template database on the server
_state: dict[str, object] = {}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _sqlite_template() -> sqlite3.Connection:
    """The migrated SQLite template of this process, held in memory: built on first use in a file
    by the real migrations, then read once. Test databases are restored from this connection only,
    so no test's file operations can reach the template (one worker's template file was found
    overwritten mid-run, failing every later test of that worker)."""
    with _lock:
        memory = _state.get("memory")
        if isinstance(memory, sqlite3.Connection):
            return memory
        path = Path(str(_state["folder"])) / "template.db"
        engine = database.create_db_engine(f"sqlite:///{path}")
        try:
            _real_migrate(engine)
        finally:
            engine.dispose()
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        disk = sqlite3.connect(path)
        try:
            disk.backup(memory)
        finally:
            disk.close()
        _state["memory"] = memory
        return memory


def _sqlite_is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()


def migrate_from_template(engine: Engine) -> None:
    """`migrate` for tests: an empty SQLite database is restored from the template; a PostgreSQL
    database made from the template is at head already; anything else migrates for real."""
    if engine.dialect.name == "sqlite" and database.sqlite_path(str(engine.url)) is not None:
        if _sqlite_is_empty(engine):
            raw = engine.raw_connection()
            try:
                with _lock:  # one sqlite3 connection, used by one thread at a time
                    _sqlite_template().backup(raw.driver_connection)  # type: ignore[arg-type]
            finally:
                raw.close()
            return
    elif engine.dialect.name == "postgresql" and _pg_at_head(engine):
        return
    _real_migrate(engine)


def _pg_at_head(engine: Engine) -> bool:
    head = _state.get("head")
    if head is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(database.MIGRATIONS))
        head = _state["head"] = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        present = connection.exec_driver_sql(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'"
            " AND table_schema = current_schema()"
        ).scalar()
        return (
            bool(present)
            and connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        )


def _on_server(base_url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE refuse one) on the server."""
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def _pg_template(base_url: str) -> str:
    """This process's template database on the server, migrated once (replaced if left over)."""
    with _lock:
        name = _state.get("pg")
        if isinstance(name, str):
            return name
        name = f"letters_tpl_{_worker()}"
        _on_server(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        engine = create_engine(make_url(base_url).set(database=name))
        try:
            _real_migrate(engine)
        finally:
            engine.dispose()
        _state["pg"] = name
        return name


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database at head (a copy of the template), dropped afterwards."""
    template = _pg_template(base_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    _on_server(base_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _on_server(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True, scope="session")
def _databases_from_a_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    _state["folder"] = tmp_path_factory.mktemp("template-db")
    patch = pytest.MonkeyPatch()
    patch.setattr(database, "migrate", migrate_from_template)
    yield
    patch.undo()
    name, base = _state.pop("pg", None), os.environ.get("LETTERS_TEST_PG_URL")
    if isinstance(name, str) and base:
        _on_server(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
