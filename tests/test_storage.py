"""Storage: migrations, private SQLite files, case states, reply numbers."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from pipeline.settings import Settings
from pipeline.storage import Database, open_database, write_transaction
from pipeline.storage.models import Base, Case, CaseState
from pipeline.storage.numbers import allocate_reply_number, allocated_numbers, format_doc_number

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 30)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migration_creates_every_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"credit_lists", "snapshots", "reply_counters", "reply_numbers", "cases"} <= tables
    assert "alembic_version" in tables


STORAGE_TABLES = {"credit_lists", "snapshots", "reply_counters", "reply_numbers", "cases"}


def _storage_only(name: str | None, type_: str, parent_names: dict) -> bool:
    """Later migrations (the watcher's tables) are compared by their own tests."""
    if type_ == "schema":
        return True
    if type_ == "table":
        return name in STORAGE_TABLES
    return parent_names.get("table_name") in STORAGE_TABLES


def test_models_agree_with_the_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _storage_only})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_opening_twice_is_harmless(settings: Settings, db: Database) -> None:
    with db.sessions.begin() as session:
        session.add(_case())
    again = open_database(settings)
    try:
        with again.sessions() as session:
            assert session.scalar(select(Case.original_name)) == "来函.docx"
    finally:
        again.dispose()


def _case(state: str = CaseState.RECEIVED.value) -> Case:
    return Case(
        file_sha256="a" * 64,
        original_name="来函.docx",
        received_at=NOW,
        updated_at=NOW,
        state=state,
        letter_json={"people": [{"name": "王伟"}]},
        reasons=["失信名单未导入或已过期"],
    )


def test_every_case_state_is_accepted(db: Database) -> None:
    with db.sessions.begin() as session:
        session.add_all(_case(s.value) for s in CaseState)
    with db.sessions() as session:
        assert sorted(session.scalars(select(Case.state))) == sorted(s.value for s in CaseState)
        case = session.scalars(select(Case)).first()
        assert case is not None
        assert case.reasons == ["失信名单未导入或已过期"]
        assert case.letter_json == {"people": [{"name": "王伟"}]}


def test_unknown_case_state_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.sessions.begin() as session:
        session.add(_case("lost"))


def test_reply_numbers_count_up_per_prefix_and_year(db: Database) -> None:
    got = [allocate_reply_number(db.sessions, "陕信用函", 2026, now=NOW) for _ in range(3)]
    assert got == ["陕信用函〔2026〕1号", "陕信用函〔2026〕2号", "陕信用函〔2026〕3号"]
    assert allocate_reply_number(db.sessions, "陕信用函", 2027, now=NOW) == "陕信用函〔2027〕1号"
    assert allocate_reply_number(db.sessions, "陕信用复函", 2026, now=NOW) == "陕信用复函〔2026〕1号"
    with db.sessions() as session:
        assert allocated_numbers(session, "陕信用函", 2026) == got


def test_format_doc_number() -> None:
    assert format_doc_number("陕信用函", 2026, 15) == "陕信用函〔2026〕15号"


def test_reply_number_is_never_reused_after_a_crash(settings: Settings, db: Database) -> None:
    """A process that dies right after allocating leaves a gap, never a reuse."""
    first = allocate_reply_number(db.sessions, "陕信用函", 2026, now=NOW)
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from pipeline.settings import load_settings
        from pipeline.storage import open_database
        from pipeline.storage.numbers import allocate_reply_number
        s = load_settings(env={{}}, base_dir=Path({str(settings.base_dir)!r}), database_url={settings.db_url!r})
        db = open_database(s)
        print(allocate_reply_number(db.sessions, "陕信用函", 2026), flush=True)
        os._exit(9)  # die before any reply is written or anything is cleaned up
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert proc.returncode == 9, proc.stderr
    assert proc.stdout.strip() == "陕信用函〔2026〕2号"
    assert first == "陕信用函〔2026〕1号"
    assert allocate_reply_number(db.sessions, "陕信用函", 2026, now=NOW) == "陕信用函〔2026〕3号"


def test_a_rolled_back_transaction_does_not_return_its_number(db: Database) -> None:
    allocate_reply_number(db.sessions, "陕信用函", 2026, now=NOW)
    with pytest.raises(RuntimeError), db.sessions.begin() as session:
        session.add(_case())
        raise RuntimeError("render failed")
    assert allocate_reply_number(db.sessions, "陕信用函", 2026, now=NOW) == "陕信用函〔2026〕2号"


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    settings = Settings(base_dir=tmp_path)
    db = open_database(settings)
    try:
        path = tmp_path / "data" / "letters.db"
        with db.sessions.begin() as session:
            session.add(_case())
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        with db.engine.connect():  # keep the WAL and shared-memory files alive while looking
            sides = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in sides)
            assert [mode(p) for p in [path, *sides]] == [0o600, 0o600, 0o600]
    finally:
        db.dispose()


def test_sqlite_file_mode_is_tightened_when_it_already_exists(tmp_path: Path) -> None:
    path = tmp_path / "data" / "letters.db"
    path.parent.mkdir()
    path.touch()
    os.chmod(path, 0o644)
    open_database(Settings(base_dir=tmp_path)).dispose()
    assert mode(path) == 0o600


def test_write_transaction_takes_the_sqlite_write_lock_up_front(tmp_path: Path) -> None:
    db = open_database(Settings(base_dir=tmp_path))
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        with write_transaction(db.sessions) as session:
            session.add(_case())
        with db.sessions.begin() as session:
            session.add(_case())
        assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]
        other = sqlite3.connect(tmp_path / "data" / "letters.db", timeout=0.1, isolation_level=None)
        with write_transaction(db.sessions), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # another writer cannot start while the lock is held
        other.execute("BEGIN IMMEDIATE")  # and can once it is released
        other.execute("ROLLBACK")
        other.close()
    finally:
        db.dispose()


def test_a_configured_sqlite_url_in_a_missing_folder_is_refused_not_created(
    tmp_path: Path, cli_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: `sqlite:///` naming a missing folder silently created the folder and an empty
    database, an office with no lists, no cases and reply numbers from 1 beside the real one."""
    from pipeline.cli import main
    from pipeline.errors import ConfigError

    missing = tmp_path / "unmounted" / "share" / "letters.db"
    settings = Settings(base_dir=tmp_path, database_url=f"sqlite:///{missing}")
    with pytest.raises(ConfigError) as refused:
        open_database(settings)
    assert "文件夹不存在" in refused.value.message_zh and str(missing.parent) in refused.value.message_zh
    monkeypatch.setenv("LETTERS_DATABASE_URL", f"sqlite:///{missing}")
    assert main(["cases"]) == 6
    assert "database_url 指向的文件夹不存在" in capsys.readouterr().err
    assert not (tmp_path / "unmounted").exists()
    monkeypatch.delenv("LETTERS_DATABASE_URL")
    assert main(["cases"]) == 0  # the default database still makes its own folder on a fresh install
    assert (cli_folder / "data" / "letters.db").exists()
