"""Which inbox files are letters, and when a letter file is complete.

Scanners and copy tools write a file in several steps, and Office/WPS leave
lock and temp files beside the letters; taking either too early is the most
common complaint about watched folders. A file is taken only when it is not
ignored, has kept the same size and mtime for `stable_seconds` of our own
observation, and can be opened for reading.

Only regular files are ever read (pipeline/files.py opens them).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.files import open_regular

__all__ = ["StabilityTracker", "is_ignored", "iter_letters", "openable"]


def iter_letters(root: Path) -> Iterator[Path]:
    """Every candidate entry below root (subfolders included), ignored ones left out.

    Symlinks (to files or folders) are yielded too, never followed, so the
    caller can refuse them; os.walk does not descend into linked folders.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        linked = [d for d in dirnames if (base / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in linked)
        for name in sorted([*filenames, *linked]):
            path = base / name
            if not is_ignored(path, root):
                yield path


def openable(path: Path) -> bool:
    """Can we open and read the regular file now? (Fails while a writer holds a share lock.)"""
    try:
        with open_regular(path) as fh:
            fh.read(1)
        return True
    except OSError:
        return False


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    since: float


class StabilityTracker:
    """Remembers each candidate's size and mtime; says when one has been quiet long enough.

    Quietness is measured by our own clock between observations, never by the
    file's mtime alone: copy tools often preserve the source's old mtime.
    """

    def __init__(self, stable_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stable_seconds = stable_seconds
        self.clock = clock
        self._seen: dict[Path, _Seen] = {}

    def observe(self, path: Path) -> bool:
        """Record the file's current state; True once it is complete and can be taken."""
        now = self.clock()
        try:
            st = os.lstat(path)
        except OSError:
            self._seen.pop(path, None)
            return False
        if not stat.S_ISREG(st.st_mode):
            self._seen.pop(path, None)
            return False
        seen = self._seen.get(path)
        if seen is None or seen.size != st.st_size or seen.mtime_ns != st.st_mtime_ns:
            self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            if self.stable_seconds > 0:
                return False
            seen = self._seen[path]
        if now - seen.since < self.stable_seconds:
            return False
        return openable(path)

    def wait_left(self, path: Path) -> float:
        """Seconds until `path` could be stable (0 when unknown or due)."""
        seen = self._seen.get(path)
        if seen is None:
            return self.stable_seconds
        return max(0.0, self.stable_seconds - (self.clock() - seen.since))

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)


IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")


def is_ignored(path: Path, root: Path | None = None) -> bool:
    """True for lock/temp/system files and anything hidden (at any depth below root)."""
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    for part in parts:
        if part.startswith("."):  # hidden files and folders, .~lock*, .DS_Store
            return True
    name = path.name
    lower = name.lower()
    if name.startswith("~$"):  # Word/Excel owner files
        return True
    return lower in IGNORED_NAMES or lower.endswith(IGNORED_SUFFIXES)
