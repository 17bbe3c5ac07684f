"""The folders a case lives in, and the Chinese notes left beside files parked in failed/ and duplicates/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.cases.instances import pid_alive
from pipeline.files import safe_copy, sha256_file, sweep_partials, write_note
from pipeline.outbox import PRIVATE_KINDS
from pipeline.privacy import mask_ids_in
from pipeline.settings import Settings
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

REASON_NOTE = ".原因.txt"
DUPLICATE_NOTE = ".重复说明.txt"


@dataclass(slots=True)
class Folders:
    inbox: Path
    archive: Path
    outbox: Path
    failed: Path
    duplicates: Path
    staging: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Folders:
        """Create what is missing, private where it holds personal data; sweep dead writers' partials."""
        folders = cls(
            inbox=settings.path(settings.inbox),
            archive=settings.path(settings.archive),
            outbox=settings.path(settings.outbox),
            failed=settings.path(settings.failed),
            duplicates=settings.path(settings.duplicates),
            staging=settings.path(settings.data_dir) / "staging",
        )
        for folder in (folders.archive, folders.staging):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)  # originals and unpublished replies: personal data
        for folder in (folders.inbox, folders.outbox, folders.failed, folders.duplicates):
            folder.mkdir(parents=True, exist_ok=True)
        for folder in (folders.outbox, folders.failed, folders.duplicates):
            sweep_partials(folder, alive=pid_alive)
        sweep_partials(folders.archive, recursive=True, alive=pid_alive)
        return folders


def source_label(tracking: CaseTracking) -> str:
    return tracking.source_path if tracking.origin == "inbox" else Path(tracking.source_path).name


def park_failed(folders: Folders, case: Case, tracking: CaseTracking) -> None:
    """A copy of the original in failed/ (from the archive) with a note saying why and what to do."""
    name = tracking.parked_path or Path(tracking.source_path).name
    dest = folders.failed / name
    if tracking.archive_path is not None:
        source = folders.archive / tracking.archive_path
        if not (dest.exists() and sha256_file(dest) == case.file_sha256) and source.exists():
            safe_copy(source, dest, case.file_sha256)
    note = (
        f"来函文件：{source_label(tracking)}\n案件编号：{case.id}\n接收时间：{case.received_at:%Y-%m-%d %H:%M}\n"
        f"失败原因：{case.error or '未知'}\n"
    )
    if tracking.archive_path is not None:
        note += f"原件已存档：archive/{tracking.archive_path}\n"
    note += "处理办法：请核对文件后，向来函单位索取可读的文件重新放入收件箱，或由工作人员手工办理。\n"
    write_note(dest.with_name(dest.name + REASON_NOTE), mask_ids_in(note))


def duplicate_note(case: Case, tracking: CaseTracking, earlier: Case | None) -> str:
    """Why a file was not answered again, naming the earlier case and its reply (IDs masked)."""
    lines = [
        f"来函文件：{source_label(tracking)}",
        f"接收时间：{case.received_at:%Y-%m-%d %H:%M}",
        f"该文件与第{tracking.duplicate_of}号案件的来函内容完全相同，未重复办理。",
    ]
    if earlier is not None:
        lines.append(f"原案件来函：{earlier.original_name}（{earlier.received_at:%Y-%m-%d %H:%M} 接收）")
        lines.append(f"原案件状态：{CaseState(earlier.state).label_zh}")
        if earlier.reply_doc_number:
            lines.append(f"原案件复函文号：{earlier.reply_doc_number}")
        for kind, name in (earlier.outputs or {}).items():
            if kind not in PRIVATE_KINDS:
                lines.append(f"原案件复函文件：outbox/{Path(name).name}")
    lines.append("如确需再次办理，请联系工作人员。")
    return mask_ids_in("\n".join(lines) + "\n")
