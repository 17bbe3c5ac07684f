"""letters cases / cases delay / status / audit verify, as a clerk types them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.cases.context import open_context
from pipeline.cases.core import CaseCore
from pipeline.cases.instances import register_instance
from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.inbox.intake import InboxIntake
from pipeline.settings import load_settings
from pipeline.storage.case_models import CaseTracking
from pipeline.workdays import WorkCalendar
from tests.review_office import _Passwords, add_people, as_user
from tests.service_fakes import fake_processor


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InboxIntake:
    """A working folder with three cases: replied, waiting for review, failed."""
    for key in list(os.environ):
        if key.startswith("LETTERS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    settings = load_settings()
    ctx = open_context(settings)
    add_people(ctx)
    monkeypatch.setattr("sys.stdin", _Passwords())  # every --password-stdin reads the password
    service = InboxIntake(
        CaseCore(
            settings,
            ctx.db,
            fake_processor(settings, ctx.db),
            instance_id=register_instance(ctx.db, mode="events", inbox=tmp_path),
        )
    )
    for name, body in (("a.docx", "OK 1"), ("b.docx", "REVIEW"), ("c.pdf", "BAD")):
        path = service.folders.inbox / name
        path.write_text(body, encoding="utf-8")
        service.handle_file(path)
    return service


def test_cases_lists_state_unit_and_due_date(office: InboxIntake, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    assert "已复函" in out and "待人工复核" in out and "处理失败" in out
    assert "测试单位" in out and "陕人社函〔2021〕88号" in out
    due = office.core.calendar.due_date(dt.date.today())
    assert f"期限 {due:%Y-%m-%d}" in out


def test_overdue_open_case_is_flagged(office: InboxIntake, capsys: pytest.CaptureFixture[str]) -> None:
    with office.core.db.sessions.begin() as s:
        s.get(CaseTracking, 2).due_date = dt.date.today() - dt.timedelta(days=3)  # type: ignore[union-attr]
    assert main(["cases", "--open"]) == 0
    out = capsys.readouterr().out
    assert "【已超期】" in out
    assert "已复函" not in out


def test_delay_needs_a_working_day_and_moves_the_due_date(
    office: InboxIntake, capsys: pytest.CaptureFixture[str]
) -> None:
    cal = office.core.calendar
    target = cal.add_workdays(dt.date.today(), 8)
    saturday = target + dt.timedelta(days=(5 - target.weekday()) % 7)
    if cal.is_workday(saturday):  # an adjusted working Saturday: take the Sunday
        saturday += dt.timedelta(days=1)
    assert (
        main(
            [
                "cases",
                "delay",
                "2",
                "--until",
                f"{saturday:%Y-%m-%d}",
                "--reason",
                "已电话沟通",
                *as_user("王芳"),
            ]
        )
        == 2
    )
    assert "不是工作日" in capsys.readouterr().err
    assert (
        main(
            [
                "cases",
                "delay",
                "2",
                "--until",
                f"{target:%Y-%m-%d}",
                "--reason",
                "已与来函单位电话沟通",
                *as_user("王芳"),
            ]
        )
        == 0
    )
    assert "已延期" in capsys.readouterr().out
    assert main(["cases"]) == 0
    assert f"期限 {target:%Y-%m-%d}（已延期）" in capsys.readouterr().out
    assert main(["review", "show", "2", *as_user("孙审计")]) == 0
    assert "王芳" in capsys.readouterr().out
    assert (
        main(["cases", "delay", "1", "--until", f"{target:%Y-%m-%d}", "--reason", "x", *as_user("王芳")]) == 2
    )
    assert "可以延期" in capsys.readouterr().err


def test_status_counts_and_health(office: InboxIntake, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "已复函1件" in out and "待人工复核1件" in out and "处理失败1件" in out
    assert "最早待办：第2号" in out
    assert "尚未导入任何名单" in out
    assert "服务：运行中" in out  # the fixture's instance beats as if running


def test_audit_verify_passes_then_catches_an_edit(
    office: InboxIntake, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    assert "校验通过" in capsys.readouterr().out
    with office.core.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = '某人' WHERE seq = 2"))
    assert main(["audit", "verify"]) == ExitCode.AUDIT_BROKEN
    assert "第2条记录" in capsys.readouterr().out


def test_broken_pipe_on_stdout_exits_quietly(tmp_path: Path) -> None:
    """Regression: `letters cases | head -1` printed a BrokenPipeError traceback."""
    import subprocess
    import sys

    from tests.service_letters import ROOT

    (tmp_path / "letters.toml").write_text("", encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTERS_")}
    env["PYTHONPATH"] = str(ROOT)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pipeline.cli import main; sys.exit(main())",
                "records",
                "status",
            ],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert proc.stderr.decode("utf-8") == ""
    assert proc.returncode == 141


def test_failed_file_has_no_deadline_and_is_closed_by_a_signed_in_clerk(
    office: InboxIntake, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: a 说明.txt dropped by mistake showed as overdue for ever."""
    with office.core.db.sessions.begin() as s:
        s.get(CaseTracking, 3).due_date = dt.date.today() - dt.timedelta(days=30)  # type: ignore[union-attr]
    assert main(["cases"]) == 0
    failed_line = next(line for line in capsys.readouterr().out.splitlines() if "处理失败" in line)
    assert "期限 —" in failed_line and "超期" not in failed_line
    assert main(["status"]) == 0
    assert "已超期" not in capsys.readouterr().out
    assert main(["cases", "close", "1", "--reason", "误放", *as_user("王芳")]) == 2  # a replied case stays
    assert "只有“处理失败”、“重复来函”的案件可以关闭" in capsys.readouterr().err
    assert main(["cases", "close", "3", "--reason", "误放入收件箱的说明文件", *as_user("王芳")]) == 0
    assert "已关闭" in capsys.readouterr().out
    assert main(["cases", "--open"]) == 0
    listed = capsys.readouterr().out
    assert "已关闭" not in listed and "处理失败" not in listed and "待人工复核" in listed
    assert main(["cases", "--state", "closed"]) == 0
    assert "已关闭" in capsys.readouterr().out
    assert main(["review", "show", "3", *as_user("孙审计")]) == 0
    shown = capsys.readouterr().out
    assert "王芳（wangfang）" in shown and "误放入收件箱的说明文件" in shown
    assert main(["audit", "verify"]) == 0


