"""The watcher alone, with a recording handler: real observers on temporary folders."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pipeline.inbox.watcher import InboxWatcher, Job
from tests.service_helpers import wait_for


class Recorder:
    """Handles a job by recording it and moving the file out of the inbox."""

    def __init__(self, out: Path, slow: set[str] | None = None) -> None:
        self.out = out
        self.slow = slow or set()
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def __call__(self, job: Job) -> None:
        assert isinstance(job, Path)
        if job.name in self.slow:
            self.release.wait(20)
        job.replace(self.out / job.name)  # moved before it is seen: a test that sees it finds it moved
        with self.lock:
            self.seen.append(job.name)


@pytest.fixture(params=["events", "polling"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


def make(tmp_path: Path, handler, mode: str, **kw) -> InboxWatcher:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (tmp_path / "out").mkdir(exist_ok=True)
    kw.setdefault("stable_seconds", 0.3)
    kw.setdefault("rescan_seconds", 60)
    return InboxWatcher(inbox, handler, poll=mode == "polling", poll_seconds=0.2, **kw)


def test_new_files_are_taken_once_and_ignored_ones_never(tmp_path: Path, mode: str) -> None:
    rec = Recorder(tmp_path / "out")
    watcher = make(tmp_path, rec, mode)
    watcher.start()
    try:
        inbox = watcher.inbox
        (inbox / "单位A").mkdir()
        (inbox / "a.docx").write_bytes(b"a")
        (inbox / "单位A" / "b.pdf").write_bytes(b"b")
        (inbox / "~$a.docx").write_bytes(b"lock")
        (inbox / "c.part").write_bytes(b"half")
        wait_for(lambda: len(rec.seen) == 2, what="two letters taken")
        wait_for(watcher.idle, what="watcher idle")
    finally:
        watcher.stop(timeout=10)
    assert sorted(rec.seen) == ["a.docx", "b.pdf"]
    assert (tmp_path / "inbox" / "~$a.docx").exists()


def test_files_already_there_are_picked_up_at_start(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(5):
        (inbox / f"{n}.docx").write_bytes(b"x")
    rec = Recorder(tmp_path / "out")
    watcher = make(tmp_path, rec, "events")
    watcher.start()
    try:
        wait_for(lambda: len(rec.seen) == 5, what="all five picked up")
    finally:
        watcher.stop(timeout=10)


@pytest.mark.slow
def test_growing_file_is_not_taken_until_quiet(tmp_path: Path, mode: str) -> None:
    """Quietness is measured on the tracker's clock, which the test drives: no timing luck involved."""
    now = [0.0]
    rec = Recorder(tmp_path / "out")
    watcher = make(tmp_path, rec, mode, stable_seconds=1.0, clock=lambda: now[0])
    watcher.start()
    try:
        path = watcher.inbox / "scan.pdf"
        with open(path, "wb") as fh:
            for _ in range(6):  # a slow scanner: a chunk every 0.3 s (of the watcher's clock)
                fh.write(b"x" * 1000)
                fh.flush()
                now[0] += 0.3
                wait_for(lambda: path in watcher.tracker._seen, what="growth observed")
                assert rec.seen == []
        time.sleep(0.5)  # the settler looks again and again, but its clock has not moved on
        assert rec.seen == []
        now[0] += 1.01
        wait_for(lambda: rec.seen == ["scan.pdf"], what="taken once quiet")
        assert (tmp_path / "out" / "scan.pdf").stat().st_size == 6000
    finally:
        watcher.stop(timeout=10)


@pytest.mark.slow
def test_a_slow_letter_does_not_hold_up_the_rest(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "out", slow={"long.pdf"})
    watcher = make(tmp_path, rec, "events", workers=2)
    watcher.start()
    try:
        (watcher.inbox / "long.pdf").write_bytes(b"x")
        wait_for(lambda: watcher.busy == 1, what="slow letter in hand")
        for n in range(4):
            (watcher.inbox / f"{n}.docx").write_bytes(b"x")
        wait_for(lambda: len(rec.seen) == 4, what="the others done while the slow one runs")
        assert "long.pdf" not in rec.seen
        rec.release.set()
        wait_for(lambda: len(rec.seen) == 5, what="slow one done")
    finally:
        rec.release.set()
        watcher.stop(timeout=10)


def test_a_failing_handler_never_stops_the_watcher(tmp_path: Path) -> None:
    done: list[str] = []

    def handler(job: Job) -> None:
        assert isinstance(job, Path)
        if job.name.startswith("bad"):
            raise RuntimeError("boom")
        done.append(job.name)
        job.unlink()

    watcher = make(tmp_path, handler, "events", rescan_seconds=60)
    watcher.start()
    try:
        (watcher.inbox / "bad.docx").write_bytes(b"x")
        (watcher.inbox / "good.docx").write_bytes(b"x")
        wait_for(lambda: done == ["good.docx"], what="good letter handled")
        # the bad one is looked at again only after a pause (set once its worker has failed)
        wait_for(lambda: watcher._backoff, what="bad letter put on backoff")
    finally:
        watcher.stop(timeout=10)


def test_stop_finishes_the_letter_in_hand(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "out", slow={"long.pdf"})
    watcher = make(tmp_path, rec, "events", workers=1)
    watcher.start()
    (watcher.inbox / "long.pdf").write_bytes(b"x")
    wait_for(lambda: watcher.busy == 1, what="in hand")
    stopper = threading.Thread(target=watcher.stop, kwargs={"timeout": 10})
    stopper.start()
    time.sleep(0.1)
    assert stopper.is_alive()  # waiting for the worker
    rec.release.set()
    stopper.join(10)
    assert rec.seen == ["long.pdf"]
    assert (tmp_path / "out" / "long.pdf").exists()


def test_case_jobs_from_the_database_are_run(tmp_path: Path) -> None:
    ran: list[Job] = []
    pending = [[7, 8], []]

    def extra() -> list[int]:
        return pending.pop(0) if pending else []

    watcher = make(tmp_path, ran.append, "events", extra_jobs=extra)
    watcher.start()
    try:
        wait_for(lambda: sorted(ran) == [7, 8], what="resumed cases")
    finally:
        watcher.stop(timeout=10)
