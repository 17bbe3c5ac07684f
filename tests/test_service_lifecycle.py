"""Cases from drop to final state, with a stand-in processor, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases.core import CaseCore
from pipeline.cases.instances import recover, register_instance
from pipeline.inbox.intake import InboxIntake
from pipeline.settings import Settings
from pipeline.storage import Database, audit
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case
from tests.service_fakes import fake_processor

pytest_plugins = ["tests.db_backends"]


@pytest.fixture
def service(settings: Settings, db: Database) -> InboxIntake:
    me = register_instance(db, mode="events", inbox=settings.path(settings.inbox))
    return InboxIntake(CaseCore(settings, db, fake_processor(settings, db), instance_id=me))


def drop(service: InboxIntake, name: str, text: str) -> Path:
    path = service.folders.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def case_of(db: Database, case_id: int) -> tuple[Case, CaseTracking]:
    with db.sessions() as s:
        return s.get(Case, case_id), s.get(CaseTracking, case_id)  # type: ignore[return-value]


def test_clean_letter_is_archived_replied_and_audited(service: InboxIntake, db: Database) -> None:
    path = drop(service, "单位A/来函.docx", "OK 1")
    case_id = service.handle_file(path)
    assert case_id is not None
    case, tracking = case_of(db, case_id)
    assert case.state == "replied"
    assert not path.exists()
    archived = service.folders.archive / tracking.archive_path  # type: ignore[operator]
    assert archived.read_text(encoding="utf-8") == "OK 1"
    assert archived.parent.relative_to(service.folders.archive).as_posix() == f"{dt.date.today():%Y/%m}"
    assert os.stat(archived).st_mode & 0o777 == 0o600
    published = sorted(p.name for p in service.folders.outbox.iterdir())
    assert published == [case.outputs["docx"]]  # type: ignore[index]  # the result .json goes to data/results
    assert case.reply_doc_number and case.reply_doc_number in published[0]
    assert tracking.due_date == service.core.calendar.due_date(case.received_at)
    with db.sessions() as s:
        events = audit.events_for(s, case_id)
        states = [(e.from_state, e.to_state) for e in events]
        assert states == [
            (None, "received"), ("received", "processing"), ("processing", "processing"), ("processing", "replied"),
        ]  # fmt: skip
        assert (
            events[2].reason == f"复函定稿：{case.reply_doc_number}，即将发出"
        )  # final before it is published
        assert audit.verify_chain(s).ok
    assert list(service.folders.staging.iterdir()) == []


def test_unreadable_letter_goes_to_failed_with_a_chinese_reason(service: InboxIntake, db: Database) -> None:
    case_id = service.handle_file(drop(service, "坏文件.pdf", "BAD bytes"))
    case, tracking = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "failed"
    failed = service.folders.failed / "坏文件.pdf"
    assert failed.read_text(encoding="utf-8") == "BAD bytes"
    note = (service.folders.failed / "坏文件.pdf.原因.txt").read_text(encoding="utf-8")
    assert "文件已损坏" in note and "坏文件.pdf" in note
    assert (service.folders.archive / tracking.archive_path).exists()  # type: ignore[operator]
    assert list(service.folders.outbox.iterdir()) == []


def test_letter_needing_review_waits_with_its_reasons(service: InboxIntake, db: Database) -> None:
    case_id = service.handle_file(drop(service, "a.docx", "REVIEW"))
    case, _ = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "waiting_review"
    assert [r.text for r in case.review_reasons()] == ["第1人（王伟）：身份证号码校验位错误"]
    assert list(service.folders.outbox.iterdir()) == []


def test_same_bytes_again_go_to_duplicates_with_a_note(service: InboxIntake, db: Database) -> None:
    first = service.handle_file(drop(service, "a.docx", "OK same"))
    second = service.handle_file(drop(service, "再次发送/a.docx", "OK same"))
    assert first != second
    case, tracking = case_of(db, second)  # type: ignore[arg-type]
    assert case.state == "duplicate" and tracking.duplicate_of == first
    earlier, _ = case_of(db, first)  # type: ignore[arg-type]
    assert (service.folders.duplicates / "a.docx").read_text(encoding="utf-8") == "OK same"
    note = (service.folders.duplicates / "a.docx.重复说明.txt").read_text(encoding="utf-8")
    assert f"第{first}号案件" in note and earlier.reply_doc_number in note  # type: ignore[operator]
    assert len(list(service.folders.outbox.iterdir())) == 1  # one reply (.txt; its .json in data/), not two
    third = service.handle_file(drop(service, "a.docx", "OK same"))
    assert third not in (first, second)
    assert (service.folders.duplicates / "a(2).docx").exists()


def test_a_registered_file_seen_again_is_not_a_duplicate(service: InboxIntake, db: Database) -> None:
    """A crash between archive and inbox removal leaves the file: it is the same case, not a duplicate."""
    path = drop(service, "a.docx", "OK 1")
    case_id = service.handle_file(path)
    path.write_text("OK 1", encoding="utf-8")  # as if the unlink had never happened
    with db.sessions.begin() as s:
        s.get(CaseTracking, case_id).inbox_cleared_at = None  # type: ignore[union-attr]
    assert service.handle_file(path) == case_id
    with db.sessions() as s:
        assert s.execute(select(Case)).scalars().all().__len__() == 1


def test_unfinished_case_is_resumed_after_a_crash_without_a_second_reply(
    settings: Settings, db: Database, service: InboxIntake
) -> None:
    path = drop(service, "a.docx", "OK 1")
    case_id = service.handle_file(path)
    case, _ = case_of(db, case_id)  # type: ignore[arg-type]
    # Simulate a crash after the decision was stored but before publishing finished.
    with db.sessions.begin() as s:
        c = s.get(Case, case_id)
        c.state = "processing"  # type: ignore[union-attr]
        t = s.get(CaseTracking, case_id)
        t.owner, t.finished_at = "dead-host:1:x", None  # type: ignore[union-attr]
    kind, first_output = next(iter(case.outputs.items()))  # type: ignore[union-attr]
    staged = service.folders.staging / str(case_id) / kind
    staged.mkdir(parents=True)
    os.replace(service.folders.outbox / first_output, staged / first_output)
    again = InboxIntake(
        CaseCore(
            settings,
            db,
            fake_processor(settings, db),
            instance_id=register_instance(db, mode="events", inbox=service.folders.inbox),
        )
    )
    ready = recover(db, again.core.me)
    assert ready == [case_id]
    again.resume(case_id)
    case2, _ = case_of(db, case_id)  # type: ignore[arg-type]
    assert case2.state == "replied" and case2.reply_doc_number == case.reply_doc_number
    assert [p.name for p in service.folders.outbox.iterdir()] == [case.outputs["docx"]]  # type: ignore[index]
    with db.sessions() as s:
        assert audit.verify_chain(s).ok


def test_nothing_final_is_retried_at_restart(settings: Settings, db: Database, service: InboxIntake) -> None:
    for n, text in enumerate(["OK 1", "BAD", "REVIEW"]):
        service.handle_file(drop(service, f"{n}.docx", text))
    again = register_instance(db, mode="events", inbox=service.folders.inbox)
    assert recover(db, again) == []


def test_two_services_never_take_the_same_letter(settings: Settings, db: Database) -> None:
    a = InboxIntake(
        CaseCore(
            settings,
            db,
            fake_processor(settings, db),
            instance_id=register_instance(db, mode="events", inbox=Path("x")),
        )
    )
    b = InboxIntake(
        CaseCore(
            settings,
            db,
            fake_processor(settings, db),
            instance_id=register_instance(db, mode="events", inbox=Path("x")),
        )
    )
    path = drop(a, "a.docx", "OK 1")
    # b registers it first but has not claimed it yet; a sees the same file
    st = path.stat()
    from pipeline.files import sha256_file

    case_id = b._register("a.docx", sha256_file(path), st)
    assert b.core._claim(case_id)
    assert a.handle_file(path) == case_id  # same case, not a duplicate, and a does not run it
    case, tracking = case_of(db, case_id)
    assert case.state == "processing" and tracking.owner == b.core.me
    assert not a.core._claim(case_id)


def test_cases_of_a_killed_watcher_are_taken_over_and_live_ones_left_alone(
    settings: Settings, db: Database, service: InboxIntake
) -> None:
    import subprocess
    import sys

    from pipeline.storage.case_models import ServiceInstance

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that is certainly gone
    dead, live = "vm-test:dead", "vm-test:live"
    now = dt.datetime.now()
    import socket

    with db.sessions.begin() as s:
        s.add(
            ServiceInstance(
                id=dead,
                host=socket.gethostname(),
                pid=child.pid,
                started_at=now,
                heartbeat_at=now,
                mode="events",
                inbox="x",
            )
        )
        s.add(
            ServiceInstance(
                id=live, host="other-host", pid=1, started_at=now, heartbeat_at=now, mode="events", inbox="x"
            )
        )
    ids = []
    for n, owner in enumerate((dead, live)):
        path = drop(service, f"{n}.docx", f"OK {n}")
        from pipeline.files import sha256_file

        case_id = service._register(f"{n}.docx", sha256_file(path), path.stat())
        assert service.core._claim(case_id)
        with db.sessions.begin() as s:
            s.get(CaseTracking, case_id).owner = owner  # type: ignore[union-attr]
        ids.append(case_id)
    assert recover(db, service.core.me) == [ids[0]]
    with db.sessions() as s:
        assert s.get(Case, ids[0]).state == "received"  # type: ignore[union-attr]
        assert s.get(Case, ids[1]).state == "processing"  # type: ignore[union-attr]
        assert s.get(ServiceInstance, dead).stopped_at is not None  # type: ignore[union-attr]
        assert s.get(ServiceInstance, live).stopped_at is None  # type: ignore[union-attr]
    service.resume(ids[0])
    assert case_of(db, ids[0])[0].state == "replied"


def test_a_letter_answered_by_letters_process_is_a_duplicate_in_the_inbox(
    service: InboxIntake, db: Database
) -> None:
    from pipeline.cases.intake import register_named
    from pipeline.files import sha256_file

    path = drop(service, "a.docx", "OK by hand")
    now = dt.datetime.now()
    with db.sessions.begin() as s:  # what `letters process` registers: the same intake, the same claim
        first = register_named(s, service.core.calendar, Path("/elsewhere/a.docx"), sha256_file(path), now)
        case = s.get(Case, first.case_id)
        case.state, case.reply_doc_number, case.outputs = "replied", "陕信用函〔2026〕9号", {"docx": "r.docx"}
    case_id = service.handle_file(path)
    case, tracking = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "duplicate" and tracking.duplicate_of == 1
    note = (service.folders.duplicates / "a.docx.重复说明.txt").read_text(encoding="utf-8")
    assert "陕信用函〔2026〕9号" in note and "outbox/r.docx" in note


def test_a_passing_fault_puts_the_case_back_for_later_and_it_then_finishes(
    settings: Settings, db: Database
) -> None:
    import errno

    real = fake_processor(settings, db)
    calls = {"n": 0}

    def flaky(letter: Path, case_id: int, staging: Path):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(letter, case_id, staging)

    svc = InboxIntake(
        CaseCore(settings, db, flaky, instance_id=register_instance(db, mode="events", inbox=Path("x")))
    )
    case_id = svc.handle_file(drop(svc, "a.docx", "OK 1"))
    case, tracking = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "received" and tracking.attempts == 1
    assert tracking.retry_after is not None and tracking.retry_after > dt.datetime.now()
    assert recover(db, svc.core.me) == []  # not before its time
    with db.sessions.begin() as s:
        s.get(CaseTracking, case_id).retry_after = dt.datetime.now()  # type: ignore[union-attr]
    assert recover(db, svc.core.me) == [case_id]
    svc.resume(case_id)  # type: ignore[arg-type]
    assert case_of(db, case_id)[0].state == "replied"  # type: ignore[arg-type]
    with db.sessions() as s:
        reasons = [e.reason for e in audit.events_for(s, case_id)]  # type: ignore[arg-type]
        assert any("暂时性故障" in r for r in reasons)


def test_a_permanent_fault_fails_only_that_letter(settings: Settings, db: Database) -> None:
    real = fake_processor(settings, db)

    def buggy(letter: Path, case_id: int, staging: Path):  # type: ignore[no-untyped-def]
        if "boom" in letter.read_text(encoding="utf-8"):
            raise KeyError("a bug")
        return real(letter, case_id, staging)

    svc = InboxIntake(
        CaseCore(settings, db, buggy, instance_id=register_instance(db, mode="events", inbox=Path("x")))
    )
    bad = svc.handle_file(drop(svc, "a.docx", "OK boom"))
    good = svc.handle_file(drop(svc, "b.docx", "OK fine"))
    assert case_of(db, bad)[0].state == "failed"  # type: ignore[arg-type]
    assert "系统内部错误" in (case_of(db, bad)[0].error or "")  # type: ignore[arg-type]
    assert case_of(db, good)[0].state == "replied"  # type: ignore[arg-type]
    assert (svc.folders.failed / "a.docx.原因.txt").exists()


def test_receipt_time_is_when_the_file_arrived_not_when_it_was_taken(
    service: InboxIntake, db: Database
) -> None:
    import time

    from pipeline.cases.intake import received_time

    path = drop(service, "a.docx", "OK 1")
    st = path.stat()
    later = dt.datetime.fromtimestamp(st.st_ctime) + dt.timedelta(days=2)  # service down over a weekend
    assert received_time(st, now=later) == dt.datetime.fromtimestamp(st.st_ctime)
    assert received_time(st, now=later + dt.timedelta(days=60)) == later + dt.timedelta(days=60)
    before = time.time()
    case_id = service.handle_file(path)
    assert case_of(db, case_id)[0].received_at <= dt.datetime.fromtimestamp(before)  # type: ignore[arg-type]


def test_watcher_publishes_replies_with_the_configured_mode_and_keeps_the_json_in_data(
    settings: Settings, db: Database
) -> None:
    import dataclasses

    shared = dataclasses.replace(settings, reply_file_mode="0640")
    me = register_instance(db, mode="events", inbox=shared.path(shared.inbox))
    service = InboxIntake(CaseCore(shared, db, fake_processor(shared, db), instance_id=me))
    case_id = service.handle_file(drop(service, "来函.docx", "OK mode"))
    case, _ = case_of(db, case_id)  # type: ignore[arg-type]
    reply = service.folders.outbox / case.outputs["docx"]  # type: ignore[index]
    result = shared.path(shared.data_dir) / "results" / case.outputs["json"]  # type: ignore[index]
    assert os.stat(reply).st_mode & 0o777 == 0o640
    assert os.stat(result).st_mode & 0o777 == 0o600
    assert [p.name for p in service.folders.outbox.iterdir()] == [reply.name]


def test_a_read_only_outbox_is_a_passing_fault_and_burns_no_number(
    settings: Settings, db: Database, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The reply was numbered and staged; the outbox refused it (remounted read-only): the case waits
    and, once the outbox takes files again, publishes the very reply and 文号 it staged."""
    import errno

    from pipeline.storage.numbers import allocated_numbers

    real = CaseCore._publish
    calls = {"n": 0}

    def read_only_for_a_while(self, case, tracking):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 6:  # longer than the quick retries (five, 7.7 s in all)
            raise OSError(errno.EROFS, "Read-only file system")
        return real(self, case, tracking)

    monkeypatch.setattr(CaseCore, "_publish", read_only_for_a_while)
    import functools

    from pipeline.cases import core, faults

    waited: list[float] = []  # the quick retries wait on this list, not on the clock
    monkeypatch.setattr(core, "with_retries", functools.partial(faults.with_retries, sleep=waited.append))
    svc = InboxIntake(
        CaseCore(settings, db, fake_processor(settings, db),
                 instance_id=register_instance(db, mode="events", inbox=Path("x")))
    )  # fmt: skip
    case_id = svc.handle_file(drop(svc, "a.docx", "OK ro"))
    case, tracking = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "received" and tracking.decided == "replied"  # decided, not yet out
    assert sum(waited) == pytest.approx(7.7) and calls["n"] == 6  # the quick retries ran out first
    with db.sessions.begin() as s:
        s.get(CaseTracking, case_id).retry_after = dt.datetime.now()  # type: ignore[union-attr]
    svc.resume(case_id)  # type: ignore[arg-type]
    case, _ = case_of(db, case_id)  # type: ignore[arg-type]
    assert case.state == "replied"
    with db.sessions() as s:
        numbers = allocated_numbers(s, settings.reply_prefix, dt.date.today().year)
    assert numbers == [case.reply_doc_number]  # one number, the one that went out
