"""The case core's tables beside the `cases` table: tracking, delays, decisions, audit, instances.

Kept in their own tables (one row per case in `case_tracking`) and their own
MetaData, so the storage layer's Case model and its model/migration check
stay as their owners wrote them; foreign keys point at `cases.id` directly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.storage.models import Case

CASE_ID = Case.__table__.c.id


class Base(DeclarativeBase):
    """The service's own tables (schema in migration 0002_service_cases)."""


class CaseTracking(Base):
    """The service's bookkeeping for one case: where its file is, who holds it, when it is due.

    `claim_key` is the letter's sha256 for an original, and a key of its own for a duplicate or a
    deliberate second answer:
    its unique constraint is the claim that lets two watchers on one database
    never take the same letter.
    """

    __tablename__ = "case_tracking"
    __table_args__ = (
        UniqueConstraint("claim_key", name="uq_case_tracking_claim_key"),
        Index("ix_case_tracking_owner", "owner"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), primary_key=True)
    claim_key: Mapped[str | None] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(1000))  # relative to the inbox
    owner: Mapped[str | None] = mapped_column(String(100))  # service instance holding it
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[dt.datetime | None] = mapped_column(DateTime())
    archive_path: Mapped[str | None] = mapped_column(String(1000))  # relative to the archive folder
    inbox_cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    due_date: Mapped[dt.date] = mapped_column(Date())
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey(CASE_ID, ondelete="SET NULL"))
    # the final state decided (stored before publishing, so a resumed case only publishes)
    decided: Mapped[str | None] = mapped_column("outcome", String(20))
    parked_path: Mapped[str | None] = mapped_column(String(1000))  # copy in failed/ or duplicates/
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    corrected_by: Mapped[str | None] = mapped_column(String(100))  # last person who corrected it
    # inbox: the watched folder (the original leaves it once archived); process: a file a person
    # named to `letters process` (never moved, never deleted; source_path is its absolute path)
    origin: Mapped[str] = mapped_column(String(20), default="inbox", server_default="inbox")
    # The console: the person working on a waiting case, and until when (migration 0009); others
    # see it read-only, and an idle hold lapses.
    held_by: Mapped[str | None] = mapped_column(String(200))
    held_until: Mapped[dt.datetime | None] = mapped_column(DateTime())

    # 更正函 (migration 0013): the reply this case's next reply corrects, after a spot check found an error
    corrects_reply: Mapped[str | None] = mapped_column(String(100))
    # Times the service died while this case's letter was being read (migration 0014): at two the file
    # is failed, so a letter that crashes the service cannot crash it again at every start.
    crashes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the case has been (migration 0016), never lowered by a later edit: a person once found listed
    # (or possibly listed, or listed under another name), a civil-servant query once declared. With
    # `fixes` (each correction of a name, an ID, the kind, a row or a verdict: who, when, before, after)
    # they decide the second review (pipeline.domain.history), so an edit cannot walk around it.
    ever_hit: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    ever_civil_servant: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    fixes: Mapped[list | None] = mapped_column(JSON)

    def holder(self, now: dt.datetime) -> str | None:
        """Who holds the case at `now`: a hold past its time has lapsed and holds nothing."""
        if self.held_by is None or self.held_until is None or self.held_until <= now:
            return None
        return self.held_by


class CaseDelay(Base):
    """延期: the office agreed a later date with the sender (the notice's 特殊情况确需延期办理)."""

    __tablename__ = "case_delays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), index=True)
    new_due_date: Mapped[dt.date] = mapped_column(Date())
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime())


class CaseDecision(Base):
    """A named person's decision on one person's possible/name_mismatch verdict (migration 0003).

    Kept as history, never updated: the latest row per (case, seq) is the one
    re-checks apply, and only while the same records still match.
    """

    __tablename__ = "case_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1-based position in the roster
    name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str] = mapped_column(String(18))
    was: Mapped[str] = mapped_column(String(20))  # possible | name_mismatch
    verdict: Mapped[str] = mapped_column(String(20))  # clear | listed
    records: Mapped[list] = mapped_column(JSON)  # [{snapshot_id, record_id, list_name, line}]
    lists: Mapped[list] = mapped_column(JSON)  # 名单类别 / list names of those records
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime())


