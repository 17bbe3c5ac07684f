"""The whole service on temporary folders with a real watcher (events and polling)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.service.run import Service
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


def test_dropped_letters_end_in_the_right_folders(service: Service) -> None:
    inbox = service.cases.folders.inbox
    (inbox / "西安市").mkdir()
    (inbox / "a.docx").write_text("OK a", encoding="utf-8")
    (inbox / "西安市" / "b.docx").write_text("OK b", encoding="utf-8")
    (inbox / "c.pdf").write_text("BAD", encoding="utf-8")
    (inbox / "d.docx").write_text("REVIEW", encoding="utf-8")
    (inbox / "~$a.docx").write_text("owner file", encoding="utf-8")
    (inbox / ".~lock.a.docx#").write_text("lock", encoding="utf-8")
    wait_for(
        lambda: len(states(service)) == 4 and "processing" not in states(service).values(),
        what="four cases final",
    )
    assert states(service) == {
        "a.docx": "replied",
        "西安市/b.docx": "replied",
        "c.pdf": "failed",
        "d.docx": "waiting_review",
    }
    assert (service.cases.folders.failed / "c.pdf.原因.txt").exists()
    assert len(list(service.cases.folders.outbox.iterdir())) == 4
    assert sorted(p.name for p in inbox.iterdir()) == [".~lock.a.docx#", "~$a.docx", "西安市"]
    (inbox / "again.docx").write_text("OK a", encoding="utf-8")
    wait_for(lambda: states(service).get("again.docx") == "duplicate", what="duplicate parked")
    assert (service.cases.folders.duplicates / "again.docx.重复说明.txt").exists()


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
