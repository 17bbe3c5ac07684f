"""The optional `lists/` drop folder: an administrator drops a new list export, the service imports it.

A complete file (same stability rule as letters) named after its list
(`失信被执行人_20261128.csv` → list 失信被执行人) is imported as that list's new
snapshot, then moved to `lists/已导入/`; a file that cannot be imported goes to
`lists/导入失败/` with a Chinese `.原因.txt` note, and the old snapshot stays in force.
So does a file whose new snapshot is held (records/guard.py): its note says why
and how an administrator puts it in force. Whatever goes wrong with one file,
it is moved out, so it is never retried at every scan.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path

from pipeline.cases.faults import is_passing
from pipeline.errors import INTERNAL_ERROR_ZH, LettersError
from pipeline.files import Entry, entry_kind, unique_path, write_note
from pipeline.inbox.files import StabilityTracker, is_ignored
from pipeline.settings import Settings
from pipeline.storage import Database

log = logging.getLogger("pipeline.inbox.lists")

LIST_SUFFIXES = (".csv", ".xlsx", ".txt")
NOTE = ".原因.txt"
DONE = "已导入"
FAILED = "导入失败"


def import_waiting_lists(settings: Settings, db: Database, tracker: StabilityTracker) -> list[str]:
    """Import every complete list file now in the drop folder; returns the list names imported."""
    from pipeline.records import default_list_name, is_delta_file

    folder = settings.path(settings.lists_dir)
    if not folder.is_dir():
        return []
    imported = []
    for path in sorted(folder.iterdir()):
        if is_ignored(path, folder) or path.suffix.lower() not in LIST_SUFFIXES:
            continue
        kind = entry_kind(path)
        if kind is Entry.LINK:  # never read through a link: its target could be any file on the server
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            note = unique_path(folder / FAILED, f"{stamp}-{path.name}{NOTE}")
            write_note(
                note,
                f"名单文件：{path.name}\n该文件是符号链接（快捷方式），出于安全原因不予读取，已从文件夹移除。\n"
                "请把名单文件本身放入该文件夹。原有名单继续有效。\n",
            )
            path.unlink(missing_ok=True)
            log.warning("list folder entry %s is a symbolic link: refused, link removed", path.name)
            continue
        if kind is not Entry.FILE:
            continue
        if not tracker.observe(path):
            continue
        tracker.forget(path)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        name = default_list_name(path)
        try:
            from pipeline.records import import_list  # Arrow and NumPy load only when a list arrives

            result = import_list(db.sessions, path, settings, list_name=name, delta=is_delta_file(path))
        except LettersError as exc:
            log.warning("list file %s not imported: %s", path.name, exc)
            _park(folder, path, stamp, f"未能导入：{exc.message_zh}")
            continue
        except Exception as exc:
            if is_passing(exc):
                log.warning("list file %s: passing fault, will retry: %s", path.name, exc)
                continue
            log.exception("list file %s: unexpected failure", path.name)
            _park(folder, path, stamp, f"未能导入：{INTERNAL_ERROR_ZH}")
            continue
        if result.held:
            log.warning("list file %s: snapshot %s held for confirmation", path.name, result.snapshot_id)
            dest = _move_to_failed(folder, path, stamp)
            _note(
                dest,
                path,
                "已读取，但新版本未启用（暂缓，待管理员核实）：\n"
                + "".join(f"  - {reason}\n" for reason in result.held)
                + (f"被拒绝或合并的行见：{result.rejected_report}\n" if result.rejected_report else "")
                + "核实该文件无误后，管理员可确认启用："
                f"letters records import '{dest}' --list '{name}' --confirm-shrink --reason 理由 --user 管理员用户名",
            )
            continue
        dest = unique_path(folder / DONE, f"{stamp}-{path.name}")
        dest.parent.mkdir(exist_ok=True)
        os.replace(path, dest)
        imported.append(default_list_name(path))
        log.info(
            "list file %s imported as %s (%s rows)", path.name, default_list_name(path), result.rows_imported
        )
    return imported


def _park(folder: Path, path: Path, stamp: str, why: str) -> None:
    """Move a list file that did not go in force to 导入失败/, with its Chinese note."""
    _note(_move_to_failed(folder, path, stamp), path, why)


def _move_to_failed(folder: Path, path: Path, stamp: str) -> Path:
    dest = unique_path(folder / FAILED, f"{stamp}-{path.name}")
    dest.parent.mkdir(exist_ok=True)
    os.replace(path, dest)
    return dest


def _note(dest: Path, path: Path, why: str) -> None:
    write_note(dest.with_name(dest.name + NOTE), f"名单文件：{path.name}\n{why}\n原有名单继续有效。\n")


class ListWatcher:
    """A small thread that looks at the drop folder every few seconds (imports can take a while)."""

    def __init__(self, settings: Settings, db: Database, interval: float = 5.0) -> None:
        self.settings = settings
        self.db = db
        self.interval = interval
        self.tracker = StabilityTracker(settings.stable_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="letters-lists", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                import_waiting_lists(self.settings, self.db, self.tracker)
            except Exception:
                log.exception("list drop folder failed")

    def start(self) -> None:
        self.settings.path(self.settings.lists_dir).mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
