"""Keep the service's resident memory near what it really uses (issue 4: under 200 MB).

A letter leaves reference cycles behind (pdfplumber pages, python-docx and
reportlab objects); they outlive the young generations while the letter is in
work and then wait for a rare full collection, so with two workers garbage of
many letters piled up (RSS swinging 145-205 MB). Collecting after each letter
stops that, and freezing what start-up created (imports, fonts, the template
check) keeps those collections to the few objects made since: without the
freeze they made 100 letters take 22 s instead of 15 s; with it, no slower than before.

Worker threads allocate through glibc's per-thread malloc arenas; freed memory
stays there until malloc_trim hands it back (about a millisecond a letter).
Capping the arenas (MALLOC_ARENA_MAX=2, mallopt) measured no difference on top,
so it is not set here. Outside glibc the trim does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


def freeze_start_up() -> None:
    """Move everything alive after start-up out of the collector's reach; call once, before
    the workers start. Those objects live as long as the service anyway."""
    gc.collect()
    gc.freeze()


def release_after_letter() -> None:
    """Collect the letter's reference cycles and hand the freed pages back to the system."""
    gc.collect()
    release_free_memory()
