"""Every reply 文号 is on a case: the ledger, the orphan check and the way back after a restore.

Regressions: `letters numbers confirm` always failed with 系统内部错误 (`'str' object has no attribute
'signature'`) and its refusal told the administrator to type a `--by` flag the command does not have —
the one documented way back after a restored database. And a release running in the console was taken
back by the watcher's own rescan, so three replies with three numbers went out for one letter while
`letters numbers check` said all was well.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cli import main
from pipeline.errors import NumbersBehind, NumbersOrphaned
from pipeline.storage.models import ReplyNumber
from tests.builders.docx_builder import build_docx
from tests.review_office import as_user
from tests.service_letters import spec_for


def _process(folder: Path, n: int) -> None:
    path = build_docx(spec_for(90 + n), folder / f"letter-{n}.docx")
    assert main(["process", str(path)]) == 0


def _start(settings) -> None:  # type: ignore[no-untyped-def]
    from pipeline.inbox.run import Service
    from tests.service_fakes import fake_processor

    svc = Service(settings, processor_factory=fake_processor)
    try:
        svc.start()
    finally:
        svc.stop()


@pytest.mark.slow
@pytest.mark.parametrize("restored", ["database", "data-folder"])
def test_numbers_confirm_after_a_restored_database_lets_the_service_start_with_the_next_number(
    office, tmp_path, capsys, restored
) -> None:  # type: ignore[no-untyped-def]
    """`data-folder`: the results went back with the database, so only the outbox's .docx still prints
    2号 (regression: the counter was not raised by the confirmation and the next letter failed with
    系统内部错误 on the ledger's unique number)."""
    ctx, _ = office
    data = ctx.settings.path(ctx.settings.data_dir)
    _process(tmp_path, 1)
    backup = tmp_path / "backup"
    if restored == "data-folder":
        shutil.copytree(data, backup)
    else:
        backup.mkdir()
        for path in [*data.glob("letters.db*"), data / "reply-numbers.json"]:
            shutil.copy(path, backup / path.name)  # the nightly backup, taken after 1号 (with its WAL)
    _process(tmp_path, 2)  # 2号 goes out after the backup
    ctx.db.dispose()
    if restored == "data-folder":
        shutil.rmtree(data)
        shutil.copytree(backup, data)
    else:
        for path in data.glob("letters.db*"):
            path.unlink()
        for path in backup.iterdir():
            shutil.copy(path, data / path.name)  # restored
    capsys.readouterr()

    assert main(["numbers", "check"]) == NumbersBehind.exit_code
    out = capsys.readouterr().out
    assert "陕信用函〔2026〕2号" in out and "数据库未记录的文号" in out and "--user" in out
    with pytest.raises(NumbersBehind) as refused:
        _start(ctx.settings)
    said = refused.value.message_zh
    assert "请管理员核实后确认" in said and "letters" not in said and "--" not in said  # no edge's syntax
    from pipeline.cli import _command_for

    assert _command_for(refused.value) == "确认命令：letters numbers confirm --user 管理员用户名"  # the CLI's

    assert main(["numbers", "confirm", *as_user("王芳")]) != 0  # an administrator's word only
    assert main(["numbers", "confirm", *as_user("管理员甲")]) == 0
    out = capsys.readouterr().out
    assert "已校正" in out and "已确认" in out and "陕信用函〔2026〕2号" in out
    _start(ctx.settings)  # starts now
    assert main(["numbers", "check"]) == 0
    capsys.readouterr()
    _process(tmp_path, 3)
    assert "陕信用函〔2026〕3号" in capsys.readouterr().out  # never 2号 again
    assert main(["audit", "verify"]) == 0


def test_a_numbered_file_the_database_does_not_know_stops_the_service_until_confirmed(
    office, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = office
    _process(tmp_path, 4)
    outbox = ctx.settings.path(ctx.settings.outbox)
    (outbox / "陕信用函〔2026〕1号-转办函-某单位.pdf").write_bytes(
        b"%PDF-1.4"
    )  # the case knows its docx only
    orphan = outbox / "orphan.docx"
    shutil.copy(next(outbox.glob("*复函.docx")), orphan)
    with ctx.db.sessions() as s:  # as after the fault: a number allocated, a file out, the case never told
        row = s.scalars(select(ReplyNumber)).one()
        assert row.used_at is not None
    capsys.readouterr()
    assert main(["numbers", "check"]) == 0  # the same number on its own case's file and a copy: known
    from pipeline.cases.numbering import next_reply_number

    lost = next_reply_number(ctx.db.sessions, ctx.settings, 2026, case_id=None, now=row.allocated_at)
    (outbox / f"{lost}-退回函-某单位.pdf").write_bytes(b"%PDF-1.4")
    assert main(["numbers", "check"]) == NumbersOrphaned.exit_code
    assert lost in capsys.readouterr().out
    with pytest.raises(NumbersOrphaned) as refused:
        _start(ctx.settings)
    assert lost in refused.value.message_zh
    assert main(["numbers", "confirm", *as_user("管理员甲")]) == 0
    _start(ctx.settings)
