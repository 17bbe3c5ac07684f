"""Start the watched-inbox service and run it until Ctrl-C or SIGTERM.

Wires the pieces together in one place: database (migrated), this run's
instance row, the case core and its inbox intake, the watcher, recovery at start and at every
rescan, and heartbeats. Stopping lets each worker finish its letter.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.cases.core import CaseCore
from pipeline.cases.deadlines import keep_current, recount_due_dates
from pipeline.cases.handling import Processor, make_processor
from pipeline.cases.instances import HEARTBEAT_SECONDS, heartbeat, recover, register_instance, stop_instance
from pipeline.cases.numbering import check_numbers
from pipeline.inbox.intake import InboxIntake
from pipeline.inbox.lists import ListWatcher
from pipeline.inbox.memory import freeze_start_up, release_after_letter
from pipeline.inbox.watcher import InboxWatcher, Job
from pipeline.records.catalog import layers_in_force
from pipeline.records.store import RecordStores
from pipeline.settings import Settings
from pipeline.storage import Database, open_database
from pipeline.storage import case_models as _models  # noqa: F401  (registers the service tables)
from pipeline.storage.database import sqlite_path

log = logging.getLogger("pipeline.inbox.run")


def default_processor(settings: Settings, db: Database) -> Processor:
    """The real read → extract → check → reply step (pipeline.cases.handling)."""
    return make_processor(settings, db.sessions, dt.datetime.now)


class Service:
    """One running `letters watch`: start(), then stop() from any thread."""

    def __init__(
        self,
        settings: Settings,
        *,
        processor_factory: Callable[[Settings, Database], Processor] | None = None,
        poll: bool | None = None,
    ) -> None:
        self.settings = settings
        self.poll = settings.poll if poll is None else poll
        self.db = open_database(settings)
        self.db_file = sqlite_path(settings.db_url)
        self.db_identity = _identity(self.db_file)
        self.db_lost: str | None = None  # why the service stopped taking letters (Chinese)
        proc = (processor_factory or default_processor)(settings, self.db)
        self.processor = proc
        inbox = settings.path(settings.inbox)
        self.instance = register_instance(self.db, mode="polling" if self.poll else "events", inbox=inbox)
        self.cases = CaseCore(settings, self.db, proc, instance_id=self.instance)
        self.intake = InboxIntake(self.cases)
        self._last_beat = 0.0
        self.lists = ListWatcher(settings, self.db, interval=max(1.0, min(5.0, settings.poll_seconds)))
        self.watcher = InboxWatcher(
            inbox,
            self._handle,
            workers=settings.workers,
            stable_seconds=settings.stable_seconds,
            poll=self.poll,
            poll_seconds=settings.poll_seconds,
            rescan_seconds=settings.rescan_seconds,
            extra_jobs=self._periodic,
            on_tick=self._beat,
        )

    def _periodic(self) -> list[int]:
        """At start and each rescan: open due dates after a holiday change, then cases to resume."""
        try:
            keep_current(self.db, self.cases.calendar, self.settings.holidays_path())
        except Exception as exc:  # a broken holiday file: the old arrangement stays, the letters go on
            log.warning("holiday file not re-read: %s", exc)
        return recover(self.db, self.instance, self.cases.active)

    def _handle(self, job: Job) -> None:
        """One letter, then its garbage collected and freed pages returned (pipeline.inbox.memory)."""
        if self.db_lost is not None:
            return  # the letter stays where it is: a later, healthy start takes it
        try:
            self.intake.handle(job)
        finally:
            release_after_letter()

    def _beat(self) -> None:
        self._check_database_file()
        if self.db_lost is not None:
            return
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            heartbeat(self.db, self.instance)

    def _check_database_file(self) -> None:
        """`rm data/letters.db*` under a running service: SQLite keeps writing to the deleted file,
        so replies would be numbered and recorded nowhere. Notice it and stop taking letters."""
        if self.db_file is None or self.db_lost is not None:
            return
        now = _identity(self.db_file)
        if now == self.db_identity:
            return
        what = "已被删除" if now is None else "已被替换"
        self.db_lost = (
            f"数据库文件 {self.db_file} {what}，服务已停止接收来函；请管理员恢复数据库后重新启动服务。"
        )
        log.error(
            "database file %s %s under the running service: no more letters taken",
            self.db_file,
            "deleted" if now is None else "replaced",
        )
        print(self.db_lost, file=sys.stderr, flush=True)

    def start(self) -> None:
        check_numbers(self.db, self.settings)  # a lost or restored database must not issue a 文号 twice
        recount_due_dates(self.db, self.cases.calendar)  # holidays edited while the service was down
        freeze_start_up()  # imports, fonts, template: kept out of the per-letter collections
        warm_lists(self.db)
        self.watcher.start()
        self.lists.start()

    def stop(self) -> None:
        self.lists.stop()
        self.watcher.stop()
        close = getattr(self.processor, "close", None)
        if close is not None:
            close()  # the reading child processes
        try:
            stop_instance(self.db, self.instance)
        finally:
            self.db.dispose()


def warm_lists(db: Database) -> threading.Thread:
    """Read the list stores in force once, on a background thread, so the first check after a
    restart finds them in the page cache (start-up does not wait for it)."""

    def run() -> None:
        try:
            with db.sessions() as session:
                ids = layers_in_force(session)
            started = time.monotonic()
            done = RecordStores(db.engine).warm(ids)
            if done:
                log.info("read %d list stores (%.0f MB) ahead of the first check in %.1f s",
                         len(ids), done / 1e6, time.monotonic() - started)  # fmt: skip
        except Exception:  # only a head start: a check reads the stores anyway
            log.warning("reading the list stores ahead failed", exc_info=True)

    thread = threading.Thread(target=run, name="list-warm-up", daemon=True)
    thread.start()
    return thread


def _identity(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def run_forever(service: Service, *, on_ready: Callable[[], None] | None = None) -> int:
    """Run until SIGINT/SIGTERM; returns the exit code."""
    stop = threading.Event()

    def _signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: stop now; every step is recorded, the next start resumes
            log.warning("signal %s again: stopping at once", signum)
            print("立即停止：未办完的来函将在下次启动时继续办理。", file=sys.stderr, flush=True)
            os._exit(130)
        log.info("signal %s: stopping after the letters in hand", signum)
        print("正在停止：等待手头的来函办完（再按一次 Ctrl-C 立即停止）……", file=sys.stderr, flush=True)
        stop.set()

    old = {sig: signal.signal(sig, _signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        service.start()
        if on_ready is not None:
            on_ready()
        while not stop.wait(1.0):
            if service.db_lost is not None:
                return 1
    finally:
        service.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return 0
