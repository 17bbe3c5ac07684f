"""Publishing a case's staged outputs: each claims its final name on disk at publish time.

A staged output lives at staging/<case>/<kind>/<name>. Publishing it takes
the first free name of name, name(2), … by creating it exclusively — a hard
link of the staged file, or, where the outbox cannot hold links (another
file system, some shares), an O_EXCL placeholder filled afterwards — so two
workers whose replies share a stem (a .docx and a .pdf of one letter) each
get their own name and neither overwrites the other. The name is recorded
before the staged file goes, so a resumed publish finds its own claim (the
same inode, or the recorded name) and never publishes twice.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

from pipeline.files import fsync_dir, name_candidates, safe_copy, sha256_file

log = logging.getLogger("pipeline.cases.publisher")

# errnos that say "no hard links here" rather than "something is wrong"
_NO_LINKS = {errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}


def stage(outputs: dict[str, Path], staging: Path) -> dict[str, Path]:
    """Move each output into staging/<kind>/ under its own name (the layout publishing expects)."""
    placed = {}
    for kind, path in outputs.items():
        folder = staging / kind
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = folder / path.name
        if path != target and not (target.exists() and not path.exists()):  # a retry: moved already
            os.replace(path, target)
        placed[kind] = target
    return placed


def staged_file(staging: Path, kind: str) -> Path | None:
    """The one staged output of `kind`, or None once it has been published (or never was)."""
    try:
        names = [p for p in (staging / kind).iterdir() if not p.name.startswith(".")]
    except FileNotFoundError:
        return None
    return names[0] if names else None


def _ours(staged: Path, candidate: Path) -> bool:
    try:
        return os.path.samefile(staged, candidate) or sha256_file(candidate) == sha256_file(staged)
    except FileNotFoundError:
        return False


def claim(staged: Path, folder: Path, mode: int) -> tuple[Path, bool]:
    """The first free name for `staged` in `folder`, taken exclusively; (path, filled) where
    `filled` is False for a placeholder that still needs the content. The caller syncs `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(staged, mode)  # a link shares the inode: the published file gets this mode
    links = True
    for candidate in name_candidates(folder, staged.name):
        if links:
            try:
                os.link(staged, candidate)
                return candidate, True
            except FileExistsError:
                if _ours(staged, candidate):
                    return candidate, True  # our own claim, made before a crash
                continue
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                links = False
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
        except FileExistsError:
            if _ours(staged, candidate):
                return candidate, True
            continue
        os.close(fd)
        return candidate, False
    raise AssertionError("unreachable")  # pragma: no cover


def publish(
    staging: Path,
    places: dict[str, tuple[Path, int]],
    claimed: dict[str, str],
    record: Callable[[dict[str, str]], None],
) -> dict[str, str]:
    """Publish every staged output; returns kind -> final name.

    `places`: kind -> (folder, file mode). `claimed`: names recorded before (a
    resumed publish). `record` stores newly claimed names durably, in one go,
    before any staged file is removed.
    """
    names = dict(claimed)
    todo: list[tuple[Path, Path, bool, int]] = []  # (staged, target, filled, mode)
    new: dict[str, str] = {}
    for kind, (folder, mode) in places.items():
        staged = staged_file(staging, kind)
        if staged is None:
            if kind not in claimed:
                log.error("a %s output is neither staged nor published", kind)
            elif not (folder / claimed[kind]).exists():
                log.error("published %s %s is gone from %s", kind, claimed[kind], folder)
            continue
        if kind in claimed:
            target = folder / claimed[kind]
            todo.append((staged, target, _ours(staged, target), mode))
        else:
            target, filled = claim(staged, folder, mode)
            todo.append((staged, target, filled, mode))
            new[kind] = names[kind] = target.name
    for folder in {target.parent for _, target, _, _ in todo}:
        fsync_dir(folder)  # the claims are on disk before they are recorded
    if new:
        record(new)
    for staged, target, filled, mode in todo:
        if not filled:  # ours by the record: a placeholder, a partial copy or a lost file becomes whole
            safe_copy(staged, target, sha256_file(staged), mode=mode)
        staged.unlink()  # lost in a crash, it is found again as ours and removed then
    return names
