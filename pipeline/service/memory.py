"""Keep the service's resident memory near what it really uses (issue 4: under 200 MB).

Worker threads allocate through glibc's per-thread malloc arenas; after a letter
the freed memory stays in those arenas (measured ~35 MB over two workers) until
malloc_trim hands it back. Trimming after each letter costs about a millisecond.
Capping the arenas (MALLOC_ARENA_MAX=2, mallopt) measured no difference once
trimming is done, so it is not set here. Outside glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where it does not exist (musl, macOS, Windows)."""
    global _trim, _looked
    if not _looked:
        _looked = True
        if sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
                fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
                _trim = fn
            except (OSError, AttributeError):
                _trim = None
    return _trim


def release_free_memory() -> bool:
    """Return freed heap pages of every malloc arena to the system; call after each letter.

    True when glibc released something."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
