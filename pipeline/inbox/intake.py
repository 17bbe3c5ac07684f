"""Taking a file from the watched inbox: only regular files, whole, never through a link.

The watcher hands each stable file (or a case id to resume) to `InboxIntake.handle`;
the file is hashed through the very descriptor it was opened with, registered
by pipeline.cases.intake, and run by the case core.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from pipeline.cases.core import CaseCore
from pipeline.cases.faults import PassingFault, is_passing, with_retries
from pipeline.cases.folders import REASON_NOTE
from pipeline.cases.intake import register_inbox
from pipeline.cases.transitions import note
from pipeline.files import (
    Entry,
    NotRegularFile,
    entry_kind,
    fit_name,
    fsync_dir,
    open_regular,
    sha256_stream,
    unique_path,
    with_utf8_names,
    write_note,
)
from pipeline.inbox.bundles import bundle_of, clear, pack, settled
from pipeline.privacy import mask_ids_in
from pipeline.reading.sniff import looks_complete
from pipeline.storage import audit, write_transaction

log = logging.getLogger("pipeline.inbox.intake")


def _utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class InboxIntake:
    def __init__(self, core: CaseCore) -> None:
        self.core = core
        self.inbox = core.folders.inbox
        self.folders = core.folders
        self.resume = core.resume

    def handle(self, job: Path | int) -> None:
        """A watcher job: a file in the inbox, or a case id to resume."""
        if isinstance(job, int):
            self.core.resume(job)
        else:
            self.handle_file(job)

    def handle_file(self, path: Path) -> int | None:
        """Register a complete inbox file as a case (or find its case) and run it."""
        kind = entry_kind(path)
        if kind is Entry.FILE and not _utf8(path):
            try:
                path = with_utf8_names(path, self.inbox)
            except (OSError, ValueError) as exc:
                log.warning("cannot give %r a readable name: %s", path.name, exc)
                return None
        if kind is Entry.LINK:
            self.refuse_link(path)
            return None
        if kind is not Entry.FILE or not self._inside_inbox(path):
            return None
        packed = None
        bundle = bundle_of(path, self.inbox)
        if bundle is not None:  # a letter with its attachments in a subfolder: one case, as one zip
            if not settled(bundle, self.core.settings.stable_seconds):
                raise PassingFault(f"{bundle.folder.name}: the folder's files are still arriving")
            path, shas = with_retries(lambda: pack(bundle, self.inbox), "pack a letter with its attachments")
            packed = (bundle, shas)
        try:
            with open_regular(path) as fh:  # stat and hash the very file opened, never a link's target
                st = os.fstat(fh.fileno())
                sha = sha256_stream(fh)
        except FileNotFoundError:
            return None
        except NotRegularFile:
            if entry_kind(path) is Entry.LINK:  # swapped for a link since we looked
                self.refuse_link(path)
            return None
        except OSError as exc:
            if is_passing(exc):
                raise PassingFault(str(exc)) from exc  # the watcher looks again later
            log.error("cannot read %s: %s", path.name, exc)
            return None
        if not self._complete_or_settled(path, st):
            raise PassingFault(f"{path.name} does not look complete yet: looking again later")
        rel = path.relative_to(self.inbox).as_posix()
        registered = with_retries(lambda: self._register(rel, sha, st), "register")
        if registered is None:
            return None
        if packed is not None:  # registered: the zip holds them now, the case core archives it
            with_retries(lambda: clear(*packed), "clear the packed folder")
        self.core.resume(registered)
        return registered

    def _register(self, rel: str, sha: str, st: os.stat_result) -> int | None:
        def still_there() -> os.stat_result | None:
            try:
                return (self.inbox / rel).stat()
            except FileNotFoundError:
                return None

        for _ in range(3):
            try:
                with write_transaction(self.core.db.sessions) as session:
                    found = register_inbox(
                        session, self.core.calendar, rel, sha, st, self.core.clock(), still_there
                    )
                    return found.case_id if found is not None else None
            except IntegrityError:
                continue  # another process registered it at the same moment: look again
        raise PassingFault(f"could not register {rel}")

    def _complete_or_settled(self, path: Path, st: os.stat_result) -> bool:
        """A young file that does not end as its format ends is still being copied in, in pieces with
        pauses longer than the stability wait: never archive or fail it, look again later. Once it
        has been unchanged for `incomplete_wait_seconds`, it is taken as it is (and fails if broken)."""
        changed = max(st.st_ctime, st.st_mtime)
        if time.time() - changed >= self.core.settings.incomplete_wait_seconds:
            return True
        try:
            return looks_complete(path)
        except OSError:
            return False

    def _inside_inbox(self, path: Path) -> bool:
        """False for a path reached through a linked folder: its real place is elsewhere."""
        try:
            path.parent.resolve().relative_to(self.inbox.resolve())
            return True
        except (OSError, ValueError):
            log.warning("inbox entry %s lies outside the inbox through a linked folder: ignored", path.name)
            return False

    def refuse_link(self, path: Path) -> None:
        """A symlink in the inbox is never followed: a note says so, and the link (not its target) goes."""
        try:
            rel = path.relative_to(self.inbox).as_posix()
        except ValueError:
            rel = path.name
        try:
            target = os.readlink(path)
        except OSError:
            return  # gone already
        write_note(
            unique_path(self.core.folders.failed, f"{fit_name(path.name)}{REASON_NOTE}"),
            mask_ids_in(
                f"收件箱中的“{rel}”是一个符号链接（快捷方式），指向：{target}\n"
                "出于安全原因，系统不读取符号链接，已将该链接从收件箱移除；"
                "链接指向的文件未被读取、复制或改动。\n"
                "处理办法：如需办理，请把来函文件本身（而不是快捷方式）放入收件箱。\n"
            ),
        )
        try:
            path.unlink()
            fsync_dir(path.parent)
        except OSError as exc:
            log.warning("could not remove refused link %s: %s", path.name, exc)
        event = mask_ids_in(f"拒收收件箱中的符号链接：{rel}（指向 {target}），未读取其指向的文件")[:1000]
        try:
            with write_transaction(self.core.db.sessions) as session:
                note(session, None, actor=audit.SERVICE, reason=event, now=self.core.clock())
        except Exception:  # the note is written; a database fault must not stop the watcher
            log.exception("could not audit the refused link %s", path.name)
        log.warning("inbox entry %s is a symbolic link: refused, link removed, target not read", path.name)
