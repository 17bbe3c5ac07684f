"""Reply 文号 allocation: one number per reply, never handed out twice.

The allocation commits in its own transaction before the reply is written, so
a crash after it leaves a gap (recorded in reply_numbers), never a reuse.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from pipeline.storage.database import write_transaction
from pipeline.storage.models import ReplyCounter, ReplyNumber


def format_doc_number(prefix: str, year: int, number: int) -> str:
    """陕信用函〔2026〕15号."""
    return f"{prefix}〔{year}〕{number}号"


def _ensure_counter(session: Session, prefix: str, year: int) -> None:
    dialect = session.get_bind().dialect.name
    values = {"prefix": prefix, "year": year, "last_number": 0}
    if dialect == "sqlite":
        stmt = sqlite.insert(ReplyCounter).values(values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        stmt = postgresql.insert(ReplyCounter).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        if session.get(ReplyCounter, (prefix, year)) is not None:
            return
        stmt = insert(ReplyCounter).values(values)
    session.execute(stmt)


def allocate_reply_number(
    sessions: sessionmaker[Session],
    prefix: str,
    year: int,
    *,
    case_id: int | None = None,
    now: dt.datetime | None = None,
    floor: int = 0,
) -> str:
    """Take the next number for (prefix, year), above `floor` (a number known issued outside the
    database), and commit it at once."""
    with write_transaction(sessions) as session:
        _ensure_counter(session, prefix, year)
        # Never below a number the ledger already holds (an orphan an administrator confirmed after a
        # restore, whose number the restored counter had not reached): the unique constraint would refuse it.
        held = session.execute(
            select(func.max(ReplyNumber.number)).where(ReplyNumber.prefix == prefix, ReplyNumber.year == year)
        ).scalar_one_or_none()
        floor = max(floor, held or 0)
        # The UPDATE takes the row (PostgreSQL) or database (SQLite) write lock first,
        # so two processes can never read the same last_number.
        last = case((ReplyCounter.last_number < floor, floor), else_=ReplyCounter.last_number)
        number = session.execute(
            update(ReplyCounter)
            .where(ReplyCounter.prefix == prefix, ReplyCounter.year == year)
            .values(last_number=last + 1)
            .returning(ReplyCounter.last_number)
        ).scalar_one()
        doc_number = format_doc_number(prefix, year, number)
        session.add(
            ReplyNumber(
                prefix=prefix,
                year=year,
                number=number,
                doc_number=doc_number,
                case_id=case_id,
                allocated_at=now or dt.datetime.now(),
            )
        )
    return doc_number


def raise_counter(session: Session, prefix: str, year: int, at_least: int) -> None:
    """Set (prefix, year)'s last number to at least `at_least` (never lower), in the caller's transaction."""
    _ensure_counter(session, prefix, year)
    session.execute(
        update(ReplyCounter)
        .where(ReplyCounter.prefix == prefix, ReplyCounter.year == year, ReplyCounter.last_number < at_least)
        .values(last_number=at_least)
    )


def allocated_numbers(session: Session, prefix: str, year: int) -> list[str]:
    """Every number allocated for (prefix, year), in order (for audits and tests)."""
    rows = session.scalars(
        select(ReplyNumber.doc_number)
        .where(ReplyNumber.prefix == prefix, ReplyNumber.year == year)
        .order_by(ReplyNumber.number)
    )
    return list(rows)


def mark_used(session: Session, doc_number: str, case_id: int | None, now: dt.datetime) -> None:
    """The number is on its case from now on (in the caller's transaction, with the case's change)."""
    session.execute(
        update(ReplyNumber)
        .where(ReplyNumber.doc_number == doc_number, ReplyNumber.used_at.is_(None))
        .values(used_at=now, case_id=case_id)
    )


def unused_numbers(
    session: Session, *, allocated_before: dt.datetime | None = None, case_id: int | None = None
) -> list[ReplyNumber]:
    """Numbers neither used, void nor confirmed (optionally only those allocated before a time, or
    only one case's)."""
    query = select(ReplyNumber).where(
        ReplyNumber.used_at.is_(None), ReplyNumber.void_at.is_(None), ReplyNumber.confirmed_at.is_(None)
    )
    if allocated_before is not None:
        query = query.where(ReplyNumber.allocated_at < allocated_before)
    if case_id is not None:
        query = query.where(ReplyNumber.case_id == case_id)
    return list(session.scalars(query.order_by(ReplyNumber.id)))
