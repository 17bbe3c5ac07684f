"""Database fixtures: every storage and check test runs on SQLite and on PostgreSQL.

PostgreSQL comes from LETTERS_TEST_PG_URL (e.g.
postgresql+psycopg://letters:letters@localhost/letters_test); without it those
tests are skipped. Each test gets a database of its own, a copy of a migrated template
(tests/template_databases.py), dropped afterwards.
Modules use these with `pytest_plugins = ["tests.db_backends"]`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.settings import Settings, load_settings
from pipeline.storage import Database, open_database
from tests.template_databases import postgres_database

PG_ENV = "LETTERS_TEST_PG_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)  # a configured URL names a folder that exists
        yield f"sqlite:///{tmp_path / 'data' / 'letters.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    with postgres_database(base) as url:
        yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(env={}, base_dir=tmp_path, database_url=db_url, config=tmp_path / "none.toml")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    try:
        yield database
    finally:
        database.dispose()
