"""Import one list file as a new snapshot of its list, atomically.

Everything happens in one transaction: the new snapshot's records are inserted
in batches, the old snapshot stops being current and its records are deleted.
A failure anywhere rolls all of it back, leaving the old snapshot in force.
Rejected rows go to a report file (0600) with their line numbers.

A snapshot that looks damaged (records/guard.py: it shrinks too much, or the
parse did not account for the file's lines) is stored but held: the old one
stays in force until an administrator confirms the new one with a reason.
Every change of the snapshot in force, and every hold, is an audit event.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import logging
import time
from collections import Counter
from contextlib import ExitStack, closing
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ListFileError
from pipeline.privacy import private_file
from pipeline.records.guard import ParseFigures, hold_reasons
from pipeline.records.parsing import parsed_batches
from pipeline.records.results import (
    Confirmation,
    ImportResult,
    default_list_name,
    result_of,
    safe_file_part,
    write_log,
)
from pipeline.records.source import FileFacts, Progress, inspect_file
from pipeline.records.writer import BatchWriter
from pipeline.settings import Settings
from pipeline.sheets import safe_cells
from pipeline.storage import audit, write_transaction
from pipeline.storage.models import CreditList, Record, Snapshot

log = logging.getLogger("pipeline.records")

IMPORT_CACHE_KB = 96 * 1024
_CATEGORY = itemgetter(5)  # a batch record's 名单类别 (see parsing.Batch)


def _current_snapshot(session: Session, list_name: str) -> Snapshot | None:
    return session.scalar(
        select(Snapshot)
        .join(CreditList, Snapshot.list_id == CreditList.id)
        .where(CreditList.name == list_name, Snapshot.is_current)
    )


def _held_snapshot(session: Session, sha256: str, list_name: str | None) -> tuple[Snapshot, str] | None:
    """The held snapshot of these bytes (of `list_name`, or of any list), with its list's name."""
    query = (
        select(Snapshot, CreditList.name)
        .join(CreditList, Snapshot.list_id == CreditList.id)
        .where(Snapshot.sha256 == sha256, Snapshot.staged_reason.is_not(None), ~Snapshot.is_current)
        .order_by(Snapshot.id.desc())
        .limit(1)
    )
    if list_name is not None:
        query = query.where(CreditList.name == list_name)
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


