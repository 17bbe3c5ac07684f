"""Migrations that copy a table keep every row that hangs off it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from pipeline.settings import Settings
from pipeline.storage import open_database
from pipeline.storage.database import create_db_engine
from tests.test_case_origin_migration import _upgrade


def test_a_migration_copying_the_cases_table_keeps_what_cascades_from_it(tmp_path: Path) -> None:
    """Regression: 0012 recreates `cases` on SQLite (its state CHECK changes); with foreign keys on,
    dropping the old table deleted every tracking row, decision, draft and spot check."""
    settings = Settings(base_dir=tmp_path)
    _upgrade(settings.db_url, "0011_spot_checks")
    engine = create_db_engine(settings.db_url)
    at = dt.datetime(2026, 11, 2, 9, 0)
    with engine.begin() as c:
        c.execute(text("INSERT INTO cases (id, file_sha256, original_name, received_at, updated_at, state) "
                       "VALUES (1, :sha, 'a.docx', :at, :at, 'replied')"), {"sha": "a" * 64, "at": at})  # fmt: skip
        c.execute(text("INSERT INTO case_tracking (case_id, claim_key, source_path, attempts, due_date, origin) "
                       "VALUES (1, :sha, 'a.docx', 0, '2026-11-05', 'inbox')"), {"sha": "a" * 64})  # fmt: skip
        c.execute(text("INSERT INTO spot_checks (case_id, drawn_at, rule, status) VALUES (1, :at, 'r', 'open')"),
                  {"at": at})  # fmt: skip
        c.execute(text("INSERT INTO case_drafts (case_id, body, saved_by, saved_at) VALUES (1, '{}', 'x', :at)"),
                  {"at": at})  # fmt: skip
    engine.dispose()
    db = open_database(settings)  # to head
    try:
        with db.sessions() as s:
            counts = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in
                      ("cases", "case_tracking", "spot_checks", "case_drafts")}  # fmt: skip
            keys = s.execute(text("PRAGMA foreign_keys")).scalar()
    finally:
        db.dispose()
    assert counts == {"cases": 1, "case_tracking": 1, "spot_checks": 1, "case_drafts": 1}
    assert keys == 1  # back on for the service
