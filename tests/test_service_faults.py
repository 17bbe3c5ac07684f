"""Kill -9 the service at random moments and restart it: every letter ends once, in one final state.

The fault test of the watched-inbox issue: 200 letters (80 with the real processor), 5 % of them bad files,
five kills at random moments, then a clean run to the end. It asserts that
every letter is in exactly one final state, replies exist exactly for the
clean letters, no reply file or 文号 is duplicated, nothing is left in the
inbox or in staging, and the audit chain verifies.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.settings import load_settings
from pipeline.storage import audit, open_database
from pipeline.storage import case_models as _models  # noqa: F401
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case
from tests.service_helpers import wait_for

pytest_plugins = ["tests.db_backends"]

ROOT = Path(__file__).resolve().parents[1]
FINAL = {"replied", "waiting_review", "failed", "duplicate"}


def start(base: Path, *extra: str, database_url: str = "") -> subprocess.Popen:
    env = dict(os.environ)
    if database_url:
        env["LETTERS_DATABASE_URL"] = database_url
    env.update(
        LETTERS_STABLE_SECONDS="0.2",
        LETTERS_INCOMPLETE_WAIT_SECONDS="1",  # the bad letters are written whole: fail them soon
        LETTERS_POLL_SECONDS="0.3",
        LETTERS_RESCAN_SECONDS="2",
        LETTERS_WORKERS="2",
        LETTERS_TEMPLATES=str(ROOT / "letter_templates"),
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.service_runner", str(base), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == b"ready"  # blocks until the watcher runs
    return proc


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def final_cases(base: Path, database_url: str = "") -> list[tuple[Case, CaseTracking]]:
    db = open_database(
        load_settings(env={}, base_dir=base, config=base / "none.toml", database_url=database_url)
    )
    try:
        with db.sessions() as s:
            return list(
                s.execute(
                    select(Case, CaseTracking).join(CaseTracking, CaseTracking.case_id == Case.id)
                ).all()
            )
    finally:
        db.dispose()


def make_fake_letters(inbox: Path, n: int, bad: int) -> tuple[set[str], set[str]]:
    clean, broken = set(), set()
    for i in range(n):
        folder = inbox / f"单位{i % 7}" if i % 3 == 0 else inbox
        folder.mkdir(parents=True, exist_ok=True)
        name = f"来函{i:03d}.docx"
        if i % (n // bad) == 0 and len(broken) < bad:
            (folder / name).write_text(f"BAD {i}", encoding="utf-8")
            broken.add(name)
        else:
            (folder / name).write_text(f"OK {i}", encoding="utf-8")
            clean.add(name)
    return clean, broken


def make_real_letters(base: Path, n: int, bad: int) -> tuple[set[str], set[str]]:
    """Mixed .docx and text-PDF letters (some in unit subfolders), `bad` unreadable files, and a list."""
    from tests.service_letters import import_records, spec_for, write_bad, write_letter

    db = open_database(load_settings(env={}, base_dir=base, config=base / "none.toml"))
    try:
        import_records(db, load_settings(env={}, base_dir=base, config=base / "none.toml"), base)
    finally:
        db.dispose()
    inbox = base / "inbox"
    clean, broken = set(), set()
    for i in range(n):
        folder = inbox / f"单位{i % 7}" if i % 3 == 0 else inbox
        suffix = ".pdf" if i % 2 else ".docx"
        name = f"来函{i:03d}{suffix}"
        if i % (n // bad) == 0 and len(broken) < bad:
            write_bad(folder / name, i)
            broken.add(name)
        else:
            write_letter(folder / name, spec_for(i, people=3))
            clean.add(name)
    return clean, broken


@pytest.mark.slow
@pytest.mark.parametrize("processor", ["fake", "real"])
def test_kill_nine_five_times_and_every_letter_ends_once(tmp_path: Path, processor: str) -> None:
    base = tmp_path
    inbox = base / "inbox"
    inbox.mkdir()
    rng = random.Random(20260604)
    # The kills land in the first seconds either way; the real processor's letters take a quarter
    # second each, so 80 of them (8 unreadable) keep it busy through every kill.
    total, bad = (200, 10) if processor == "fake" else (80, 8)
    if processor == "fake":
        clean, broken = make_fake_letters(inbox, total, bad)
        extra: tuple[str, ...] = ("--fake",)
    else:
        clean, broken = make_real_letters(base, total, bad)
        extra = ()
    for _ in range(5):
        proc = start(base, *extra)
        time.sleep(rng.uniform(0.3, 2.5))  # a random moment: that is the point of this test
        kill9(proc)
    proc = start(base, *extra)
    try:
        wait_for(
            lambda: len(rows := final_cases(base)) >= total and all(c.state in FINAL for c, _ in rows),
            timeout=240,
            interval=0.5,
            what=f"all {total} letters final",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    rows = final_cases(base)
    names = Counter(Path(c.original_name).name for c, _ in rows)
    assert set(names) == clean | broken
    assert all(n == 1 for n in names.values()), [k for k, v in names.items() if v > 1]
    states = Counter(c.state for c, _ in rows)
    assert states == {"replied": total - bad, "failed": bad}
    assert {Path(c.original_name).name for c, _ in rows if c.state == "failed"} == broken
    numbers = [c.reply_doc_number for c, _ in rows if c.state == "replied"]
    assert len(set(numbers)) == total - bad
    outbox = sorted(p.name for p in (base / "outbox").iterdir())
    expected = sorted(name for c, _ in rows for kind, name in (c.outputs or {}).items() if kind != "json")
    assert outbox == expected and len(outbox) == (total - bad) * (1 if processor == "fake" else 2)
    results = sorted(p.name for p in (base / "data" / "results").iterdir())
    assert results == sorted(c.outputs["json"] for c, _ in rows if c.outputs) and len(results) == total - bad
    assert [p for p in inbox.rglob("*") if p.is_file()] == []
    assert list((base / "data" / "staging").iterdir()) == []
    failed = sorted(p.name for p in (base / "failed").iterdir())
    assert len([n for n in failed if n.endswith(".原因.txt")]) == bad
    archived = [p for p in (base / "archive").rglob("*") if p.is_file()]
    # copies killed half-way leave hidden .part files; the next start sweeps them away
    assert [p for folder in ("archive", "outbox", "failed") for p in (base / folder).rglob(".*.part")] == []
    assert len(archived) == total
    db = open_database(load_settings(env={}, base_dir=base, config=base / "none.toml"))
    try:
        with db.sessions() as s:
            assert audit.verify_chain(s).ok
    finally:
        db.dispose()


@pytest.mark.slow
def test_two_watchers_on_one_inbox_never_handle_the_same_letter(tmp_path: Path, db_url: str) -> None:
    """Claims hold on SQLite and on a real PostgreSQL server (db_url fixture: both backends)."""
    base = tmp_path
    (base / "inbox").mkdir()
    first = start(base, "--fake", database_url=db_url)
    second = start(base, "--fake", "--poll", database_url=db_url)
    try:
        clean, broken = make_fake_letters(base / "inbox", 60, 3)
        wait_for(
            lambda: len(rows := final_cases(base, db_url)) >= 60 and all(c.state in FINAL for c, _ in rows),
            timeout=120,
            interval=0.3,
            what="60 letters final",
        )
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0 and second.wait(30) == 0
    rows = final_cases(base, db_url)
    assert Counter(c.state for c, _ in rows) == {"replied": 57, "failed": 3}
    assert sorted(Path(c.original_name).name for c, _ in rows) == sorted(clean | broken)
    owners = Counter((t.claim_key is not None) for _, t in rows)
    assert owners == {True: 60}
    assert (
        len(list((base / "outbox").iterdir())) == 57
    )  # one reply each; the result .json stays in data/results
    db = open_database(load_settings(env={}, base_dir=base, config=base / "none.toml", database_url=db_url))
    try:
        with db.sessions() as s:
            assert audit.verify_chain(s).ok
    finally:
        db.dispose()
