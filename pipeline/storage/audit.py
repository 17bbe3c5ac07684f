"""Append-only, hash-chained audit log of every case state change.

Each event's hash covers its own fields and the previous event's hash, so an
edited event breaks its own hash, a deleted one breaks the next event's link,
and a deleted tail no longer matches the head row. Appends take the head
row's write lock first (UPDATE before SELECT), which serialises writers on
SQLite and PostgreSQL alike. Call `append` inside the transaction that makes
the state change, so the change and its event commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.storage.case_models import AuditEvent, AuditHead

GENESIS = "0" * 64
SERVICE = "service"


def event_hash(
    seq: int,
    at: str,
    actor: str,
    case_id: int | None,
    from_state: str | None,
    to_state: str | None,
    reason: str,
    prev_hash: str,
) -> str:
    """sha256 of the event's canonical JSON form (key order and separators fixed)."""
    payload = json.dumps(
        [seq, at, actor, case_id, from_state, to_state, reason, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    case_id: int | None,
    from_state: str | None,
    to_state: str | None,
    reason: str,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Add one event to the chain, in the caller's transaction (not committed here)."""
    session.flush()
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    seq, prev = int(head.seq), str(head.hash)
    when = (at or dt.datetime.now()).isoformat(timespec="microseconds")
    digest = event_hash(seq, when, actor, case_id, from_state, to_state, reason, prev)
    event = AuditEvent(
        seq=seq,
        at=when,
        actor=actor,
        case_id=case_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    return event


@dataclass(slots=True)
class ChainReport:
    ok: bool
    events: int
    problems: list[str]  # Chinese, one line per broken link
    head: str = GENESIS  # hash of the last event: note it down to detect a rewritten tail later

    def summary_zh(self) -> str:
        if self.ok and self.events == 0:
            return "审计日志中没有任何记录，无可校验。"
        if self.ok:
            return (
                f"审计日志完整：共{self.events}条记录，哈希链校验通过。"
                f"\n最新记录哈希：{self.head}（可另行留存，用于日后核对）"
            )
        return f"审计日志校验失败（共{self.events}条记录）：\n" + "\n".join(f"  - {p}" for p in self.problems)


@dataclass(frozen=True, slots=True)
class KnownHead:
    """The chain's head as a previous verification saw it, kept outside the database."""

    seq: int
    hash: str
    at: str  # ISO time of that verification


def compare_with_known(session: Session, report: ChainReport, known: KnownHead | None) -> ChainReport:
    """A chain that is whole in itself may still have lost its tail, or been replaced whole,
    since it was last verified: the event at the known head must still be there, unchanged."""
    if known is None or known.seq == 0:
        return report
    row = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == known.seq)).scalar_one_or_none()
    if row == known.hash:
        return report
    when = known.at[:16].replace("T", " ")
    if report.events == 0:
        problem = (
            f"数据库中没有审计记录，但上次校验（{when}）时链头为第{known.seq}条（哈希 {known.hash}）："
            "数据库可能已被清空或替换，请管理员核查"
        )
    elif row is None:
        problem = f"上次校验（{when}）时已有第{known.seq}条记录，现只有{report.events}条：审计日志末尾被删除"
    else:
        problem = f"第{known.seq}条记录与上次校验（{when}）时的哈希不符：审计日志被改写"
    return ChainReport(ok=False, events=report.events, problems=[*report.problems, problem], head=report.head)


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from the first event; report every edited, deleted or reordered event."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for ev in rows:
        count += 1
        if ev.seq != expected_seq:
            problems.append(f"第{expected_seq}至{ev.seq - 1}条记录缺失（已被删除）")
        if ev.prev_hash != prev:
            problems.append(f"第{ev.seq}条记录与前一条记录的链接不符（前一条记录被修改或删除）")
        digest = event_hash(
            ev.seq, ev.at, ev.actor, ev.case_id, ev.from_state, ev.to_state, ev.reason, ev.prev_hash
        )
        if digest != ev.hash:
            problems.append(f"第{ev.seq}条记录的内容与其哈希值不符（记录被修改）")
        prev = ev.hash
        expected_seq = ev.seq + 1
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    if head is None:
        problems.append("审计日志的链头记录缺失")
    elif head.seq != expected_seq - 1 or head.hash != prev:
        problems.append(
            f"审计日志末尾的记录缺失：链头记录为第{head.seq}条，实际最后一条为第{expected_seq - 1}条"
        )
    return ChainReport(ok=not problems, events=count, problems=problems, head=prev)


def events_for(session: Session, case_id: int) -> list[AuditEvent]:
    return list(
        session.execute(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))
        .scalars()
        .all()
    )
