"""Watch the inbox and hand each complete letter file to a worker, once.

Three sources feed one set of candidates: file events (inotify, or a polling
observer on SMB/NFS shares where events never arrive), a pickup of whatever
is in the inbox at start, and a periodic full rescan for anything missed. A
settler thread takes a candidate only once it is stable (files.py) and not
already in flight; a bounded queue feeds N worker threads, so one slow
letter never holds up the rest.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from pipeline.cases.faults import PassingFault
from pipeline.files import Entry, entry_kind
from pipeline.inbox.files import StabilityTracker, is_ignored, iter_letters

log = logging.getLogger("pipeline.inbox.watcher")

Job = Path | int  # a file in the inbox, or a case id to resume from the database


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            if event.event_type in ("created", "moved"):
                self.watcher.rescan_soon()  # a folder moved in brings files no event told us about
            return
        for raw in (getattr(event, "dest_path", ""), event.src_path):
            if raw:
                self.watcher.offer(Path(raw if isinstance(raw, str) else raw.decode()))


class InboxWatcher:
    """Finds complete letter files and runs `handle` on each in a worker thread.

    `handle(job)` must not raise for a bad file (it is caught and logged
    anyway). `extra_jobs()` is called at start and at each rescan and returns
    case ids to resume (crash recovery, retries after passing faults).
    """

    def __init__(
        self,
        inbox: Path,
        handle: Callable[[Job], None],
        *,
        workers: int = 2,
        stable_seconds: float = 2.0,
        poll: bool = False,
        poll_seconds: float = 2.0,
        rescan_seconds: float = 60.0,
        extra_jobs: Callable[[], list[int]] | None = None,
        queue_size: int | None = None,
        on_tick: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inbox = inbox
        self.handle = handle
        self.workers = max(1, workers)
        self.poll = poll
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.extra_jobs = extra_jobs
        self.on_tick = on_tick
        self.tracker = StabilityTracker(stable_seconds, clock)  # quietness by `clock` (tests drive it)
        self.queue: queue.Queue[Job | None] = queue.Queue(maxsize=queue_size or self.workers * 2)
        self._candidates: set[Path] = set()
        self._in_flight: set[Job] = set()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._rescan_due = True
        self._dirty = False  # a candidate arrived since the settler last looked
        self._threads: list[threading.Thread] = []
        self._backoff: dict[Path, tuple[float, float]] = {}  # path -> (not before, last delay)
        self._skipped: set[Path] = set()  # FIFOs, sockets, devices already reported
        self._observer: Observer | PollingObserver | None = None
        self.busy = 0

    # -- feeding ------------------------------------------------------------

    def offer(self, path: Path) -> None:
        """A file may have appeared or changed: consider it (cheap, called from event threads)."""
        if path.name.endswith(".原因.txt") or is_ignored(path, self.inbox):
            return
        try:
            path.relative_to(self.inbox)
        except ValueError:
            return
        with self._wake:
            self._candidates.add(path)
            self._dirty = True
            self._wake.notify()

    def rescan_soon(self) -> None:
        with self._wake:
            self._rescan_due = True
            self._wake.notify()

    def _rescan(self) -> None:
        found = 0
        try:
            for path in iter_letters(self.inbox):
                self.offer(path)
                found += 1
        except OSError as exc:  # a share that went away: keep going, try again later
            log.warning("inbox rescan failed: %s", exc)
        if self.extra_jobs is not None:
            try:
                for case_id in self.extra_jobs():
                    self._enqueue(case_id)
            except Exception:
                log.exception("looking for cases to resume failed")
        log.debug("rescan found %d files", found)

    def _enqueue(self, job: Job) -> bool:
        """Put a job on the queue unless it is already in flight; False when the queue is full."""
        with self._lock:
            if job in self._in_flight:
                return True
            self._in_flight.add(job)
        try:
            self.queue.put(job, timeout=0.2)
            return True
        except queue.Full:
            with self._lock:
                self._in_flight.discard(job)
            return False

    # -- threads ------------------------------------------------------------

    def _settle_loop(self) -> None:
        next_rescan = time.monotonic()
        while not self._stop.is_set():
            with self._wake:
                if self._rescan_due:
                    self._rescan_due = False
                    next_rescan = 0.0
                self._dirty = False
                candidates = list(self._candidates)
            now = time.monotonic()
            if now >= next_rescan:
                self._rescan()
                next_rescan = now + self.rescan_seconds
                with self._lock:
                    candidates = list(self._candidates)
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:
                    log.exception("periodic task failed")
            wait = max(0.05, next_rescan - time.monotonic())
            for path in candidates:
                if self._stop.is_set():
                    return
                with self._lock:
                    if path in self._in_flight:
                        self._candidates.discard(path)
                        continue
                    not_before = self._backoff.get(path, (0.0, 0.0))[0]
                if not_before > time.monotonic():
                    wait = min(wait, not_before - time.monotonic() + 0.01)
                    continue
                kind = entry_kind(path)  # lstat: a link is looked at, never through
                if kind in (Entry.MISSING, Entry.DIR, Entry.SPECIAL):
                    if kind is Entry.SPECIAL and path not in self._skipped:
                        self._skipped.add(path)  # a FIFO, socket or device: never opened, said once
                        log.warning(
                            "inbox entry %s is not a regular file (FIFO, socket or device): skipped",
                            path.name,
                        )
                    self.tracker.forget(path)
                    with self._lock:
                        self._candidates.discard(path)
                    continue
                if kind is Entry.LINK or self.tracker.observe(path):  # links go straight to be refused
                    if self._enqueue(path):
                        self.tracker.forget(path)
                        with self._lock:
                            self._candidates.discard(path)
                    else:
                        wait = min(wait, 0.2)
                else:
                    wait = min(wait, max(0.05, self.tracker.wait_left(path) + 0.01))
            with self._wake:
                busy = self._dirty or self._rescan_due  # something arrived while we were looking
                if not busy:
                    if not self._candidates:
                        wait = max(0.05, next_rescan - time.monotonic())
                    if not self._stop.is_set():
                        self._wake.wait(timeout=min(wait, 5.0))
            if busy:
                self._stop.wait(0.02)  # look again soon, but never spin on a stream of events

    def _work_loop(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            with self._lock:
                self.busy += 1
            try:
                self.handle(job)
            except PassingFault as exc:  # looked at again later, each time later (below)
                log.info("%s: %s", job if isinstance(job, int) else job.name, exc)
            except Exception:  # one bad letter never stops the service
                log.exception("unexpected failure handling %s", job if isinstance(job, int) else job.name)
            finally:
                with self._lock:
                    self.busy -= 1
                    self._in_flight.discard(job)
                    if isinstance(job, Path):
                        self.tracker.forget(job)
                        # Left behind (a passing fault): look again, later each time.
                        if entry_kind(job) is Entry.FILE:
                            delay = min(600.0, max(2.0, self._backoff.get(job, (0.0, 1.0))[1] * 2))
                            self._backoff[job] = (time.monotonic() + delay, delay)
                            self._candidates.add(job)
                        else:
                            self._backoff.pop(job, None)

    # -- life ---------------------------------------------------------------

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        for n in range(self.workers):
            t = threading.Thread(target=self._work_loop, name=f"letters-worker-{n + 1}", daemon=True)
            t.start()
            self._threads.append(t)
        observer = PollingObserver(timeout=self.poll_seconds) if self.poll else Observer()
        observer.schedule(_Events(self), str(self.inbox), recursive=True)
        observer.start()
        self._observer = observer
        settler = threading.Thread(target=self._settle_loop, name="letters-settler", daemon=True)
        settler.start()
        self._settler = settler
        log.info(
            "watching %s (%s, %d workers)", self.inbox, "polling" if self.poll else "events", self.workers
        )

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking files; let each worker finish the letter in hand, then return."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._observer is not None:
            self._observer.stop()
        # Drop what is queued but not started: those files are still in the inbox
        # (or their cases still 'received') and are picked up at the next start.
        try:
            while True:
                job = self.queue.get_nowait()
                if job is not None:
                    with self._lock:
                        self._in_flight.discard(job)
        except queue.Empty:
            pass
        for _ in self._threads:
            self.queue.put(None)
        for t in self._threads:
            t.join(timeout)
        if self._observer is not None:
            self._observer.join(timeout)
        if getattr(self, "_settler", None) is not None:
            self._settler.join(timeout)
        log.info("watcher stopped")

    def idle(self) -> bool:
        """Nothing queued, nothing in hand, nothing waiting to settle (for tests and the bench)."""
        with self._lock:
            return not self._in_flight and not self._candidates and self.queue.empty()
