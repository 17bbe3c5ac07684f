"""Import one list file as a new snapshot of its list, atomically.

Everything happens in one transaction: the new snapshot's records are inserted
in batches, the old snapshot stops being current and its records are deleted.
A failure anywhere rolls all of it back, leaving the old snapshot in force.
Rejected rows go to a report file (0600) with their line numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.privacy import private_file
from pipeline.records.parsing import parsed_batches
from pipeline.records.source import FileFacts, ListFileError, Progress, inspect_file
from pipeline.records.writer import BatchWriter
from pipeline.settings import Settings
from pipeline.storage import write_transaction
from pipeline.storage.models import CreditList, Record, Snapshot

log = logging.getLogger("pipeline.records")

IMPORT_CACHE_KB = 96 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')
_TRAILING_DATE = re.compile(r"[-_ .（(]*\d{6,14}[)）]?$")


@dataclass(slots=True)
class ImportResult:
    list_name: str
    snapshot_id: int
    unchanged: bool  # the same file was already the list's current snapshot
    rows_total: int
    rows_imported: int
    rows_rejected: int
    rows_masked: int
    rejected_report: Path | None
    log_file: Path | None
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds > 0 else 0.0


def default_list_name(path: Path) -> str:
    """失信被执行人_20261128.csv -> 失信被执行人: dated exports of one list replace each other."""
    stem = path.stem.strip()
    return _TRAILING_DATE.sub("", stem) or stem


def safe_file_part(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "list"


def _current_snapshot(session: Session, list_name: str) -> Snapshot | None:
    return session.scalar(
        select(Snapshot)
        .join(CreditList, Snapshot.list_id == CreditList.id)
        .where(CreditList.name == list_name, Snapshot.is_current)
    )


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
            self.writer.writerow(["行号", "原因", *("" if c is None else c for c in self.header)])
        self.writer.writerow([line, reason, *("" if c is None else c for c in cells)])
        self.count += 1


@contextmanager
def _bulk_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache while importing: the ID index is inserted in random order."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.execute(text(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}"))
    try:
        yield
    finally:
        session.execute(text("PRAGMA cache_size = -2000"))


def import_list(
    sessions: sessionmaker[Session],
    path: Path,
    settings: Settings,
    *,
    list_name: str | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import `path` as the new snapshot of `list_name` (default: from the file name)."""
    started = time.monotonic()
    now = now or dt.datetime.now()
    if not path.is_file():
        raise ListFileError(f"{path}: no such file", f"找不到名单文件：{path}")
    name = (list_name or default_list_name(path)).strip()
    if not name:
        raise ListFileError("empty list name", "名单名称不能为空。")
    facts = inspect_file(path)
    with sessions() as session:
        current = _current_snapshot(session, name)
        if current is not None and current.sha256 == facts.sha256:
            log.info("list %s: %s already imported as snapshot %s", name, path.name, current.id)
            return ImportResult(
                name,
                current.id,
                True,
                current.rows_total,
                current.rows_imported,
                current.rows_rejected,
                current.rows_masked,
                Path(current.rejected_report) if current.rejected_report else None,
                None,
                time.monotonic() - started,
            )
    reports = settings.path(settings.data_dir) / "imports"
    stem = f"{now:%Y%m%d-%H%M%S}-{safe_file_part(name)}"
    rejections_path = reports / f"{stem}.rejected.csv"
    with ExitStack() as stack:
        rejections = _Rejections(rejections_path, stack)
        try:
            result = _import(sessions, path, name, facts, now, rejections, progress)
        except BaseException:
            stack.close()
            rejections_path.unlink(missing_ok=True)
            raise
    result.seconds = time.monotonic() - started
    result.log_file = _write_log(reports / f"{stem}.log", path, result, facts)
    log.info(
        "list %s: imported %s rows (%s rejected, %s masked) from %s as snapshot %s",
        name,
        result.rows_imported,
        result.rows_rejected,
        result.rows_masked,
        path.name,
        result.snapshot_id,
    )
    return result


def _import(
    sessions: sessionmaker[Session],
    path: Path,
    name: str,
    facts: FileFacts,
    now: dt.datetime,
    rejections: _Rejections,
    progress: Progress | None,
) -> ImportResult:
    header, batches = parsed_batches(path, facts, progress)  # may parse in a helper process
    rejections.header = header
    with ExitStack() as stack:
        stack.enter_context(closing(batches))  # stops the helper process on any failure
        session = stack.enter_context(write_transaction(sessions))
        stack.enter_context(_bulk_cache(session))
        credit_list = session.scalar(select(CreditList).where(CreditList.name == name))
        if credit_list is None:
            credit_list = CreditList(name=name, created_at=now)
            session.add(credit_list)
            session.flush()
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
        total = imported = masked = 0
        snapshot_id = snapshot.id
        dialect = session.get_bind().dialect.name
        raw = session.connection().connection.driver_connection
        writer = stack.enter_context(BatchWriter(raw, dialect, snapshot_id))
        for batch in batches:
            for line, reason, cells in batch.rejected:
                rejections.add(line, reason, cells)
            total += batch.total
            imported += len(batch.records)
            masked += batch.masked
            writer.put(batch.records)
        writer.finish()
        if imported == 0:
            raise ListFileError(
                f"{path.name}: no valid rows ({total} rejected)",
                f"名单文件中没有任何有效记录（共{total}行被拒绝），原名单保持不变。",
            )
        snapshot.rows_total = total
        snapshot.rows_imported = imported
        snapshot.rows_rejected = rejections.count
        snapshot.rows_masked = masked
        snapshot.rejected_report = str(rejections.path) if rejections.count else None
        old_ids = list(
            session.scalars(
                select(Snapshot.id).where(
                    Snapshot.list_id == credit_list.id, Snapshot.is_current, Snapshot.id != snapshot.id
                )
            )
        )
        if old_ids:
            session.execute(update(Snapshot).where(Snapshot.id.in_(old_ids)).values(is_current=False))
            session.execute(delete(Record).where(Record.snapshot_id.in_(old_ids)))
        snapshot.is_current = True
    if dialect == "postgresql":
        with sessions.begin() as session:  # fresh statistics, or the planner may scan a million rows
            session.execute(text("ANALYZE records"))
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
    )


def _write_log(path: Path, source: Path, result: ImportResult, facts: FileFacts) -> Path:
    """A short, ID-free summary beside the rejected-rows report."""
    private_file(path)
    lines = [
        f"名单：{result.list_name}",
        f"文件：{source.resolve()}",
        f"SHA-256：{facts.sha256}",
        f"编码：{facts.encoding or 'xlsx'}",
        f"数据行：{result.rows_total}",
        f"导入：{result.rows_imported}（其中脱敏身份证号 {result.rows_masked}）",
        f"拒绝：{result.rows_rejected}"
        + (f"，明细见 {result.rejected_report}" if result.rejected_report else ""),
        f"快照编号：{result.snapshot_id}",
        f"用时：{result.seconds:.1f} 秒",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
