"""The audit log as the office reads it: search its events, and verify its chain against the head
the last verification saw (kept beside the database). Used by `letters audit verify` and the
console's 审计 page alike."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline.cases.context import ServiceContext
from pipeline.cases.reads import Read, require_read
from pipeline.domain.roles import Account
from pipeline.privacy import private_file
from pipeline.storage import audit
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.models import CaseState

HEAD_FILE = "audit-head.json"  # beside the database: what the last verification saw
PAGE = 100


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    at: str  # "YYYY-MM-DD HH:MM:SS"
    actor: str  # 系统 for the service
    case_id: int | None
    states: str  # 待复核→办理中, or "" for an event that changes no state
    reason: str


@dataclass(frozen=True, slots=True)
class EventFilter:
    case_id: int | None = None
    actor: str = ""  # part of the actor's signature
    text: str = ""  # part of the reason
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    before: int | None = None  # keyset paging: events older than this seq


def _zh(state: str | None) -> str:
    return CaseState(state).label_zh if state else ""


def find_events(
    ctx: ServiceContext, account: Account, wanted: EventFilter, limit: int = PAGE
) -> list[EventRow]:
    """Newest first, `limit` at a time (page on with `before` = the last row's seq); for those who
    oversee the handling (administrators, auditors)."""
    require_read(account, Read.AUDIT_LOG)
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if wanted.case_id is not None:
        query = query.where(AuditEvent.case_id == wanted.case_id)
    if wanted.actor:
        query = query.where(AuditEvent.actor.contains(wanted.actor, autoescape=True))
    if wanted.text:
        query = query.where(AuditEvent.reason.contains(wanted.text, autoescape=True))
    if wanted.since:
        query = query.where(AuditEvent.at >= wanted.since.isoformat())
    if wanted.until:
        query = query.where(AuditEvent.at < (wanted.until + dt.timedelta(days=1)).isoformat())
    if wanted.before is not None:
        query = query.where(AuditEvent.seq < wanted.before)
    with ctx.db.sessions() as session:
        rows = session.execute(query).scalars().all()
        return [
            EventRow(
                ev.seq, ev.at[:19].replace("T", " "), "系统" if ev.actor == audit.SERVICE else ev.actor,
                ev.case_id,
                f"{_zh(ev.from_state)}→{_zh(ev.to_state)}" if ev.from_state != ev.to_state else "",
                ev.reason,
            )
            for ev in rows
        ]  # fmt: skip


def verify(ctx: ServiceContext) -> tuple[audit.ChainReport, audit.KnownHead | None]:
    """The chain walked from its first event and compared with the last verification's head;
    a whole chain's head is kept for the next one."""
    head_file = ctx.settings.path(ctx.settings.data_dir) / HEAD_FILE
    known = _known_head(head_file)
    with ctx.db.sessions() as session:
        report = audit.compare_with_known(session, audit.verify_chain(session), known)
    if report.ok and report.events:
        _save_head(head_file, report)
    return report, known


def _known_head(path: Path) -> audit.KnownHead | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return audit.KnownHead(int(data["seq"]), str(data["hash"]), str(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_head(path: Path, report: audit.ChainReport) -> None:
    data = {"seq": report.events, "hash": report.head, "at": dt.datetime.now().isoformat(timespec="seconds")}
    tmp = private_file(path.with_name(path.name + ".part"))  # 0600, folder made; replaces the old head whole
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)
