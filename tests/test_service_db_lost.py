"""`rm data/letters.db*` under a running service is noticed: it stops taking letters and says why.

Found trying faults: SQLite keeps writing to a deleted file, so the service went
on numbering and recording replies in a database nobody would ever see again.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline.inbox.run import Service, run_forever
from pipeline.settings import load_settings
from tests.service_fakes import fake_processor
from tests.service_helpers import wait_for


@pytest.mark.slow
@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_database_file_removed_under_the_service_stops_it_taking_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture, how: str
) -> None:
    settings = load_settings(
        env={}, config=tmp_path / "none.toml", base_dir=tmp_path, stable_seconds=0.2, poll_seconds=0.2
    )
    svc = Service(settings, processor_factory=fake_processor)
    inbox = settings.path(settings.inbox)
    db_file = tmp_path / "data" / "letters.db"

    def remove_the_database() -> None:  # from outside, while run_forever holds the main thread
        wait_for(lambda: inbox.is_dir(), what="service started")
        for path in tmp_path.glob("data/letters.db*"):
            path.unlink()
        if how == "replaced":
            db_file.write_bytes(b"")
        wait_for(lambda: svc.db_lost is not None, timeout=15, what="loss noticed")
        (inbox / "a.docx").write_text("OK a", encoding="utf-8")

    remover = threading.Thread(target=remove_the_database, daemon=True)
    remover.start()
    result = [run_forever(svc)]  # returns by itself once the loss is noticed
    remover.join(15)
    assert result == [1]
    assert (inbox / "a.docx").exists()  # not taken: a healthy start will take it
    assert not list(settings.path(settings.outbox).iterdir())
    err = capsys.readouterr().err
    assert f"数据库文件 {db_file} {'已被删除' if how == 'deleted' else '已被替换'}" in err


def test_a_deleted_database_file_is_never_recreated_by_a_new_connection(tmp_path: Path) -> None:
    """Regression: under load the service said 已被替换 for a deleted file: a pooled connection opened
    after the deletion had created a new empty database (no tables) in its place."""
    import sqlalchemy.exc
    from sqlalchemy import text

    from pipeline.storage.database import create_db_engine

    db_file = tmp_path / "letters.db"
    engine = create_db_engine(f"sqlite:///{db_file}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()  # the pool's connections go; the next one opens the file anew
    for path in tmp_path.glob("letters.db*"):
        path.unlink()
    with pytest.raises(sqlalchemy.exc.OperationalError), engine.connect():
        pass
    assert not db_file.exists()
