"""The case core's own guarantees: names claimed at publish time, one transition per step, and
`letters process` resumed after a crash like any other case."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases import publisher
from pipeline.cases.core import CaseCore
from pipeline.cases.handling import Handled
from pipeline.cases.instances import register_instance
from pipeline.cases.intake import register_named
from pipeline.cases.named import process_named
from pipeline.cases.transitions import move
from pipeline.files import sha256_file
from pipeline.inbox.intake import InboxIntake
from pipeline.settings import Settings
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import CaseTracking, ServiceInstance
from pipeline.storage.models import Case, CaseState
from pipeline.storage.numbers import allocate_reply_number, allocated_numbers
from tests.service_letters import ROOT, import_records, spec_for, write_letter

pytest_plugins = ["tests.db_backends"]


def same_stem_processor(settings: Settings, db: Database, barrier: threading.Barrier):
    """Replies named by the letter, not the case: a .docx and a .pdf of one letter share the stem."""

    def process(letter: Path, case_id: int, staging: Path) -> Handled:
        number = allocate_reply_number(db.sessions, settings.reply_prefix, 2026, case_id=case_id)
        reply = staging / "2021-06-04_陕西省人力资源和社会保障厅_陕人社函〔2021〕88号_复函.docx"
        reply.write_text(f"{number} for case {case_id}", encoding="utf-8")
        barrier.wait(timeout=10)  # both decided before either publishes
        return Handled("replied", reply_doc_number=number, outputs={"docx": reply}, unit="测试单位")

    return process


def test_two_workers_with_same_stem_replies_each_publish_their_own(settings: Settings, db: Database) -> None:
    """Regression: the second case ended failed with 系统内部错误, used up a 文号 and listed an
    output that was never published, because both reserved the same name before publishing."""
    barrier = threading.Barrier(2)
    intakes = [
        InboxIntake(
            CaseCore(
                settings,
                db,
                same_stem_processor(settings, db, barrier),
                instance_id=register_instance(db, mode="events", inbox=Path("x")),
            )
        )
        for _ in range(2)
    ]
    inbox = intakes[0].folders.inbox
    files = [inbox / "来函.docx", inbox / "来函.pdf"]
    for i, path in enumerate(files):
        path.write_bytes(f"letter {i}".encode())
    ids: list[int | None] = [None, None]

    def run(i: int) -> None:
        ids[i] = intakes[i].handle_file(files[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    outbox = intakes[0].folders.outbox
    published = sorted(p.name for p in outbox.iterdir())
    stem = "2021-06-04_陕西省人力资源和社会保障厅_陕人社函〔2021〕88号_复函"
    assert published == [f"{stem}(2).docx", f"{stem}.docx"]
    with db.sessions() as s:
        cases = [s.get(Case, i) for i in ids]
        numbers = allocated_numbers(s, settings.reply_prefix, 2026)
    assert all(c is not None and c.state == "replied" for c in cases), [c.error for c in cases if c]
    assert sorted(c.reply_doc_number for c in cases) == sorted(numbers)  # every 文号 used is carried
    for c in cases:
        text = (outbox / c.outputs["docx"]).read_text(encoding="utf-8")  # type: ignore[index]
        assert text == f"{c.reply_doc_number} for case {c.id}"  # each case lists its own file


def test_a_name_taken_after_the_decision_is_not_overwritten(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staged = publisher.stage({"docx": _file(tmp_path / "r.docx", b"mine")}, staging)["docx"]
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "r.docx").write_bytes(b"theirs")
    recorded: list[str] = []
    assert publisher.publish(staging, {"docx": (outbox, 0o640)}, {}, recorded.append) == {"docx": "r(2).docx"}
    assert (outbox / "r.docx").read_bytes() == b"theirs" and (outbox / "r(2).docx").read_bytes() == b"mine"
    assert recorded == [{"docx": "r(2).docx"}] and not staged.exists()
    assert os.stat(outbox / "r(2).docx").st_mode & 0o777 == 0o640


def test_a_publish_resumed_after_a_crash_finds_its_own_claim(tmp_path: Path) -> None:
    """Killed between the link and recording the name: the next run finds the same inode, no copy."""
    staging = tmp_path / "staging"
    staged = publisher.stage({"pdf": _file(tmp_path / "r.pdf", b"mine")}, staging)["pdf"]
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "r.pdf").write_bytes(b"theirs")
    os.link(staged, outbox / "r(2).pdf")  # claimed, then the process died before recording it
    recorded: list[str] = []
    assert publisher.publish(staging, {"pdf": (outbox, 0o600)}, {}, recorded.append) == {"pdf": "r(2).pdf"}
    assert sorted(p.name for p in outbox.iterdir()) == ["r(2).pdf", "r.pdf"] and recorded == [
        {"pdf": "r(2).pdf"}
    ]
    # and once the staged file is gone, publishing again is a no-op that keeps the recorded name
    assert publisher.publish(staging, {"pdf": (outbox, 0o600)}, {"pdf": "r(2).pdf"}, recorded.append) == {
        "pdf": "r(2).pdf"
    }


def test_without_hard_links_a_placeholder_claims_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = tmp_path / "staging"
    publisher.stage({"docx": _file(tmp_path / "r.docx", b"mine")}, staging)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "r.docx").write_bytes(b"theirs")

    def no_links(src: object, dst: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    assert publisher.publish(staging, {"docx": (outbox, 0o600)}, {}, lambda _: None) == {"docx": "r(2).docx"}
    assert (outbox / "r(2).docx").read_bytes() == b"mine" and (outbox / "r.docx").read_bytes() == b"theirs"


def test_move_changes_nothing_when_the_state_moved_on(settings: Settings, db: Database) -> None:
    now = dt.datetime(2026, 6, 4, 10, 0)
    with write_transaction(db.sessions) as s:
        case_id = register_named(s, _calendar(), Path("/x/a.docx"), "a" * 64, now).case_id
    with write_transaction(db.sessions) as s:
        assert move(
            s, case_id, source="received", target="processing", actor="service", reason="开始", now=now
        )
        assert not move(
            s, case_id, source="received", target="processing", actor="service", reason="再次", now=now
        )
    with db.sessions() as s:
        events = [(e.from_state, e.to_state, e.reason) for e in audit.events_for(s, case_id)]
    assert events == [(None, "received", "办理来函：a.docx"), ("received", "processing", "开始")]


def test_a_killed_letters_process_is_finished_by_the_next_run(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    """Regression: a killed `letters process` left its case in processing for ever."""
    office = _office(settings)
    import_records(db, office, tmp_path)
    letter = write_letter(tmp_path / "elsewhere" / "来函.docx", spec_for(21))
    now = dt.datetime.now()
    dead = register_instance(db, mode="process", inbox=letter.parent)
    with write_transaction(db.sessions) as s:  # what a run killed right after its claim leaves
        case_id = register_named(s, _calendar(), letter, sha256_file(letter), now).case_id
        move(s, case_id, source="received", target="processing", actor="service", reason="开始处理", now=now,
             tracking={"owner": dead})  # fmt: skip
        s.get(ServiceInstance, dead).pid = _dead_pid()  # type: ignore[union-attr]
    result = process_named(letter, office, db)
    assert result.case_id == case_id and result.state == CaseState.REPLIED, result.reasons
    assert letter.exists()  # the named file is the person's
    with db.sessions() as s:
        tracking = s.get(CaseTracking, case_id)
        reasons = [e.reason for e in audit.events_for(s, case_id)]
        assert s.execute(select(Case)).scalars().all().__len__() == 1
    assert tracking is not None and tracking.origin == "process" and tracking.archive_path is not None
    assert (office.path(office.archive) / tracking.archive_path).read_bytes() == letter.read_bytes()
    assert any("处理中断" in r for r in reasons) and reasons[-1].startswith("已生成复函")


def _office(settings: Settings) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, templates=ROOT / "letter_templates")


def _calendar():  # type: ignore[no-untyped-def]
    from pipeline.workdays import WorkCalendar

    return WorkCalendar(None)


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_the_core_runs_on_its_injected_clock(settings: Settings, db: Database) -> None:
    """Regression: the case life called datetime.now() at seven places, so no test could fix its time."""
    from tests.service_fakes import fake_processor

    fixed = dt.datetime(2026, 6, 4, 10, 30)
    intake = InboxIntake(
        CaseCore(
            settings,
            db,
            fake_processor(settings, db),
            instance_id=register_instance(db, mode="events", inbox=Path("x")),
            clock=lambda: fixed,
        )
    )
    path = intake.folders.inbox / "a.docx"
    path.write_text("OK clock", encoding="utf-8")
    case_id = intake.handle_file(path)
    with db.sessions() as s:
        tracking = s.get(CaseTracking, case_id)
        case = s.get(Case, case_id)
        events = audit.events_for(s, case_id)
    assert tracking is not None and case is not None and case.state == "replied"
    assert tracking.claimed_at == tracking.finished_at == tracking.inbox_cleared_at == fixed
    assert case.updated_at == fixed
    assert [e.at for e in events[1:]] == [fixed.isoformat(timespec="microseconds")] * (len(events) - 1)


def test_a_second_watcher_never_reopens_a_file_the_first_one_failed(settings: Settings, db: Database) -> None:
    """Regression: with failed letters handled afresh when dropped again, a second watcher that had
    hashed the file before the first one failed it opened a new case for a file already gone."""
    from pipeline.files import sha256_file
    from tests.service_fakes import fake_processor

    def intake() -> InboxIntake:
        me = register_instance(db, mode="events", inbox=Path("x"))
        return InboxIntake(CaseCore(settings, db, fake_processor(settings, db), instance_id=me))

    a, b = intake(), intake()
    path = a.folders.inbox / "坏.pdf"
    path.write_text("BAD bytes", encoding="utf-8")
    st, sha = path.stat(), sha256_file(path)  # what b saw before a took the file
    first = a.handle_file(path)
    assert first is not None and not path.exists()
    assert b._register("坏.pdf", sha, st) is None  # the file is gone: not a new arrival
    path.write_text("BAD bytes", encoding="utf-8")  # a person drops it again
    again = b.handle_file(path)
    with db.sessions() as s:
        states = {c.id: c.state for c in s.scalars(select(Case))}
    assert again not in (None, first) and states == {first: "failed", again: "failed"}  # handled afresh


def test_a_case_seen_final_has_left_no_staging_behind(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the staging folder was removed after the final state was committed, so a watcher
    killed in between left it forever (the fault test found two after five kill -9s)."""
    import pipeline.cases.core as core_module
    from tests.service_fakes import fake_processor

    seen: list[bool] = []

    def watching(session, case_id, *, target, **kw):  # type: ignore[no-untyped-def]
        if CaseState(target) in (CaseState.REPLIED, CaseState.FAILED):
            seen.append((intake.folders.staging / str(case_id)).exists())
        return move(session, case_id, target=target, **kw)

    monkeypatch.setattr(core_module, "move", watching)
    intake = InboxIntake(
        CaseCore(settings, db, fake_processor(settings, db),
                 instance_id=register_instance(db, mode="events", inbox=Path("x")))
    )  # fmt: skip
    path = intake.folders.inbox / "a.docx"
    path.write_text("OK staging", encoding="utf-8")
    intake.handle_file(path)
    assert seen == [False]
