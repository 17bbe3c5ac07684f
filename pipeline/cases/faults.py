"""Passing faults versus permanent ones.

A full disk, a locked SQLite database, a file still held by its writer or a
dropped database connection go away by themselves: retry with backoff. Anything
else is permanent for that one letter: it fails, the service goes on.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger("pipeline.cases.faults")

T = TypeVar("T")

PASSING_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EAGAIN,
    errno.EBUSY,
    errno.ETXTBSY,
    errno.EINTR,
    errno.EIO,  # network shares report transient failures this way
    errno.ESTALE,
    errno.ETIMEDOUT,
    errno.EROFS,  # a share remounted read-only for a while (the outbox, the archive)
}


class PassingFault(Exception):
    """Raised to say: this went wrong for a while; try the letter again later."""


def is_passing(exc: BaseException) -> bool:
    """Will this fault probably go away if we wait?"""
    if isinstance(exc, PassingFault):
        return True
    if isinstance(exc, PermissionError):  # Windows/SMB: file still open in the writer
        return True
    if isinstance(exc, OSError) and exc.errno in PASSING_ERRNOS:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        return any(
            k in text for k in ("locked", "busy", "connection", "timeout", "server closed", "terminat")
        )
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def with_retries(
    step: Callable[[], T],
    what: str,
    *,
    delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0),
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `step`; on a passing fault wait and try again; after the last delay re-raise it."""
    for delay in (*delays, None):
        try:
            return step()
        except Exception as exc:
            if delay is None or not is_passing(exc):
                raise
            log.warning("passing fault in %s, retrying in %.1fs: %s", what, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
