"""Migration 0017: failed cases get the kind of failure their stored text shows (pipeline.errors.FailureKind)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.errors import LooseAttachment, NotALetter
from pipeline.settings import Settings
from pipeline.storage import open_database
from pipeline.storage.database import create_db_engine
from tests.test_case_origin_migration import _upgrade


@pytest.mark.slow
def test_old_failures_get_their_kind_and_the_rest_stay_unknown(tmp_path: Path) -> None:
    """Regression: a loose roster was recognised by the first 8 characters of its error text, so
    rewording the message would have hidden the console's 附到来函 from every such case."""
    settings = Settings(base_dir=tmp_path)
    _upgrade(settings.db_url, "0016_claims_history_ledger")
    engine = create_db_engine(settings.db_url)
    at = dt.datetime(2026, 6, 4, 10, 0)
    stored = [
        ("failed", LooseAttachment.default_zh),
        ("failed", NotALetter.default_zh),
        ("failed", "文件已损坏，无法打开，请向来函单位索取完整文件。"),
        ("replied", None),
    ]
    with engine.begin() as c:
        for n, (state, error) in enumerate(stored):
            c.execute(
                text(
                    "INSERT INTO cases (file_sha256, original_name, received_at, updated_at, state, error) "
                    "VALUES (:sha, '来函.docx', :at, :at, :state, :error)"
                ),
                {"sha": str(n) * 64, "at": at, "state": state, "error": error},
            )
    engine.dispose()
    db = open_database(settings)  # migrates to head
    try:
        with db.sessions() as s:
            kinds = s.execute(text("SELECT error_kind FROM cases ORDER BY id")).scalars().all()
    finally:
        db.dispose()
    assert kinds == ["loose_roster", "not_a_letter", None, None]
