"""The CLI facing database faults and bugs: a clear Chinese line, and the traceback in the log.

Found trying the service: a locked SQLite database or an unreachable PostgreSQL
gave 系统内部错误 (after 15 s), and the CLI logged no traceback anywhere.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from pipeline.cli import main
from pipeline.errors import DatabaseBusy, DatabaseUnreachable, ExitCode
from pipeline.storage.database import explain_database_error


def test_a_locked_sqlite_database_is_busy_not_an_internal_error(tmp_path: Path) -> None:
    path = tmp_path / "letters.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert isinstance(explain_database_error(caught.value), DatabaseBusy)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_unreachable_postgresql_gets_its_own_message(cli_folder: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("psycopg")
    (cli_folder / "letters.toml").write_text(
        'database_url = "postgresql+psycopg://letters:wrong@127.0.0.1:1/letters"\n', encoding="utf-8"
    )
    assert main(["records", "status"]) == ExitCode.DATABASE
    err = capsys.readouterr().err
    assert "无法连接数据库" in err and "系统内部错误" not in err
    assert DatabaseUnreachable.exit_code == DatabaseBusy.exit_code == 9


def test_internal_error_writes_its_traceback_to_the_log(
    cli_folder: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.commands import records

    def boom(args: object) -> int:
        raise RuntimeError("a bug in the status command")

    monkeypatch.setattr(records, "run_status", boom)
    assert main(["records", "status"]) == ExitCode.INTERNAL
    assert "系统内部错误" in capsys.readouterr().err
    log = (cli_folder / "logs" / "letters.log").read_text(encoding="utf-8")
    assert (
        "unexpected failure in records" in log and "a bug in the status command" in log and "Traceback" in log
    )


def test_usage_errors_and_help_are_in_chinese(capsys: pytest.CaptureFixture) -> None:
    """Regression: usage errors and the help frame were argparse's English (invalid choice, the
    following arguments are required) in front of clerks."""
    with pytest.raises(SystemExit) as wrong:
        main(["nosuch"])
    assert wrong.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "用法：letters" in err and "无效的取值：'nosuch'" in err and "invalid choice" not in err
    with pytest.raises(SystemExit):
        main(["cases", "delay", "5"])
    err = capsys.readouterr().err
    assert "缺少必填参数：--until, --reason, --user" in err and "required" not in err
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "显示此帮助信息并退出" in out and "选项" in out and "show this help" not in out