class CaseDraft(Base):
    """A clerk's unsubmitted changes to a waiting case (migration 0010): kept across reloads and a
    lapsed hold, removed when a correction or confirmation is submitted. Holds personal data, like
    the case itself."""

    __tablename__ = "case_drafts"

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), primary_key=True)
    body: Mapped[dict] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime())


class SpotCheck(Base):
    """抽查抽检 (migration 0011): a reply drawn after release for a re-check by a person who did not
    handle it. `rule` and `point` say why it was drawn, so the draw can be recomputed."""

    __tablename__ = "spot_checks"
    __table_args__ = (Index("ix_spot_checks_status", "status"),)

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), primary_key=True)
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime())
    rule: Mapped[str] = mapped_column(String(200))
    point: Mapped[float | None] = mapped_column(Float)  # the case's sample point in [0, 1)
    status: Mapped[str] = mapped_column(String(20))  # open | agreed | error
    checked_by: Mapped[str | None] = mapped_column(String(200))
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    finding: Mapped[str | None] = mapped_column(Text)


class Objection(Base):
    """异议 (migration 0012): an objection letter's chain. Province: apply to 国家公共信用信息中心
    within 3 working days of receipt, record its result, tell the unit within 3 working days of
    that; city: tell the unit the review result within 3 working days of receipt."""

    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_original", "original_case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))  # province | city
    original_case_id: Mapped[int | None] = mapped_column(ForeignKey(CASE_ID, ondelete="SET NULL"))
    cited_reply: Mapped[str | None] = mapped_column(String(100))  # the reply 文号 the letter objects to
    people: Mapped[list] = mapped_column(JSON)  # [{name, id_number, seq?, was?}] the persons concerned
    reason: Mapped[str | None] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date())
    stage: Mapped[str] = mapped_column(String(20))  # link | apply | result | notify | done
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    applied_by: Mapped[str | None] = mapped_column(String(200))
    apply_number: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str | None] = mapped_column(String(20))  # upheld | changed
    result_people: Mapped[list | None] = mapped_column(JSON)  # [{name, id_number, was, now}]
    result_received_on: Mapped[dt.date | None] = mapped_column(Date())
    result_by: Mapped[str | None] = mapped_column(String(200))
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    notified_by: Mapped[str | None] = mapped_column(String(200))
    notice_number: Mapped[str | None] = mapped_column(String(100))
    delays: Mapped[list] = mapped_column(
        JSON
    )  # [{clock, until, contacted_who, contacted_at, how, reason, by, at}]
    outputs: Mapped[dict | None] = mapped_column(JSON)  # letter -> file name in the outbox


class AuditEvent(Base):
    """One state change, hash-chained to the one before it. Never updated, never deleted."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last event's number and hash: its row lock serialises appends; it exposes a deleted tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class ServiceInstance(Base):
    """One run of `letters watch`: heartbeats show health and let others take over a dead one's cases."""

    __tablename__ = "service_instances"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime())
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    mode: Mapped[str] = mapped_column(String(20))
    inbox: Mapped[str] = mapped_column(String(1000))


class ReviewClaim(Base):
    """A person's review, release or correction holding a case while it runs (migration 0016).

    Not a service instance: it is alive while the process that runs it is (same host: the pid and the
    process's start time; another host: a fresh heartbeat), so no rescan takes back a running review."""

    __tablename__ = "review_claims"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE_ID, ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    pid_started: Mapped[int] = mapped_column(Integer)  # the process's start, clock ticks after boot
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime())


class UserAccount(Base):
    """A named account (migration 0008). Passwords are argon2 hashes; accounts are disabled, never deleted."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime())


class WebSession(Base):
    """A console session, held on the server (migration 0018): the browser's cookie carries only a random
    token, stored here as its SHA-256, so logout, a password reset, disabling the account and the idle
    and absolute timeouts end it for good — a captured cookie is worth nothing afterwards."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    ended_why: Mapped[str | None] = mapped_column(
        String(40)
    )  # logout, password_reset, disabled, idle, expired
