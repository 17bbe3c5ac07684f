"""Who is running, who died, and which cases to take back.

Each `letters watch` registers an instance row and beats every few seconds.
An instance whose heartbeat is stale — or, on this host, whose process is
gone — is dead. A person's review holds its case by a claim of its own
(pipeline.cases.claims), alive while the process running it is. A dead
holder's 'processing' cases go back to 'received' (with an audit event) and
are resumed from their last recorded step; a review that died before its
reply was final goes back to 待复核. Cases are never
retried just because the service restarted: only unfinished ones come back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pipeline.cases.claims import claim_alive, is_claim
from pipeline.cases.numbering import void_unused
from pipeline.cases.transitions import move
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import CaseTracking, ReviewClaim, ServiceInstance
from pipeline.storage.models import Case, CaseState

log = logging.getLogger("pipeline.cases.instances")

HEARTBEAT_SECONDS = 5.0
LEASE_SECONDS = 60.0


def pid_alive(pid: int) -> bool:
    """Is a process with this id running (zombies count as dead)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def register_instance(db: Database, *, mode: str, inbox: Path) -> str:
    """A new row for this run of the service; returns its id."""
    now = dt.datetime.now()
    host = socket.gethostname()
    instance = f"{host[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with write_transaction(db.sessions) as session:
        session.add(
            ServiceInstance(
                id=instance,
                host=host,
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=now,
                mode=mode,
                inbox=str(inbox),
            )
        )
    return instance


def heartbeat(db: Database, instance: str) -> None:
    with write_transaction(db.sessions) as session:
        session.execute(
            update(ServiceInstance)
            .where(ServiceInstance.id == instance)
            .values(heartbeat_at=dt.datetime.now())
        )


def stop_instance(db: Database, instance: str) -> None:
    with write_transaction(db.sessions) as session:
        session.execute(
            update(ServiceInstance).where(ServiceInstance.id == instance).values(stopped_at=dt.datetime.now())
        )


def _is_dead(row: ServiceInstance, now: dt.datetime, host: str) -> bool:
    if row.heartbeat_at < now - dt.timedelta(seconds=LEASE_SECONDS):
        return True
    if row.host == host:
        return row.pid == os.getpid() or not pid_alive(row.pid)  # same pid, other id: an earlier life
    return False


def mark_dead(session: Session, me: str) -> set[str]:
    """Close the rows of instances that died without stopping; returns the ids still alive."""
    now = dt.datetime.now()
    host = socket.gethostname()
    rows = session.execute(
        select(ServiceInstance).where(ServiceInstance.stopped_at.is_(None), ServiceInstance.id != me)
    ).scalars()
    for row in rows:
        if _is_dead(row, now, host):
            row.stopped_at = now
            log.warning("service instance %s stopped without finishing; taking over its cases", row.id)
    session.flush()
    return set(
        session.execute(select(ServiceInstance.id).where(ServiceInstance.stopped_at.is_(None))).scalars()
    )


def recover(db: Database, me: str, active: set[int] | None = None, limit: int = 200) -> list[int]:
    """Hand back cases of dead instances (and our own stranded ones); list cases ready to run."""
    active = active if active is not None else set()  # live: a case claimed meanwhile is seen
    now = dt.datetime.now()
    with write_transaction(db.sessions) as session:
        live = mark_dead(session, me) | {me}
        stranded = session.execute(
            select(Case.id, CaseTracking.owner, CaseTracking.decided, ServiceInstance.mode)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .outerjoin(ServiceInstance, ServiceInstance.id == CaseTracking.owner)
            .where(Case.state == CaseState.PROCESSING.value)
        ).all()
        for case_id, owner, decided, mode in stranded:
            if owner == me and case_id in active:
                continue
            if is_claim(owner):
                claim = session.get(ReviewClaim, owner)
                if claim is not None and claim_alive(claim, now):
                    continue  # a person's review still running, in this process or another
            elif owner is not None and owner != me and owner in live:
                continue  # a live watcher holds it
            if (mode == "review" or is_claim(owner)) and decided is None:
                # A review killed before its reply was staged: its correction and decisions were saved
                # when it took the case; a person finishes it, the letter is never read again.
                move(
                    session, case_id, source=CaseState.PROCESSING, target=CaseState.WAITING_REVIEW,
                    actor=audit.SERVICE, now=now, tracking={"owner": None},
                    reason="复核中断（复核进程意外停止），已保存的更正和决定保留，请重新复核后发出",
                )  # fmt: skip
                continue
            move(
                session, case_id, source=CaseState.PROCESSING, target=CaseState.RECEIVED, actor=audit.SERVICE,
                reason="处理中断（服务意外停止），从上次完成的步骤继续处理", now=now, tracking={"owner": None},
            )  # fmt: skip
        ready_query = (
            select(Case.id)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .where(
                Case.state == CaseState.RECEIVED.value,
                or_(CaseTracking.retry_after.is_(None), CaseTracking.retry_after <= now),
            )
            .order_by(Case.id)
            .limit(limit)
        )
        void_unused(session, now)  # numbers whose run died: voided, each with its audit event
        return list(session.execute(ready_query).scalars())
