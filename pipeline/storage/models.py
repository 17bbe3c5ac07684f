"""Database tables, as typed SQLAlchemy 2 models.

The schema itself is owned by the Alembic migrations next to this file; these
models describe it for queries and must agree with the latest migration
(tests/test_storage.py compares them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipeline.domain.reasons import Reason
from pipeline.domain.states import CASE_STATES as CASE_STATES  # re-exported: stored as text here
from pipeline.domain.states import CaseState as CaseState


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {dict[str, Any]: JSON, list[Any]: JSON}


class CreditList(Base):
    """One named blacklist (e.g. 失信被执行人), replaced wholesale by each import."""

    __tablename__ = "credit_lists"
    __table_args__ = (UniqueConstraint("name", name="uq_credit_lists_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())

    snapshots: Mapped[list[Snapshot]] = relationship(back_populates="credit_list")


class Snapshot(Base):
    """One import of a list (a full file, or a delta on the snapshot below). Exactly one snapshot per
    list is current; a delta's layers below it are read with it."""

    __tablename__ = "snapshots"
    __table_args__ = (
        Index("ix_snapshots_list_current", "list_id", "is_current"),
        Index("ix_snapshots_list_sha256", "list_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("credit_lists.id", ondelete="CASCADE"))
    source_file: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(Integer)  # data rows read from the file
    rows_imported: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    rows_masked: Mapped[int] = mapped_column(Integer)
    rejected_report: Mapped[str | None] = mapped_column(String(1000))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime())
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set while the snapshot is held for an administrator's confirmation (records/guard.py).
    staged_reason: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[dict[str, int] | None] = mapped_column(JSON)  # records per 名单类别 ("" = none)
    # A delta snapshot's layer below (migration 0015); None for a full import. A snapshot's records
    # live in a store of their own (records/store.py), not in this database's tables.
    base_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))

    credit_list: Mapped[CreditList] = relationship(back_populates="snapshots")


class ReplyCounter(Base):
    """Last reply 文号 number handed out per (prefix, year)."""

    __tablename__ = "reply_counters"

    prefix: Mapped[str] = mapped_column(String(100), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class ReplyNumber(Base):
    """Every reply 文号 ever allocated, so a gap after a crash can be explained."""

    __tablename__ = "reply_numbers"
    __table_args__ = (
        UniqueConstraint("prefix", "year", "number", name="uq_reply_numbers_number"),
        UniqueConstraint("doc_number", name="uq_reply_numbers_doc_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    doc_number: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    allocated_at: Mapped[dt.datetime] = mapped_column(DateTime())
    # The ledger (migration 0016): a number is used (recorded final on its case, with its audit event,
    # before any file carrying it is published), void (never sent: why, in the audit chain), or
    # confirmed (an orphan an administrator accounted for). See pipeline.cases.numbering.
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    void_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime())
    note: Mapped[str | None] = mapped_column(String(1000))


class Case(Base):
    """One received letter and everything decided about it. Times are naive local wall-clock."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in CASE_STATES)), name="ck_cases_state"
        ),
        Index("ix_cases_sha256", "file_sha256"),
        Index("ix_cases_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime())
    state: Mapped[str] = mapped_column(String(20), default=CaseState.RECEIVED.value)
    kind: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(200))  # the letter's own 文号
    letter_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    check_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # check time, snapshots, results
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)  # [{code, seq, text}]: why a clerk must look
    error: Mapped[str | None] = mapped_column(Text)  # Chinese message of a failure
    error_kind: Mapped[str | None] = mapped_column(String(32))  # its FailureKind (None: stored before codes)
    reply_doc_number: Mapped[str | None] = mapped_column(String(200))
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"docx": name, …} as published

    def review_reasons(self) -> list[Reason]:
        """The stored reasons, typed (plain strings stored by older versions read as needing a correction)."""
        return [Reason.from_json(r) for r in self.reasons or []]
