"""The whole service on temporary folders with a real watcher (events and polling)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.inbox.run import Service
from pipeline.settings import load_settings
from pipeline.storage.models import Case
from tests.service_fakes import fake_processor
from tests.service_helpers import wait_for
from tests.test_service_faults import final_cases, start


@pytest.fixture(params=["events", "polling"])
def service(request: pytest.FixtureRequest, tmp_path: Path):
    settings = load_settings(
        env={},
        config=tmp_path / "none.toml",
        base_dir=tmp_path,
        stable_seconds=0.3,
        poll_seconds=0.2,
        rescan_seconds=30,
    )
    svc = Service(settings, processor_factory=fake_processor, poll=request.param == "polling")
    svc.start()
    yield svc
    svc.stop()


def states(svc: Service) -> dict[str, str]:
    with svc.db.sessions() as s:
        return {c.original_name: c.state for c in s.execute(select(Case)).scalars()}


@pytest.mark.slow
def test_dropped_letters_end_in_the_right_folders(service: Service) -> None:
    inbox = service.cases.folders.inbox
    (inbox / "西安市").mkdir()
    (inbox / "a.docx").write_text("OK a", encoding="utf-8")
    (inbox / "西安市" / "b.docx").write_text("OK b", encoding="utf-8")
    (inbox / "c.pdf").write_text("BAD", encoding="utf-8")
    (inbox / "d.docx").write_text("REVIEW", encoding="utf-8")
    (inbox / "~$a.docx").write_text("owner file", encoding="utf-8")
    (inbox / ".~lock.a.docx#").write_text("lock", encoding="utf-8")
    final = {"replied", "failed", "waiting_review", "duplicate"}
    wait_for(
        lambda: len(states(service)) == 4 and set(states(service).values()) <= final,
        what="four cases final",
    )
    assert states(service) == {
        "a.docx": "replied",
        "西安市/b.docx": "replied",
        "c.pdf": "failed",
        "d.docx": "waiting_review",
    }
    # Publishing and clearing the inbox follow the stored decision: wait for them, don't race them.
    wait_for(lambda: len(list(service.cases.folders.outbox.iterdir())) == 2, what="replies published")
    wait_for(
        lambda: sorted(p.name for p in inbox.iterdir()) == [".~lock.a.docx#", "~$a.docx", "西安市"],
        what="inbox cleared",
    )
    wait_for(lambda: (service.cases.folders.failed / "c.pdf.原因.txt").exists(), what="reason note")
    (inbox / "again.docx").write_text("OK a", encoding="utf-8")
    wait_for(lambda: states(service).get("again.docx") == "duplicate", what="duplicate parked")
    assert (service.cases.folders.duplicates / "again.docx.重复说明.txt").exists()


@pytest.mark.slow
def test_a_file_written_slowly_is_taken_whole(service: Service) -> None:
    path = service.cases.folders.inbox / "scan.docx"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("OK ")
        fh.flush()
        for n in range(5):
            time.sleep(0.15)  # a slow scanner: writes more within the 0.3 s stability window
            fh.write(f"part{n} ")
            fh.flush()
    wait_for(lambda: states(service).get("scan.docx") == "replied", what="reply")
    archived = next(service.cases.folders.archive.rglob("*scan.docx"))
    assert archived.read_text(encoding="utf-8") == "OK part0 part1 part2 part3 part4 "


@pytest.mark.slow
def test_sigterm_finishes_the_letter_in_hand(tmp_path: Path) -> None:
    proc = start(tmp_path, "--fake")
    try:
        (tmp_path / "inbox" / "long.docx").write_text("SLOW OK", encoding="utf-8")
        wait_for(lambda: [c.state for c, _ in final_cases(tmp_path)] == ["processing"], what="letter in hand")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [c.state for c, _ in final_cases(tmp_path)] == ["replied"]


@pytest.mark.slow
def test_readme_run_command_starts_and_stops_cleanly(tmp_path: Path) -> None:
    """`letters watch` itself (what `make run` starts): a real letter with no list imported waits for review."""
    import os
    import subprocess
    import sys

    from tests.service_letters import ROOT, spec_for, write_letter

    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTERS_")}
    env.update(
        LETTERS_TEMPLATES=str(ROOT / "letter_templates"), LETTERS_STABLE_SECONDS="0.2", PYTHONPATH=str(ROOT)
    )
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder, as the checkout is
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "watch"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        assert "正在监视收件箱" in proc.stderr.readline().decode("utf-8")
        write_letter(tmp_path / "inbox" / "来函.docx", spec_for(7))
        wait_for(
            lambda: [c.state for c, _ in final_cases(tmp_path)] == ["waiting_review"], timeout=60, what="held"
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert "服务已停止" in proc.stderr.read().decode("utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    ((case, _),) = final_cases(tmp_path)
    assert any("失信名单未导入" in r.text for r in case.review_reasons())
    assert (tmp_path / "logs" / "letters.log").exists()


@pytest.mark.slow
def test_a_list_dropped_into_lists_is_imported(service: Service) -> None:
    from pipeline.records import list_status
    from tests.service_letters import LISTED

    lists = service.settings.path(service.settings.lists_dir)
    (lists / "失信被执行人_20261128.csv").write_text(
        f"姓名,身份证号码,名单类别,认定部门,认定文书号,列入日期,移出日期\n{LISTED[0]},{LISTED[1]},失信被执行人,法院,(2020)陕01执1号,2020-01-02,\n",
        encoding="utf-8",
    )
    (lists / "坏名单.csv").write_text("这不是名单\n", encoding="utf-8")

    def imported() -> bool:
        return bool(list((lists / "已导入").glob("*失信被执行人_20261128.csv"))) and bool(
            list((lists / "导入失败").glob("*.原因.txt"))
        )

    wait_for(imported, timeout=30, what="list imported and the bad one set aside")
    with service.db.sessions() as s:
        names = [st.name for st in list_status(s, 7, dt.datetime.now())]
    assert names == ["失信被执行人"]
