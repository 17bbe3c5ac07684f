"""A release sends one reply per letter and every number is on a case, whatever happens meanwhile.

Regression: in `letters watch --web` a reviewer released a civil-servant letter; the watcher's rescan,
running in the same process, took the review for "an earlier life" of its own pid and handed the case
back mid-release. Releasing again and then the CLI gave three replies to one letter (31号, 33号, 34号),
the case knew only 34号, and `letters numbers check` said all was well.

Here: releases through the core (the console's path) while folders are dropped and the rescan runs, a
second reviewer presses release on the same cases, the CLI approves them in child processes, and CLI
releases are killed with SIGKILL at random moments; then a watcher recovers. Figures are printed.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases import review
from pipeline.cases.faults import PassingFault
from pipeline.cases.instances import recover
from pipeline.cases.numbering import orphans
from pipeline.errors import LettersError
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.models import Case, CaseState, ReplyNumber
from tests.review_office import PASSWORD, account, die_claims, drop
from tests.service_letters import spec_for, write_letter

pytestmark = pytest.mark.slow

NUMBER = re.compile(r"陕信用函〔\d{4}〕\d+号")


def _cli_approve(case_id: int, login: str, tag: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "review", "approve", str(case_id), "--seen", tag, "--user", login,
         "--password-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(f"{PASSWORD}\n".encode())
    proc.stdin.close()
    return proc


def _invariants(ctx, cases: dict[int, str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each case replied once; every number used by exactly one case or voided with its reason."""
    outbox = ctx.settings.path(ctx.settings.outbox)
    docx = [p.name for p in outbox.glob("*.docx")]
    with ctx.db.sessions() as s:
        rows = list(s.scalars(select(ReplyNumber)))
        stored = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(list(cases))))}
        reasons = [e.reason for e in s.scalars(select(AuditEvent))]
    for case_id, letter_number in cases.items():
        assert stored[case_id].state == CaseState.REPLIED.value, (case_id, stored[case_id].state)
        replies = [n for n in docx if letter_number in n]
        assert len(replies) == 1, (case_id, replies)  # one reply per letter, never a second one
        assert stored[case_id].outputs["docx"] == replies[0]
    used = [r for r in rows if r.used_at is not None]
    assert Counter(r.case_id for r in used) == Counter(list(cases))  # one used number per case
    assert {r.doc_number for r in used} == {c.reply_doc_number for c in stored.values()}
    voided = [r for r in rows if r.void_at is not None]
    for r in voided:  # a number skipped says why, in the audit chain
        assert any(f"复函文号{r.doc_number}作废" in reason for reason in reasons), r.doc_number
    assert all(r.used_at is not None or r.void_at is not None for r in rows)
    numbers = sorted(r.number for r in rows)
    assert numbers == list(range(1, len(numbers) + 1))  # no gap outside the ledger
    assert orphans(ctx.db, ctx.settings) == []
    return {"numbers": len(rows), "used": len(used), "voided": len(voided), "replies": len(docx)}


def test_concurrent_releases_rescans_and_the_cli_give_one_reply_per_letter(office, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    cases = {}
    for i in range(6):
        spec = spec_for(300 + i, kind="civil_servant", hit=True)
        cases[drop(service, f"hit-{i}.docx", spec)] = spec.doc_number
    stop = threading.Event()
    dropped: dict[int | None, str] = {}
    tried: Counter[str] = Counter()
    errors: list[BaseException] = []

    def release(who: str) -> None:
        for case_id in cases:
            try:
                tried[who] += 1
                review.approve(ctx, case_id, account(who), seen=review.reply_tag(ctx, case_id))
            except LettersError:
                pass  # taken by the other release, or already replied: refused, nothing sent
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    pending: dict[Path, str] = {}

    def rescan() -> None:
        n = 0
        while not stop.is_set() or pending:
            if not stop.is_set() and n < 5:
                n += 1
                spec = spec_for(400 + n)
                letter = write_letter(service.folders.inbox / f"folder-{n}" / "来函.docx", spec)
                pending[letter] = spec.doc_number  # a folder dropped meanwhile, answered by the watcher
            for letter, number in list(pending.items()):
                try:
                    dropped[service.handle_file(letter)] = number
                    del pending[letter]
                except PassingFault:
                    pass  # its folder is not quiet yet: the next scan takes it
            for ready in recover(ctx.db, service.core.me, service.core.active):
                service.core.resume(ready)
            time.sleep(0.3)

    scanner = threading.Thread(target=rescan)
    scanner.start()
    clis = [_cli_approve(case_id, "zhou", review.reply_tag(ctx, case_id)) for case_id in list(cases)[::2]]
    threads = [threading.Thread(target=release, args=(who,)) for who in ("周复核", "李科长")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for proc in clis:
        proc.wait(timeout=600)
    stop.set()
    scanner.join(timeout=120)
    assert not errors, errors
    for case_id in cases:  # anything left waiting (every release refused meanwhile) is released now
        with ctx.db.sessions() as s:
            if s.get(Case, case_id).state == CaseState.WAITING_REVIEW.value:  # type: ignore[union-attr]
                review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id))
    assert None not in dropped
    figures = _invariants(ctx, {**cases, **dropped})  # type: ignore[dict-item]
    print(f"concurrent releases: tried {sum(tried.values()) + len(clis)}, figures {figures}, orphans 0")