class _Rejections:
    """Writes rejected rows as they come; the file exists only when there is one."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self.path = path
        self.stack = stack
        self.header: list[Any] = []
        self.writer: Any = None
        self.count = 0

    def add(self, line: int, reason: str, cells: list) -> None:
        if self.writer is None:
            private_file(self.path)
            fh: TextIO = self.stack.enter_context(self.path.open("w", encoding="utf-8-sig", newline=""))
            self.writer = csv.writer(fh)
            self.writer.writerow(safe_cells(["行号", "原因", *("" if c is None else c for c in self.header)]))
        self.writer.writerow(safe_cells([line, reason, *("" if c is None else c for c in cells)]))
        self.count += 1


def import_list(
    sessions: sessionmaker[Session],
    path: Path,
    settings: Settings,
    *,
    list_name: str | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    confirm: Confirmation | None = None,
    actor: str = audit.SERVICE,
) -> ImportResult:
    """Import `path` as the new snapshot of `list_name` (default: from the file name).

    With `confirm`, a snapshot the guard would hold goes in force (a held import of the
    same bytes is put in force without reading the file again); either way it is audited.
    """
    started = time.monotonic()
    now = now or dt.datetime.now()
    if not path.is_file():
        raise ListFileError(f"{path}: no such file", f"找不到名单文件：{path}")
    facts = inspect_file(path)
    with sessions() as session:
        held = _held_snapshot(session, facts.sha256, list_name.strip() if list_name else None)
        name = held[1] if held is not None else (list_name or default_list_name(path)).strip()
        if not name:
            raise ListFileError("empty list name", "名单名称不能为空。")
        current = _current_snapshot(session, name)
        if current is not None and current.sha256 == facts.sha256:
            log.info("list %s: %s already imported as snapshot %s", name, path.name, current.id)
            return result_of(current, name, True, started)
        if held is not None and confirm is None:
            log.info("list %s: %s is already held as snapshot %s", name, path.name, held[0].id)
            return result_of(held[0], name, True, started)
    if held is not None and confirm is not None:
        return _confirm_held(sessions, held[0].id, name, confirm, now, started)
    reports = settings.path(settings.data_dir) / "imports"
    stem = f"{now:%Y%m%d-%H%M%S}-{safe_file_part(name)}"
    rejections_path = reports / f"{stem}.rejected.csv"
    guard = _Guard(settings.list_shrink_share, settings.list_unexplained_loss, confirm, actor)
    with ExitStack() as stack:
        rejections = _Rejections(rejections_path, stack)
        try:
            result = _import(sessions, path, name, facts, now, rejections, progress, guard)
        except BaseException:
            stack.close()
            rejections_path.unlink(missing_ok=True)
            raise
    result.seconds = time.monotonic() - started
    result.log_file = write_log(reports / f"{stem}.log", path, result, facts)
    log.info(
        "list %s: %s %s rows (%s rejected, %s masked) from %s as snapshot %s",
        name,
        "held" if result.held else "imported",
        result.rows_imported,
        result.rows_rejected,
        result.rows_masked,
        path.name,
        result.snapshot_id,
    )
    return result


@dataclass(frozen=True, slots=True)
class _Guard:
    shrink_share: float
    unexplained_loss: bool
    confirm: Confirmation | None
    actor: str

    @property
    def who(self) -> str:
        return self.confirm.by if self.confirm is not None else self.actor


def _confirm_held(
    sessions: sessionmaker[Session],
    snapshot_id: int,
    name: str,
    confirm: Confirmation,
    now: dt.datetime,
    started: float,
) -> ImportResult:
    """Put a held snapshot in force: the one in force steps down, as at any import."""
    with write_transaction(sessions) as session:
        snapshot = session.get(Snapshot, snapshot_id)
        assert snapshot is not None
        if snapshot.is_current or snapshot.staged_reason is None:  # confirmed meanwhile by someone else
            return result_of(snapshot, name, True, started)
        reasons = snapshot.staged_reason
        retired = _retire_others(session, snapshot)
        snapshot.staged_reason = None
        snapshot.is_current = True
        audit.append(
            session,
            actor=confirm.by,
            case_id=None,
            from_state=None,
            to_state=None,
            reason=f"确认启用名单“{name}”的新版本（快照{snapshot.id}，{snapshot.rows_imported}条记录）："
            f"{confirm.reason}；原暂缓原因：{reasons.replace(chr(10), '；')}"[:1000],
            at=now,
        )
        result = result_of(snapshot, name, False, started)
    _drop_records(sessions, retired)
    _analyze(sessions)
    result.confirmed = True
    log.info("list %s: held snapshot %s confirmed by an administrator", name, snapshot_id)
    return result


def _retire_others(session: Session, snapshot: Snapshot, *, keep_current: bool = False) -> list[int]:
    """Other snapshots of the list stop being held (and, unless `keep_current`, current); returns them,
    whose records the caller then deletes in chunks (_drop_records), outside this transaction.

    A newer held snapshot replaces an older held one but leaves the one in force alone.
    """
    held = Snapshot.staged_reason.is_not(None)
    retired = (held & ~Snapshot.is_current) if keep_current else (held | Snapshot.is_current)
    others = list(
        session.scalars(
            select(Snapshot.id).where(
                Snapshot.list_id == snapshot.list_id, Snapshot.id != snapshot.id, retired
            )
        )
    )
    if others:
        values = {"staged_reason": None} if keep_current else {"staged_reason": None, "is_current": False}
        session.execute(update(Snapshot).where(Snapshot.id.in_(others)).values(**values))
    return others


def _analyze(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
    with sessions.begin() as session:  # fresh statistics, or the planner may scan a million rows
        session.execute(text("ANALYZE records"))


COMMIT_ROWS = 200_000  # rows per commit while importing: the write lock is held for one chunk only
DROP_ROWS = 200_000  # records deleted per transaction when a snapshot's records go


def _drop_records(sessions: sessionmaker[Session], snapshot_ids: list[int]) -> None:
    """The records of these (retired or unfinished) snapshots, deleted one stretch of the primary key
    per transaction: one pass over the table in all (records have no snapshot index, on purpose:
    migration 0004), and never a long hold on the write lock."""
    if not snapshot_ids:
        return
    with sessions() as session:
        low, high = session.execute(select(func.min(Record.id), func.max(Record.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, DROP_ROWS):
        with write_transaction(sessions) as session:
            session.execute(
                delete(Record).where(
                    Record.id >= start, Record.id < start + DROP_ROWS, Record.snapshot_id.in_(snapshot_ids)
                )
            )


def _unfinished(session: Session, list_id: int) -> list[int]:
    """Imports of the list that died mid-way (a crash): neither in force nor held, no counts yet. Their
    records are invisible (the check reads only the snapshot in force) and go at the next import."""
    return list(
        session.scalars(
            select(Snapshot.id).where(
                Snapshot.list_id == list_id,
                ~Snapshot.is_current,
                Snapshot.staged_reason.is_(None),
                Snapshot.rows_imported == 0,
            )
        )
    )


def _import(
    sessions: sessionmaker[Session],
    path: Path,
    name: str,
    facts: FileFacts,
    now: dt.datetime,
    rejections: _Rejections,
    progress: Progress | None,
    guard: _Guard,
) -> ImportResult:
    """Three short steps, so no write lock is held for the whole file: the snapshot row (committed,
    in force for nobody), its records in chunks on the writer's own connection, then the counts, the
    guard and the switch to the new snapshot in one transaction. A failure (or a crash) leaves only an
    unfinished snapshot that no check reads, removed here or by the next import of the list."""
    header, batches = parsed_batches(path, facts, progress)  # may parse in a helper process
    rejections.header = header
    with ExitStack() as stack:
        stack.enter_context(closing(batches))  # stops the helper process on any failure
        with write_transaction(sessions) as session:
            credit_list = session.scalar(select(CreditList).where(CreditList.name == name))
            if credit_list is None:
                credit_list = CreditList(name=name, created_at=now)
                session.add(credit_list)
                session.flush()
            leftovers = _unfinished(session, credit_list.id)
            snapshot = Snapshot(
                list_id=credit_list.id,
                source_file=str(path.resolve()),
                sha256=facts.sha256,
                rows_total=0,
                rows_imported=0,
                rows_rejected=0,
                rows_masked=0,
                imported_at=now,
                is_current=False,
            )
            session.add(snapshot)
            session.flush()
            snapshot_id, list_id = snapshot.id, credit_list.id
            engine = session.get_bind()
        _drop_records(sessions, leftovers)  # an import of this list that died before this one
        if leftovers:
            with write_transaction(sessions) as session:
                session.execute(delete(Snapshot).where(Snapshot.id.in_(leftovers)))
        try:
            total = imported = masked = merged_lines = last_line = 0
            categories: Counter[str | None] = Counter()
            with BatchWriter(
                engine, snapshot_id, commit_rows=COMMIT_ROWS, cache_kb=IMPORT_CACHE_KB
            ) as writer:  # type: ignore[arg-type]
                for batch in batches:
                    for line, reason, cells in batch.rejected:
                        rejections.add(line, reason, cells)
                    total += batch.total
                    imported += len(batch.records)
                    masked += batch.masked
                    merged_lines += batch.merged_lines
                    last_line = max(last_line, batch.last_line)
                    categories.update(map(_CATEGORY, batch.records))
                    writer.put(batch.records)
            if imported == 0:
                raise ListFileError(
                    f"{path.name}: no valid rows ({total} rejected)",
                    f"名单文件中没有任何有效记录（共{total}行被拒绝），原名单保持不变。",
                )
            with write_transaction(sessions) as session:
                snapshot = session.get(Snapshot, snapshot_id)
                assert snapshot is not None
                snapshot.rows_total = total
                snapshot.rows_imported = imported
                snapshot.rows_rejected = rejections.count
                snapshot.rows_masked = masked
                snapshot.rejected_report = str(rejections.path) if rejections.count else None
                snapshot.categories = {(k or ""): n for k, n in categories.most_common()}
                current = session.scalar(
                    select(Snapshot).where(Snapshot.list_id == list_id, Snapshot.is_current)
                )
                figures = ParseFigures(
                    previous=current.rows_imported if current is not None else None,
                    imported=imported,
                    rejected=rejections.count,
                    merged_lines=merged_lines,
                    lines_in_file=facts.lines,
                    lines_read=last_line,
                )
                held = hold_reasons(
                    figures, shrink_share=guard.shrink_share, unexplained_loss=guard.unexplained_loss
                )
                counts = f"快照{snapshot_id}：数据行{total}，导入{imported}，拒绝{rejections.count}"
                overridden = bool(held) and guard.confirm is not None
                if held and guard.confirm is None:
                    snapshot.staged_reason = "\n".join(held)
                    retired = _retire_others(session, snapshot, keep_current=True)
                    event = f"名单“{name}”的新版本未启用，暂缓待管理员确认（{counts}）：{'；'.join(held)}"
                else:
                    retired = _retire_others(session, snapshot)
                    snapshot.is_current = True
                    event = f"名单“{name}”更新为新版本（{counts}）"
                    if held and guard.confirm is not None:
                        event += f"；经确认启用：{guard.confirm.reason}；暂缓原因：{'；'.join(held)}"
                    held = []
                audit.append(
                    session,
                    actor=guard.who,
                    case_id=None,
                    from_state=None,
                    to_state=None,
                    reason=event[:1000],
                    at=now,
                )
        except BaseException:
            with contextlib.suppress(Exception):  # the unfinished snapshot is invisible either way
                _drop_records(sessions, [snapshot_id])
                with write_transaction(sessions) as session:
                    session.execute(delete(Snapshot).where(Snapshot.id == snapshot_id, ~Snapshot.is_current))
            raise
    _drop_records(sessions, retired)  # the replaced snapshot's records, a chunk at a time
    if not held:
        _analyze(sessions)
    return ImportResult(
        name,
        snapshot_id,
        False,
        total,
        imported,
        rejections.count,
        masked,
        rejections.path if rejections.count else None,
        None,
        0.0,
        held=held,
        confirmed=overridden,
    )
