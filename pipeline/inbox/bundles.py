"""A subfolder of the inbox holding one letter and its attachments: packed into one zip, one case.

Which folders are bundles: those whose files include an attachment (a
spreadsheet, or a document named 名单/附件/花名册 …) beside at most one
letter. A folder of several letters stays several cases, as before.

The zip is built deterministically (members sorted, stored uncompressed,
dated by their own mtimes) in the inbox's hidden `.bundles/` folder, so a
crash between packing and clearing the folder packs the very same bytes again
and the intake finds the same case. Members leave the inbox only after the
case is registered, and only when they still hold the bytes that were packed.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.files import fit_name, fsync_dir, holds_bytes, sha256_file, write_zip
from pipeline.inbox.files import is_ignored
from pipeline.reading.bundle import is_attachment_name
from pipeline.reading.sniff import looks_complete, sniff

HIDDEN = ".bundles"
SHEETS = ("xlsx", "xls", "csv")


@dataclass(frozen=True, slots=True)
class Bundle:
    folder: Path
    members: tuple[Path, ...]  # sorted

    def zip_path(self, inbox: Path) -> Path:
        rel = self.folder.relative_to(inbox).as_posix()
        tag = hashlib.sha256(rel.encode()).hexdigest()[:8]
        return inbox / HIDDEN / tag / f"{fit_name(self.folder.name)}.zip"


def bundle_of(path: Path, inbox: Path) -> Bundle | None:
    """The bundle `path` belongs to, or None when its folder is not one (or it lies in the inbox itself)."""
    folder = path.parent
    if folder == inbox or not folder.is_dir():
        return None
    members: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_file() or is_ignored(entry, inbox):
            continue
        members.append(entry)
    if len(members) < 2:
        return None
    try:
        attachments = [m for m in members if sniff(m) in SHEETS or is_attachment_name(m.name)]
    except OSError:
        return None
    letters = len(members) - len(attachments)
    if not attachments or letters > 1:
        return None
    return Bundle(folder, tuple(members))


def settled(bundle: Bundle, quiet_seconds: float) -> bool:
    """Every member unchanged for `quiet_seconds` and whole (a scanner may still be writing one)."""
    now = time.time()
    try:
        for member in bundle.members:
            st = member.stat()
            if now - max(st.st_mtime, st.st_ctime) < quiet_seconds or not looks_complete(member):
                return False
    except OSError:
        return False
    return True


def pack(bundle: Bundle, inbox: Path) -> tuple[Path, dict[Path, str]]:
    """Write the bundle's zip (same members, same bytes: same zip); returns it and each member's sha256."""
    target = bundle.zip_path(inbox)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shas: dict[Path, str] = {}
    members: list[tuple[str, bytes, float]] = []
    for member in bundle.members:
        data = member.read_bytes()
        shas[member] = hashlib.sha256(data).hexdigest()
        members.append((member.name, data, member.stat().st_mtime))
    part = target.with_name(f"{target.name}.{os.getpid()}.{time.monotonic_ns()}.part")
    write_zip(part, members)
    if target.exists() and sha256_file(target) == sha256_file(part):
        part.unlink()  # packed before (a crash after packing): keep the very file the case registered
    else:
        part.replace(target)
        fsync_dir(target.parent)
    return target, shas


def clear(bundle: Bundle, shas: dict[Path, str]) -> None:
    """Remove the packed members from the inbox (only while they hold the packed bytes), then the folder."""
    for member, sha in shas.items():
        try:
            if holds_bytes(member, sha):
                member.unlink()
        except FileNotFoundError:
            continue
    fsync_dir(bundle.folder)
    try:
        bundle.folder.rmdir()  # only when nothing else was dropped there meanwhile
        fsync_dir(bundle.folder.parent)
    except OSError:
        pass
