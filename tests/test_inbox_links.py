"""Inbox entries that are not regular files are never followed or opened blocking.

Found trying hostile input: a symlink in the inbox (to /etc/shadow, to the
database, to a letter elsewhere) had its target copied into archive/ and
failed/, where clerks can read it; a FIFO named letter.pdf froze the whole
service and SIGTERM hung.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases.core import CaseCore
from pipeline.cases.instances import register_instance
from pipeline.files import Entry, NotRegularFile, entry_kind, safe_copy, sha256_file
from pipeline.inbox.files import StabilityTracker, iter_letters, openable
from pipeline.inbox.intake import InboxIntake
from pipeline.inbox.lists import import_waiting_lists
from pipeline.inbox.run import Service
from pipeline.settings import Settings, load_settings
from pipeline.storage import Database
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.models import Case
from tests.service_fakes import fake_processor
from tests.service_helpers import wait_for

pytest_plugins = ["tests.db_backends"]

SECRET = "root:$6$secret-hash:19000:0:99999:7:::\n"


@pytest.fixture
def service(settings: Settings, db: Database) -> InboxIntake:
    me = register_instance(db, mode="events", inbox=settings.path(settings.inbox))
    return InboxIntake(CaseCore(settings, db, fake_processor(settings, db), instance_id=me))


def every_file_text(*folders: Path) -> list[str]:
    texts = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


@pytest.mark.parametrize("target", ["secret", "database", "letter-elsewhere", "dangling"])
def test_inbox_symlink_is_refused_and_its_target_never_copied(
    service: InboxIntake, settings: Settings, db: Database, tmp_path: Path, target: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    targets = {
        "secret": outside / "shadow",
        "database": settings.path(settings.data_dir) / "letters.db",
        "letter-elsewhere": outside / "来函.docx",
        "dangling": outside / "gone.pdf",
    }
    pointed = targets[target]
    if target == "secret":
        pointed.write_text(SECRET, encoding="utf-8")
    elif target == "letter-elsewhere":
        pointed.write_text("OK elsewhere", encoding="utf-8")
    before = pointed.read_bytes() if pointed.exists() else None
    link = service.folders.inbox / "letter.pdf"
    link.symlink_to(pointed)

    assert service.handle_file(link) is None
    assert not os.path.lexists(link)  # the link is gone from the inbox …
    assert (pointed.read_bytes() if pointed.exists() else None) == before  # … its target untouched
    with db.sessions() as s:
        assert s.scalars(select(Case)).all() == []
        (event,) = s.scalars(select(AuditEvent)).all()
        assert "符号链接" in event.reason
    (note,) = service.folders.failed.glob("*.原因.txt")
    assert "符号链接" in note.read_text(encoding="utf-8")
    copied = every_file_text(service.folders.archive, service.folders.failed, service.folders.outbox)
    assert not any(SECRET in t or "OK elsewhere" in t for t in copied)
    assert not [p for p in service.folders.failed.iterdir() if p.is_symlink()]


def test_inbox_fifo_never_blocks(service: InboxIntake) -> None:
    fifo = service.folders.inbox / "letter.pdf"
    os.mkfifo(fifo)
    done = threading.Event()

    def look() -> None:
        assert entry_kind(fifo) is Entry.SPECIAL
        assert not StabilityTracker(0).observe(fifo)
        assert not openable(fifo)
        assert service.handle_file(fifo) is None
        with pytest.raises(NotRegularFile):
            sha256_file(fifo)
        done.set()

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    thread.join(5)
    assert done.is_set(), "opening a FIFO in the inbox blocked"
    assert fifo.exists()  # skipped, not moved or deleted


def test_linked_folder_in_inbox_is_not_walked(service: InboxIntake, tmp_path: Path) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "a.docx").write_text("OK private", encoding="utf-8")
    (service.folders.inbox / "共享").symlink_to(outside, target_is_directory=True)
    found = list(iter_letters(service.folders.inbox))
    assert found == [service.folders.inbox / "共享"]  # the link itself, to be refused; never its contents
    assert service.handle_file(service.folders.inbox / "共享" / "a.docx") is None  # reached through the link
    assert service.handle_file(found[0]) is None
    assert not os.path.lexists(found[0]) and (outside / "a.docx").exists()


def test_copy_and_hash_refuse_a_link_swapped_in(tmp_path: Path) -> None:
    real = tmp_path / "real.docx"
    real.write_text("OK", encoding="utf-8")
    link = tmp_path / "link.docx"
    link.symlink_to(real)
    with pytest.raises(NotRegularFile):
        sha256_file(link)
    with pytest.raises(NotRegularFile):
        safe_copy(link, tmp_path / "copy.docx")
    assert not (tmp_path / "copy.docx").exists()


def test_symlink_in_lists_folder_is_refused(settings: Settings, db: Database, tmp_path: Path) -> None:
    secret = tmp_path / "shadow.csv"
    secret.write_text("姓名,身份证号码\n" + SECRET, encoding="utf-8")
    folder = settings.path(settings.lists_dir)
    folder.mkdir(parents=True)
    (folder / "失信被执行人_20261201.csv").symlink_to(secret)
    assert import_waiting_lists(settings, db, StabilityTracker(0)) == []
    assert not os.path.lexists(folder / "失信被执行人_20261201.csv") and secret.exists()
    (note,) = (folder / "导入失败").glob("*.原因.txt")
    assert "符号链接" in note.read_text(encoding="utf-8")
    assert not list(settings.path(settings.data_dir).glob("imports/*"))  # nothing of it was read


@pytest.mark.parametrize("mode", ["events", "polling"])
def test_watch_refuses_links_skips_fifos_and_still_answers_and_stops(tmp_path: Path, mode: str) -> None:
    """Through `letters watch`: the service keeps answering, and stopping never hangs on a FIFO."""
    settings = load_settings(
        env={}, config=tmp_path / "none.toml", base_dir=tmp_path, stable_seconds=0.2, poll_seconds=0.2
    )
    secret = tmp_path / "shadow"
    secret.write_text(SECRET, encoding="utf-8")
    svc = Service(settings, processor_factory=fake_processor, poll=mode == "polling")
    inbox = settings.path(settings.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    os.mkfifo(inbox / "传真.pdf")  # present at start, and another one arriving later
    svc.start()
    try:
        (inbox / "链接.pdf").symlink_to(secret)
        os.mkfifo(inbox / "letter.pdf")
        (inbox / "a.docx").write_text("OK a", encoding="utf-8")

        def done() -> bool:
            with svc.db.sessions() as s:
                states = {c.original_name: c.state for c in s.scalars(select(Case))}
            return states == {"a.docx": "replied"} and not os.path.lexists(inbox / "链接.pdf")

        wait_for(done, timeout=30, what="letter answered and link refused")
        assert (
            every_file_text(settings.path(settings.archive), settings.path(settings.failed)).count(SECRET)
            == 0
        )
    finally:
        started = time.monotonic()
        svc.stop()
        assert time.monotonic() - started < 15, "stopping the service hung"
    assert (inbox / "letter.pdf").exists() and (inbox / "传真.pdf").exists()
