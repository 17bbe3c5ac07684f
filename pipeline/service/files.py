"""Which inbox files are letters, and when a letter file is complete.

Scanners and copy tools write a file in several steps, and Office/WPS leave
lock and temp files beside the letters; taking either too early is the most
common complaint about watched folders. A file is taken only when it is not
ignored, has kept the same size and mtime for `stable_seconds` of our own
observation, and can be opened for reading.

Only regular files are ever read. Anyone who can write to the shared inbox
can also put a symlink there (to /etc/shadow, to the database) or a FIFO,
which blocks a plain open() for ever. So inbox entries are classified with
lstat, opened with O_NOFOLLOW | O_NONBLOCK, and checked again with fstat on
the open descriptor (the entry may be swapped between the two).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import BinaryIO

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


class Entry(Enum):
    """What an inbox entry is, by lstat (links are never followed)."""

    FILE = "file"
    LINK = "link"
    DIR = "dir"
    SPECIAL = "special"  # FIFO, socket, device
    MISSING = "missing"


def entry_kind(path: Path) -> Entry:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return Entry.MISSING
    if stat.S_ISREG(mode):
        return Entry.FILE
    if stat.S_ISLNK(mode):
        return Entry.LINK
    if stat.S_ISDIR(mode):
        return Entry.DIR
    return Entry.SPECIAL


class NotRegularFile(OSError):
    """A symlink, FIFO, socket or device where a regular file was expected."""


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without following a symlink or blocking on a FIFO."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "is a symbolic link", str(path)) from exc
        raise
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


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


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Content hash used for duplicate detection and archive verification (regular files only)."""
    with open_regular(path) as fh:
        return sha256_stream(fh, chunk)


def sha256_stream(fh: BinaryIO, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    while block := fh.read(chunk):
        digest.update(block)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or create inside `path` durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def safe_copy(src: Path, dest: Path, expected_sha256: str | None = None, mode: int = 0o600) -> str:
    """Copy via a temporary file, fsync, rename, and check the hash; returns the copy's hash.

    Raises OSError on any I/O fault and ValueError when the copy's hash differs.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        fin = open_regular(src)
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
        with fin, os.fdopen(fd, "wb") as fout:
            while block := fin.read(1 << 20):
                digest.update(block)
                fout.write(block)
            fout.flush()
            os.fsync(fout.fileno())
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise ValueError(f"hash mismatch copying {src.name}")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(dest.parent)
    copied = sha256_file(dest)
    if expected_sha256 is not None and copied != expected_sha256:
        raise ValueError(f"hash mismatch after copy of {src.name}")
    return copied


def unique_path(folder: Path, name: str) -> Path:
    """folder/name, or folder/stem(2).ext … when taken — never overwrite."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}({n}){suffix}"
        n += 1
    return candidate


def write_note(path: Path, text: str) -> None:
    """A small Chinese note beside a failed or duplicate file, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def sweep_partials(
    folder: Path, *, recursive: bool = False, alive: Callable[[int], bool] | None = None
) -> int:
    """Remove `.<name>.<pid>.part` files left by a writer that died (kill -9 during a copy).

    Only files whose writer process is gone are removed; returns how many.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.rglob(".*.part") if recursive else folder.glob(".*.part"):
        pid_text = path.name[: -len(".part")].rsplit(".", 1)[-1]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or (alive is not None and alive(pid)):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed
