"""Heavy console requests take turns, so the console never starves the watcher beside it.

`letters watch --web` (what `make run` starts) serves the console from threads of the watcher's
own process: one process is one thing to start, stop and supervise, and its letters are read in
child processes anyway. What can still starve the watcher is the console doing CPU-bound work
in several request threads at once (drawing page images, checking a 5,000-row roster, rendering
a preview or a report): under one interpreter lock those threads took the service's time and
made the sign-in page wait 72 s. So such requests run one at a time; a request that waits past
WAIT_SECONDS for its turn is answered 503 with a Chinese message instead of queueing forever.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pipeline.errors import LettersError

log = logging.getLogger("pipeline.web.heavy")

WAIT_SECONDS = 30.0
_turn = threading.BoundedSemaphore(1)
F = TypeVar("F", bound=Callable[..., Any])


class ConsoleBusy(LettersError):
    default_zh = "系统正忙（其他人员正在生成页面或复函），请稍后再试。"


def heavy(view: F) -> F:
    """Run `view` when no other heavy request is running (waiting up to WAIT_SECONDS)."""

    @functools.wraps(view)
    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        if not _turn.acquire(timeout=WAIT_SECONDS):
            log.warning("%s waited %.0f s for its turn; refused", view.__name__, WAIT_SECONDS)
            raise ConsoleBusy(f"{view.__name__}: no turn within {WAIT_SECONDS:.0f} s")
        try:
            return view(*args, **kwargs)
        finally:
            _turn.release()

    return one_at_a_time  # type: ignore[return-value]
