"""Untrusted files are read in a child process under memory and time limits, never in the service.

A decompression bomb, a parser's native fault or a runaway page must cost a
child, not the watcher: `read_document + extract` run in worker processes
(spawned, so they share no threads or connections with the service) whose
address space is capped with `resource.setrlimit`, and each letter has a
wall-clock budget. The OCR engine loads in the workers too, so the watcher
itself stays small after scans. A worker that dies takes the letters it was
reading with it: each is tried once more in a fresh worker, and only the one
that kills it again is failed, with a Chinese reason.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pipeline.domain.letter import Letter
from pipeline.errors import LettersError, ReaderFailed
from pipeline.reading.legacy import cache_root

log = logging.getLogger("pipeline.cases.isolation")

READER_DIED = (
    "读取该文件时读取进程异常退出（可能超出内存限制或读取组件出错），文件可能已损坏或含有恶意内容；"
    "请向来函单位索取正常的文件。"
)
READER_TIMED_OUT = "读取该文件超过{seconds:.0f}秒仍未完成，已停止读取；文件可能已损坏或过于复杂，请向来函单位索取正常的文件。"
READER_OUT_OF_MEMORY = (
    "读取该文件所需内存超出限制，已停止读取；文件可能已损坏或含有恶意内容，请向来函单位索取正常的文件。"
)


PARENT_CHECK_SECONDS = 1.0


def _limit(memory_bytes: int, workers: int, parent: int, convert_cache: Path | None = None) -> None:
    """In the worker, before anything is read: its address space capped; low priority beside the
    service; OCR sharing the cores with the other workers instead of each taking them all; and
    gone when the service is (see _exit_with_parent)."""
    import resource

    from pipeline.reading.legacy import use_cache_folder
    from pipeline.reading.ocr.engine import share_cores

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    os.nice(5)
    share_cores(workers)
    use_cache_folder(convert_cache)  # the service's setting, not the default
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose service was killed (kill -9, an out-of-memory kill) never hears of it: it
    holds both ends of its own task queue, so it would wait for work forever, holding its memory.
    It watches its parent instead and leaves when the parent is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(3)


def _read(path: str, today: str) -> Letter:
    """What a worker runs; a MemoryError comes back to the service as it is (see IsolatedReader)."""
    from pipeline.extraction import extract
    from pipeline.reading import read_document

    return extract(read_document(Path(path)), today=dt.date.fromisoformat(today))


class IsolatedReader:
    """read + extract of one file, in a pool of limited child processes (created on first use)."""

    def __init__(
        self,
        *,
        workers: int,
        memory_mb: int,
        seconds: float,
        target: Callable[[str, str], Letter] | None = None,
    ) -> None:
        self.target = target or _read  # what the child runs (tests name a module-level stand-in)
        self.workers = max(1, workers)
        self.memory = memory_mb * 1024 * 1024
        self.seconds = seconds
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_limit, initargs=(self.memory, self.workers, os.getpid(), cache_root()),
                )  # fmt: skip
            return self._pool

    def _discard(self, pool: cf.ProcessPoolExecutor) -> None:
        """Kill a pool's workers (one is stuck, or one died) and let the next read start a fresh one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError, AttributeError):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def __call__(self, path: Path, today: dt.date) -> Letter:
        for attempt in (1, 2):
            pool = self._executor()
            future = pool.submit(self.target, str(path), today.isoformat())
            try:
                return future.result(timeout=self.seconds)
            except cf.TimeoutError:
                log.error("%s: reading took over %.0f s; the reader is stopped", path.name, self.seconds)
                self._discard(pool)
                raise ReaderFailed(
                    f"{path.name}: reading timed out", READER_TIMED_OUT.format(seconds=self.seconds)
                ) from None
            except BrokenProcessPool:
                self._discard(pool)
                if attempt == 1:
                    log.warning("%s: a reader process died; reading it once more in a fresh one", path.name)
                    continue  # it may have been another letter that killed the worker
                log.error("%s: the reader process died reading it twice", path.name)
                raise ReaderFailed(f"{path.name}: the reader process died", READER_DIED) from None
            except MemoryError:
                log.error("%s: the reader ran out of its memory limit", path.name)
                self._discard(pool)  # a child that hit its limit is not trusted with the next letter
                raise ReaderFailed(
                    f"{path.name}: out of memory in the reader", READER_OUT_OF_MEMORY
                ) from None
            except LettersError:
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
