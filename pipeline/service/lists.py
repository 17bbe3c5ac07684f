"""The optional `lists/` drop folder: an administrator drops a new list export, the service imports it.

A complete file (same stability rule as letters) named after its list
(`失信被执行人_20261128.csv` → list 失信被执行人) is imported as that list's new
snapshot, then moved to `lists/已导入/`; a file that cannot be imported goes to
`lists/导入失败/` with a Chinese `.原因.txt` note, and the old snapshot stays in force.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading

from pipeline.errors import LettersError
from pipeline.service.files import StabilityTracker, is_ignored, unique_path, write_note
from pipeline.settings import Settings
from pipeline.storage import Database

log = logging.getLogger("pipeline.service.lists")

LIST_SUFFIXES = (".csv", ".xlsx", ".txt")
DONE = "已导入"
FAILED = "导入失败"


def import_waiting_lists(settings: Settings, db: Database, tracker: StabilityTracker) -> list[str]:
    """Import every complete list file now in the drop folder; returns the list names imported."""
    from pipeline.records import default_list_name, import_list

    folder = settings.path(settings.lists_dir)
    if not folder.is_dir():
        return []
    imported = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or is_ignored(path, folder) or path.suffix.lower() not in LIST_SUFFIXES:
            continue
        if not tracker.observe(path):
            continue
        tracker.forget(path)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            result = import_list(db.sessions, path, settings, list_name=default_list_name(path))
        except LettersError as exc:
            log.warning("list file %s not imported: %s", path.name, exc)
            dest = unique_path(folder / FAILED, f"{stamp}-{path.name}")
            dest.parent.mkdir(exist_ok=True)
            os.replace(path, dest)
            write_note(
                dest.with_name(dest.name + ".原因.txt"),
                f"名单文件：{path.name}\n未能导入：{exc.message_zh}\n原有名单继续有效。\n",
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
