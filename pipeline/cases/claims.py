"""A person's review holding a case while it runs: a claim of its own, not a service instance.

A review (approve, correct, confirm) takes its case into 'processing' under a claim id. Recovery
(pipeline.cases.instances.recover) hands a processing case back only when its holder is dead.
For a watcher that is its instance's heartbeat; for a review it is the process that runs it:

- on the same host, the claim is alive while a process with its pid *and its start time* runs —
  the pid alone would mistake a reused pid for the claim's owner, and (the fault this replaces)
  the watcher's own process for "an earlier life" of a review running inside it (the console);
- on another host, while its heartbeat (beaten every few seconds by a thread of the review) is fresh.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import update

from pipeline.storage import Database, write_transaction
from pipeline.storage.case_models import ReviewClaim

log = logging.getLogger("pipeline.cases.claims")

PREFIX = "review:"
HEARTBEAT_SECONDS = 5.0
LEASE_SECONDS = 60.0


def process_started(pid: int) -> int | None:
    """The process's start time (clock ticks after boot, /proc/PID/stat field 22); None when gone
    or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def is_claim(owner: str | None) -> bool:
    return owner is not None and owner.startswith(PREFIX)


def claim_alive(claim: ReviewClaim, now: dt.datetime, host: str | None = None) -> bool:
    """Alive while the process that runs it is (see the module docstring)."""
    if claim.ended_at is not None:
        return False
    if claim.host == (host or socket.gethostname()):
        return process_started(claim.pid) == claim.pid_started
    return claim.heartbeat_at >= now - dt.timedelta(seconds=LEASE_SECONDS)


def open_claim(db: Database, case_id: int, actor: str) -> str:
    """A new claim row for this process; the caller takes the case under the returned id."""
    now = dt.datetime.now()
    claim_id = f"{PREFIX}{uuid.uuid4().hex}"
    pid = os.getpid()
    with write_transaction(db.sessions) as session:
        session.add(
            ReviewClaim(
                id=claim_id, case_id=case_id, actor=actor[:200], host=socket.gethostname()[:200], pid=pid,
                pid_started=process_started(pid) or 0, claimed_at=now, heartbeat_at=now,
            )
        )  # fmt: skip
    return claim_id


def end_claim(db: Database, claim_id: str) -> None:
    with write_transaction(db.sessions) as session:
        session.execute(
            update(ReviewClaim).where(ReviewClaim.id == claim_id).values(ended_at=dt.datetime.now())
        )


@contextlib.contextmanager
def review_claim(db: Database, case_id: int, actor: str) -> Iterator[str]:
    """A claim for the duration of the block, its heartbeat beaten by a thread meanwhile."""
    claim_id = open_claim(db, case_id, actor)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with write_transaction(db.sessions) as session:
                    session.execute(
                        update(ReviewClaim)
                        .where(ReviewClaim.id == claim_id)
                        .values(heartbeat_at=dt.datetime.now())
                    )
            except Exception as exc:  # a busy database: the next beat tries again
                log.warning("review claim heartbeat failed: %s", exc)

    thread = threading.Thread(target=beat, name=f"claim-{case_id}", daemon=True)
    thread.start()
    try:
        yield claim_id
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT_SECONDS)
        try:
            end_claim(db, claim_id)
        except Exception as exc:
            log.warning("could not end review claim %s: %s", claim_id, exc)