def test_a_release_killed_at_random_moments_is_finished_once(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    rng = random.Random(int(os.environ.get("LETTERS_FAULT_SEED", "20")))
    cases = {}
    for i in range(8):
        spec = spec_for(500 + i, kind="civil_servant", hit=True)
        cases[drop(service, f"kill-{i}.docx", spec)] = spec.doc_number
    killed = 0
    for case_id in cases:
        proc = _cli_approve(case_id, "zhou", review.reply_tag(ctx, case_id))
        time.sleep(rng.uniform(0.8, 2.6))  # start-up, check, number, render, publish: anywhere
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
    for ready in recover(ctx.db, service.core.me, service.core.active):  # the watcher's next rescan
        service.core.resume(ready)
    for case_id in cases:
        with ctx.db.sessions() as s:
            state = s.get(Case, case_id).state  # type: ignore[union-attr]
        assert state in (CaseState.REPLIED.value, CaseState.WAITING_REVIEW.value), state
        if state == CaseState.WAITING_REVIEW.value:
            review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id))
    figures = _invariants(ctx, cases)
    print(f"killed releases: {killed} of {len(cases)} killed, figures {figures}, orphans 0")


class Killed(BaseException):
    """Stands for SIGKILL at an exact step: nothing after it runs, not even the review's own handlers."""


@pytest.mark.parametrize("point", ["numbered", "final", "half-published"])
def test_a_release_killed_at_each_step_of_publishing_is_finished_once(office, monkeypatch, point) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases import claims, publisher, replying

    ctx, service = office
    spec = spec_for(600, kind="civil_servant", hit=True)
    case_id = drop(service, "step.docx", spec)
    if point == "numbered":  # a number taken, the reply not yet final
        real = replying.next_reply_number

        def numbered(*a, **k):  # type: ignore[no-untyped-def]
            real(*a, **k)
            raise Killed

        monkeypatch.setattr(replying, "next_reply_number", numbered)
    else:  # final (recorded) and nothing published, or one file published of two
        real_claim = publisher.claim
        calls = []

        def claim(*a, **k):  # type: ignore[no-untyped-def]
            calls.append(1)
            if point == "final" or len(calls) > 1:
                raise Killed
            return real_claim(*a, **k)

        monkeypatch.setattr(publisher, "claim", claim)
    monkeypatch.setattr(claims, "end_claim", lambda *_a: None)  # a killed process ends nothing
    with pytest.raises(Killed):
        review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id))
    monkeypatch.undo()
    for ready in recover(ctx.db, service.core.me, service.core.active):
        service.core.resume(ready)
    with ctx.db.sessions() as s:
        assert s.get(Case, case_id).state == CaseState.PROCESSING.value  # type: ignore[union-attr]  # alive
    die_claims(ctx)
    for ready in recover(ctx.db, service.core.me, service.core.active):
        service.core.resume(ready)
    with ctx.db.sessions() as s:
        state = s.get(Case, case_id).state  # type: ignore[union-attr]
    assert state == (CaseState.WAITING_REVIEW.value if point == "numbered" else CaseState.REPLIED.value)
    if state == CaseState.WAITING_REVIEW.value:
        review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id))
    figures = _invariants(ctx, {case_id: spec.doc_number})
    assert figures["voided"] == (1 if point == "numbered" else 0)
