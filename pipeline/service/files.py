"""Which inbox files are letters, and when a letter file is complete.

Scanners and copy tools write a file in several steps, and Office/WPS leave
lock and temp files beside the letters; taking either too early is the most
common complaint about watched folders. A file is taken only when it is not
ignored, has kept the same size and mtime for `stable_seconds` of our own
observation, and can be opened for reading.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


def iter_letters(root: Path) -> Iterator[Path]:
    """Every candidate letter file below root (subfolders included), ignored ones left out."""
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = base / name
            if not is_ignored(path, root):
                yield path


def openable(path: Path) -> bool:
    """Can we open and read the file now? (Fails while a writer holds a share lock.)"""
    try:
        with open(path, "rb") as fh:
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
            st = path.stat()
        except OSError:
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
    """Content hash used for duplicate detection and archive verification."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
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
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
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
