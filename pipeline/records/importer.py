"""Import one list file as a new snapshot of its list.

The records go into the snapshot's own store (records/store.py), built while nobody reads it;
then, in one short transaction, the counts are stored, the guard decides and the snapshot goes in
force. A failure anywhere leaves the old snapshot in force and removes the new store. Rejected
rows go to a report file (0600) with their line numbers.

A delta file (the day's additions and removals) becomes a snapshot too, layered on the one in
force: its store holds only the rows it lists, and a check reads the layers newest first, each
row replacing the same record (ID, name, 认定文书号) of the layers below (checking/check.py).

A snapshot that looks damaged (records/guard.py: it shrinks too much, or the parse did not
account for the file's lines) is stored but held: the old one stays in force until an
administrator confirms the new one with a reason. Every change of the snapshot in force, and
every hold, is an audit event. The replaced snapshots' stores are removed one import later, so
a check that began just before a switch still finds the stores it is reading.
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
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.domain.roles import Role
from pipeline.errors import ListFileError
from pipeline.privacy import private_file
from pipeline.records.catalog import layers
from pipeline.records.guard import ParseFigures, hold_reasons
from pipeline.records.parsing import Batch, parsed_batches
from pipeline.records.results import (
    Confirmation,
    ImportResult,
    default_list_name,
    result_of,
    safe_file_part,
    write_log,
)
from pipeline.records.source import FileFacts, Progress, inspect_file
from pipeline.records.store import RecordStores
from pipeline.settings import Settings
from pipeline.sheets import safe_cells
from pipeline.storage import audit, write_transaction
from pipeline.storage.models import CreditList, Snapshot

log = logging.getLogger("pipeline.records")


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
        self.handle: Any = None
        self.count = 0

    def reset(self) -> None:
        """Forget what was written: the rows are read again from the start."""
        if self.writer is not None:
            self.handle.seek(0)
            self.handle.truncate()
            self.writer = None
        self.count = 0

    def add(self, line: int, reason: str, cells: list) -> None:
        if self.writer is None:
            private_file(self.path)
            if self.handle is None:
                self.handle = self.stack.enter_context(self.path.open("w", encoding="utf-8-sig", newline=""))
            self.writer = csv.writer(self.handle)
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
    delta: bool = False,
) -> ImportResult:
    """Import `path` as the new snapshot of `list_name` (default: from the file name); with
    `delta`, as the day's changes layered on the snapshot in force.

    With `confirm`, a snapshot the guard would hold goes in force (a held import of the
    same bytes is put in force without reading the file again); either way it is audited. Only
    an administrator may confirm: a list that shrank is the office's lists, not a clerk's call.
    """
    if confirm is not None:
        confirm.account.require(Role.ADMIN)
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
            result = _import(sessions, path, name, facts, now, rejections, progress, guard, delta)
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
        current = session.scalar(
            select(Snapshot.id).where(Snapshot.list_id == snapshot.list_id, Snapshot.is_current)
        )
        _retire_others(session, snapshot)
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
    _prune(sessions, snapshot.list_id, current)
    result.confirmed = True
    log.info("list %s: held snapshot %s confirmed by an administrator", name, snapshot_id)
    return result


def _retire_others(session: Session, snapshot: Snapshot, *, keep_current: bool = False) -> None:
    """Other snapshots of the list stop being held (and, unless `keep_current`, current).

    A newer held snapshot replaces an older held one but leaves the one in force alone.
    """
    held = Snapshot.staged_reason.is_not(None)
    retired = (held & ~Snapshot.is_current) if keep_current else (held | Snapshot.is_current)
    values = {"staged_reason": None} if keep_current else {"staged_reason": None, "is_current": False}
    session.execute(
        update(Snapshot)
        .where(Snapshot.list_id == snapshot.list_id, Snapshot.id != snapshot.id, retired)
        .values(**values)
    )


def _prune(sessions: sessionmaker[Session], list_id: int, previous: int | None) -> None:
    """Remove the stores of the list's snapshots that no check can read any more: all but the
    layers in force, a held snapshot, and the layers in force until this import (`previous`)."""
    with sessions() as session:
        stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
        snapshots = {s.id: s for s in session.scalars(select(Snapshot).where(Snapshot.list_id == list_id))}
        keep: set[int] = set()
        for snapshot in snapshots.values():
            if snapshot.is_current or snapshot.staged_reason is not None or snapshot.id == previous:
                keep.update(s.id for s in layers(session, snapshot))
        # only stores still there: a year of daily deltas must not mean 365 drops at every import
        doomed = sorted((stores.present(session) & snapshots.keys()) - keep)
    for snapshot_id in doomed:
        stores.drop(snapshot_id)


def _orphans(sessions: sessionmaker[Session]) -> None:
    """Stores no snapshot owns (an import killed before its snapshot row was removed)."""
    with sessions() as session:
        stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
        known = set(session.scalars(select(Snapshot.id)))
        leftovers = stores.leftovers(session, known)
    for snapshot_id in leftovers:
        stores.drop(snapshot_id)


def _unfinished(session: Session, list_id: int) -> list[int]:
    """Imports of the list that died mid-way (a crash): neither in force nor held, no counts yet. No
    check reads them (only snapshots in force are read); they go at the next import."""
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


class _Counts:
    """What the batches of one import add up to (reset when the fast path starts over)."""

    def __init__(self) -> None:
        self.total = self.imported = self.masked = self.merged_lines = self.last_line = 0
        self.categories: Counter[str | None] = Counter()

    def add(self, batch: Batch) -> None:
        self.total += batch.total
        self.imported += batch.imported
        self.masked += batch.masked
        self.merged_lines += batch.merged_lines
        self.last_line = max(self.last_line, batch.last_line)
        self.categories.update(batch.categories)


def _import(
    sessions: sessionmaker[Session],
    path: Path,
    name: str,
    facts: FileFacts,
    now: dt.datetime,
    rejections: _Rejections,
    progress: Progress | None,
    guard: _Guard,
    delta: bool,
) -> ImportResult:
    """Three steps, none holding a lock the watcher waits on: the snapshot row (committed, in force
    for nobody), its store built by the parsing job, then the counts, the guard and the switch in
    one transaction. A failure (or a crash) leaves only an unfinished snapshot no check reads,
    removed here or by the next import of the list."""
    with write_transaction(sessions) as session:
        credit_list = session.scalar(select(CreditList).where(CreditList.name == name))
        if credit_list is None:
            credit_list = CreditList(name=name, created_at=now)
            session.add(credit_list)
            session.flush()
        base = None
        if delta:
            base = session.scalar(
                select(Snapshot).where(Snapshot.list_id == credit_list.id, Snapshot.is_current)
            )
            if base is None:
                raise ListFileError(
                    f"list {name}: a delta file needs a full import first",
                    f"名单“{name}”尚未导入完整版本，增量文件无法使用，请先导入完整名单。",
                )
        leftovers = _unfinished(session, credit_list.id)
        if leftovers:
            session.execute(delete(Snapshot).where(Snapshot.id.in_(leftovers)))
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
            base_id=base.id if base is not None else None,
        )
        session.add(snapshot)
        session.flush()
        snapshot_id, list_id = snapshot.id, credit_list.id
        stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
    for dead in leftovers:  # an import of this list that died before this one
        stores.drop(dead)
    _orphans(sessions)
    try:
        header, batches = parsed_batches(path, facts, stores.target(snapshot_id), progress)
        rejections.header = header
        counts = _Counts()
        with closing(batches):  # stops the helper process on any failure
            for batch in batches:
                if batch.restart:
                    counts = _Counts()
                    rejections.reset()
                    continue
                for line, reason, cells in batch.rejected:
                    rejections.add(line, reason, cells)
                counts.add(batch)
        if counts.imported == 0:
            raise ListFileError(
                f"{path.name}: no valid rows ({counts.total} rejected)",
                f"名单文件中没有任何有效记录（共{counts.total}行被拒绝），原名单保持不变。",
            )
        with write_transaction(sessions) as session:
            snapshot = session.get(Snapshot, snapshot_id)
            assert snapshot is not None
            snapshot.rows_total = counts.total
            snapshot.rows_imported = counts.imported
            snapshot.rows_rejected = rejections.count
            snapshot.rows_masked = counts.masked
            snapshot.rejected_report = str(rejections.path) if rejections.count else None
            snapshot.categories = {(k or ""): n for k, n in counts.categories.most_common()}
            current = session.scalar(select(Snapshot).where(Snapshot.list_id == list_id, Snapshot.is_current))
            previous = current.id if current is not None else None
            if delta and previous != snapshot.base_id:
                raise ListFileError(
                    f"list {name}: the snapshot in force changed during the delta import",
                    f"导入增量期间名单“{name}”的现行版本已变化，增量未启用，请重新导入增量文件。",
                )
            figures = ParseFigures(
                # a full import is weighed against the full import in force, not a delta above it
                previous=layers(session, current)[-1].rows_imported
                if current is not None and not delta
                else None,
                imported=counts.imported,
                rejected=rejections.count,
                merged_lines=counts.merged_lines,
                lines_in_file=facts.lines,
                lines_read=counts.last_line,
            )
            held = hold_reasons(
                figures, shrink_share=guard.shrink_share, unexplained_loss=guard.unexplained_loss
            )
            what = "增量行" if delta else "数据行"
            summary = (
                f"快照{snapshot_id}：{what}{counts.total}，导入{counts.imported}，拒绝{rejections.count}"
            )
            overridden = bool(held) and guard.confirm is not None
            if held and guard.confirm is None:
                snapshot.staged_reason = "\n".join(held)
                _retire_others(session, snapshot, keep_current=True)
                event = f"名单“{name}”的新版本未启用，暂缓待管理员确认（{summary}）：{'；'.join(held)}"
            else:
                _retire_others(session, snapshot)
                snapshot.is_current = True
                event = f"名单“{name}”{'按增量文件' if delta else ''}更新为新版本（{summary}）"
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
            stores.drop(snapshot_id)
            with write_transaction(sessions) as session:
                session.execute(delete(Snapshot).where(Snapshot.id == snapshot_id, ~Snapshot.is_current))
                if session.scalar(select(Snapshot.id).where(Snapshot.list_id == list_id).limit(1)) is None:
                    session.execute(
                        delete(CreditList).where(CreditList.id == list_id)
                    )  # a list never imported
        raise
    _prune(sessions, list_id, previous)
    return ImportResult(
        name,
        snapshot_id,
        False,
        counts.total,
        counts.imported,
        rejections.count,
        counts.masked,
        rejections.path if rejections.count else None,
        None,
        0.0,
        held=held,
        confirmed=overridden,
        delta=delta,
    )
