"""What an import reports: its result, and the short ID-free summary written beside it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.domain.roles import Account
from pipeline.privacy import private_file
from pipeline.records.source import FileFacts
from pipeline.storage.models import Snapshot

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')
_TRAILING_DATE = re.compile(r"[-_ .（(]*\d{6,14}[)）]?$")


@dataclass(frozen=True, slots=True)
class Confirmation:
    """An administrator puts a held snapshot in force: who (a signed-in account), and why."""

    account: Account
    reason: str

    @property
    def by(self) -> str:
        return self.account.signature


@dataclass(slots=True)
class ImportResult:
    list_name: str
    snapshot_id: int
    unchanged: bool  # the same file was already the list's current (or held) snapshot
    rows_total: int
    rows_imported: int
    rows_rejected: int
    rows_masked: int
    rejected_report: Path | None
    log_file: Path | None
    seconds: float
    held: list[str] = field(default_factory=list)  # why the snapshot is not in force (Chinese)
    confirmed: bool = False  # put in force by an administrator's confirmation
    delta: bool = False  # the day's changes, layered on the snapshot in force

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds > 0 else 0.0

    @property
    def in_force(self) -> bool:
        return not self.held


_DELTA_MARK = re.compile(r"[-_ .（(]*增量[)）]?")


def default_list_name(path: Path) -> str:
    """失信被执行人_20261128.csv -> 失信被执行人: dated exports of one list replace each other;
    失信被执行人_增量_20261201.csv names the same list (its delta)."""
    stem = path.stem.strip()
    name = _TRAILING_DATE.sub("", stem) or stem
    return _DELTA_MARK.sub("", name).strip() or name


def is_delta_file(path: Path) -> bool:
    """A file named as a delta (…增量…): the day's changes to its list, not the whole list."""
    return "增量" in path.stem


def safe_file_part(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "list"


def result_of(snapshot: Snapshot, name: str, unchanged: bool, started: float) -> ImportResult:
    return ImportResult(
        name,
        snapshot.id,
        unchanged,
        snapshot.rows_total,
        snapshot.rows_imported,
        snapshot.rows_rejected,
        snapshot.rows_masked,
        Path(snapshot.rejected_report) if snapshot.rejected_report else None,
        None,
        time.monotonic() - started,
        held=snapshot.staged_reason.split("\n") if snapshot.staged_reason else [],
    )


def write_log(path: Path, source: Path, result: ImportResult, facts: FileFacts) -> Path:
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
    if result.held:
        lines.append("状态：未启用，原名单继续有效，待管理员核实后确认启用")
        lines.extend(f"暂缓原因：{reason}" for reason in result.held)
    elif result.confirmed:
        lines.append("状态：经管理员确认后启用")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
