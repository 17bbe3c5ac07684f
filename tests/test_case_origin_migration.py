"""Migration 0007: cases made by `letters process` before the case core get their tracking row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from pipeline.settings import Settings
from pipeline.storage import open_database
from pipeline.storage.database import MIGRATIONS, create_db_engine
from pipeline.storage.models import Case


def _upgrade(url: str, revision: str) -> None:
    engine = create_db_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_old_process_cases_get_a_tracking_row_and_keep_their_claim(tmp_path: Path) -> None:
    settings = Settings(base_dir=tmp_path)
    _upgrade(settings.db_url, "0006_closed_cases")
    engine = create_db_engine(settings.db_url)
    at = dt.datetime(2026, 6, 4, 10, 0)
    with engine.begin() as c:  # two `letters process` runs of one file, and one of another, as stored before
        for sha, state in (("a" * 64, "replied"), ("a" * 64, "replied"), ("b" * 64, "waiting_review")):
            c.execute(
                text(
                    "INSERT INTO cases (file_sha256, original_name, received_at, updated_at, state) "
                    "VALUES (:sha, '来函.docx', :at, :at, :state)"
                ),
                {"sha": sha, "at": at, "state": state},
            )
    engine.dispose()
    db = open_database(settings)  # migrates to head
    try:
        with db.sessions() as s:
            rows = s.execute(
                text(
                    "SELECT case_id, claim_key, origin, due_date, outcome FROM case_tracking ORDER BY case_id"
                )
            ).all()
            assert s.get(Case, 1) is not None
    finally:
        db.dispose()
    assert [(r.case_id, r.claim_key, r.origin, r.outcome) for r in rows] == [
        (1, "a" * 64, "process", "replied"),
        (2, None, "process", "replied"),  # the second answer of the same bytes holds no claim
        (3, "b" * 64, "process", "waiting_review"),
    ]
    assert str(rows[0].due_date) == "2026-06-09"  # Thursday + 3 working days
