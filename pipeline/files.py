"""Safe file operations: regular files only, written whole or not at all, never overwriting.

Anyone who can write to a shared folder can put a symlink there (to
/etc/shadow, to the database) or a FIFO, which blocks a plain open() for
ever. So entries are classified with lstat, opened with O_NOFOLLOW |
O_NONBLOCK, and checked again with fstat on the open descriptor (the entry
may be swapped between the two). Copies and notes go through a temporary
file, fsync and a rename, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import itertools
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import BinaryIO


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


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Content hash used for duplicate detection and archive verification (regular files only)."""
    with open_regular(path) as fh:
        return sha256_stream(fh, chunk)


def holds_bytes(path: Path, sha256: str) -> bool:
    """Is `path` still a regular file with exactly these bytes? False when gone or swapped for a link."""
    try:
        return entry_kind(path) is Entry.FILE and sha256_file(path) == sha256
    except (FileNotFoundError, NotRegularFile):
        return False


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


def name_candidates(folder: Path, name: str) -> Iterator[Path]:
    """folder/name, folder/stem(2).ext, folder/stem(3).ext … without end."""
    yield folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in itertools.count(2):
        yield folder / f"{stem}({n}){suffix}"


def unique_path(folder: Path, name: str) -> Path:
    """The first of name_candidates that is free now. Only for files a single writer names (notes,
    parked copies); a reply's name is claimed by pipeline.cases.publisher, never looked up."""
    return next(c for c in name_candidates(folder, name) if not c.exists())


def write_note(path: Path, text: str) -> None:
    """A small Chinese note beside a failed or duplicate file, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:  # a name's stray bytes become U+FFFD
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


# Names this project creates stay this short in UTF-8 bytes, so a "(2)", a ".原因.txt" note
# or a ".<name>.<pid>.part" temporary beside them still fits the 255-byte limit of a name.
MAX_NAME_BYTES = 180


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def shorten(text: str, max_bytes: int, *, keep_end: bool = False) -> str:
    """`text` within `max_bytes` UTF-8 bytes, cut at a character; "…" marks the cut, at the end
    (or, with `keep_end`, at the front: what tells two 文号 apart is their end)."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - _utf8_len("…"))
    if keep_end:
        return "…" + data[len(data) - room :].decode("utf-8", "ignore")
    return data[:room].decode("utf-8", "ignore") + "…"


def fit_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """`name` shortened (stem cut at a character, "…" marking the cut, suffix kept) to `limit` bytes."""
    if _utf8_len(name) <= limit:
        return name
    suffix = Path(name).suffix
    if _utf8_len(suffix) > 16:
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    return shorten(stem, limit - _utf8_len(suffix)) + suffix


def readable_name(raw: bytes) -> str:
    """A file name's bytes as text: UTF-8, else GB18030 (Chinese Windows shares), else with U+FFFD."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def with_utf8_names(path: Path, root: Path) -> Path:
    """Rename the parts of `path` below `root` whose names are not UTF-8 (a GBK name copied onto a
    UTF-8 share) to what they say, so the case, notes and logs can name them. Never overwrites."""
    current = root
    for part in path.relative_to(root).parts:
        candidate = current / part
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            target = unique_path(current, readable_name(os.fsencode(part)).replace("/", "_"))
            os.rename(candidate, target)
            candidate = target
        current = candidate
    return current


def write_zip(path: Path, members: list[tuple[str, bytes, float]]) -> None:
    """(name, bytes, mtime) members, stored uncompressed in this order, dated by their mtimes: the same
    members give the same bytes. Private (0600): it holds the letters' people."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data, mtime in members:
            stamp = dt.datetime.fromtimestamp(mtime)
            info = zipfile.ZipInfo(name, date_time=(max(stamp.year, 1980), *stamp.timetuple()[1:6]))
            info.flag_bits |= 0x800  # the name is UTF-8
            info.external_attr = 0o600 << 16
            zf.writestr(info, data)
    os.chmod(path, 0o600)