def test_audit_verify_remembers_the_head_and_sees_a_cut_tail_or_an_emptied_database(
    office: InboxIntake, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: after rm data/letters.db, audit verify said 审计日志完整; a neatly cut tail passed too."""
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    head_file = office.core.settings.path(office.core.settings.data_dir) / "audit-head.json"
    assert head_file.stat().st_mode & 0o777 == 0o600
    with office.core.db.engine.begin() as conn:  # cut the last event and rewrite the head to match
        last = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": last})
        prev = conn.execute(
            text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": last - 1}
        ).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": last - 1, "h": prev})
    assert main(["audit", "verify"]) == ExitCode.AUDIT_BROKEN
    assert "末尾被删除" in capsys.readouterr().out
    with office.core.db.engine.begin() as conn:  # a database emptied (or replaced by an empty one)
        conn.execute(text("DELETE FROM audit_events"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    assert main(["audit", "verify"]) == ExitCode.AUDIT_BROKEN
    out = capsys.readouterr().out
    assert "无可校验" not in out and "可能已被清空或替换" in out and "上次校验" in out
    head_file.unlink()  # never verified before: an empty log is simply empty
    assert main(["audit", "verify"]) == 0
    assert "审计日志中没有任何记录，无可校验" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["delay", "close"])
def test_a_case_is_delayed_or_closed_only_by_a_signed_in_clerk(
    office: InboxIntake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Regression: `cases delay/close --by 王芳` took any typed name, so anyone at the shell closed
    a case "by 王芳"; now the core requires the signed-in account's clerk role."""
    import io

    target = WorkCalendar(office.core.settings.holidays_path()).add_workdays(dt.date.today(), 8)
    case_id = "2" if command == "delay" else "3"
    extra = ["--until", f"{target:%Y-%m-%d}"] if command == "delay" else []
    with pytest.raises(SystemExit) as usage:  # --by is no longer a way in
        main(["cases", command, case_id, *extra, "--reason", "沟通", "--by", "王芳"])
    assert usage.value.code == 2
    capsys.readouterr()
    for who in ("周复核", "孙审计", "管理员甲"):  # signed in, but not a clerk
        assert main(["cases", command, case_id, *extra, "--reason", "沟通", *as_user(who)]) == 12
        assert "需要“经办”角色" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password\n"))
    assert main(["cases", command, case_id, *extra, "--reason", "沟通", *as_user("王芳")]) == 12
    assert "用户名或密码错误" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", _Passwords())
    assert main(["review", "show", case_id, *as_user("孙审计")]) == 0
    assert "沟通" not in capsys.readouterr().out  # nothing was recorded
