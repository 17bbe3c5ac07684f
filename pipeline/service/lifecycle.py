"""The life of a case: received → processing → replied | waiting_review | failed | duplicate.

Every step is idempotent and records its progress before the next begins, so
a process killed at any moment is resumed by the next start (recovery.py)
from the last recorded step:

  register   case row + claim (unique sha256)       — file still in the inbox
  claim      UPDATE … WHERE state='received'        — one worker, one process
  archive    copy, fsync, hash check → archive/YYYY/MM/
  clear      remove the original from the inbox (only when its bytes match)
  decide     run the processor into a private staging folder; store the decision
  publish    move staged replies to the outbox (link: never overwrite) or park
             the file in failed/ or duplicates/ with a Chinese note
  finish     final state + audit event, in one transaction

A crash before `decide` is stored reruns the processor (a fresh staging
folder, a fresh reply 文号: a gap, never a reuse); after it, only publishing
is repeated, and publishing skips what is already done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.errors import INTERNAL_ERROR_ZH, LettersError
from pipeline.files import (
    Entry,
    NotRegularFile,
    entry_kind,
    fit_name,
    fsync_dir,
    holds_bytes,
    open_regular,
    safe_copy,
    sha256_file,
    sha256_stream,
    sweep_partials,
    unique_path,
    write_note,
)
from pipeline.outbox import PRIVATE_KINDS, destination
from pipeline.privacy import mask_ids_in
from pipeline.reading.sniff import looks_complete
from pipeline.service.faults import PassingFault, is_passing, with_retries
from pipeline.service.files import with_utf8_names
from pipeline.service.outcome import Processor, ProcessResult
from pipeline.service.recovery import pid_alive
from pipeline.settings import Settings
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

log = logging.getLogger("pipeline.service.lifecycle")

FINAL = {CaseState.REPLIED, CaseState.WAITING_REVIEW, CaseState.FAILED, CaseState.DUPLICATE}
MAX_ATTEMPTS = 8
REASON_NOTE = ".原因.txt"
DUPLICATE_NOTE = ".重复说明.txt"


@dataclass(slots=True)
class Folders:
    inbox: Path
    archive: Path
    outbox: Path
    failed: Path
    duplicates: Path
    staging: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Folders:
        folders = cls(
            inbox=settings.path(settings.inbox),
            archive=settings.path(settings.archive),
            outbox=settings.path(settings.outbox),
            failed=settings.path(settings.failed),
            duplicates=settings.path(settings.duplicates),
            staging=settings.path(settings.data_dir) / "staging",
        )
        for folder in (folders.archive, folders.staging):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)  # originals and unpublished replies: personal data
        for folder in (folders.inbox, folders.outbox, folders.failed, folders.duplicates):
            folder.mkdir(parents=True, exist_ok=True)
        for folder in (folders.outbox, folders.failed, folders.duplicates):
            sweep_partials(folder, alive=pid_alive)
        sweep_partials(folders.archive, recursive=True, alive=pid_alive)
        return folders


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class CaseService:
    """Turns inbox files into finished cases. Thread-safe: each call uses its own sessions."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        processor: Processor,
        *,
        instance_id: str,
        calendar: WorkCalendar | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.processor = processor
        self.me = instance_id
        self.folders = Folders.from_settings(settings)
        self.calendar = calendar or WorkCalendar(settings.holidays_path())
        self.active: set[int] = set()  # cases this process is running right now
        self._active_lock = threading.Lock()

    # -- entry points ---------------------------------------------------------

    def handle(self, job: Path | int) -> None:
        """A watcher job: a file in the inbox, or a case id to resume."""
        if isinstance(job, int):
            self.resume(job)
        else:
            self.handle_file(job)

    def handle_file(self, path: Path) -> int | None:
        """Register a complete inbox file as a case (or find its case) and run it."""
        kind = entry_kind(path)
        if kind is Entry.FILE and not _utf8(path):
            try:
                path = with_utf8_names(path, self.folders.inbox)
            except (OSError, ValueError) as exc:
                log.warning("cannot give %r a readable name: %s", path.name, exc)
                return None
        if kind is Entry.LINK:
            self.refuse_link(path)
            return None
        if kind is not Entry.FILE or not self._inside_inbox(path):
            return None
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
        rel = path.relative_to(self.folders.inbox).as_posix()
        case_id = with_retries(lambda: self._register(rel, sha, st), "register")
        if case_id is None:
            return None
        self.resume(case_id)
        return case_id

    def _complete_or_settled(self, path: Path, st: os.stat_result) -> bool:
        """A young file that does not end as its format ends is still being copied in, in pieces with
        pauses longer than the stability wait: never archive or fail it, look again later. Once it
        has been unchanged for `incomplete_wait_seconds`, it is taken as it is (and fails if broken)."""
        changed = max(st.st_ctime, st.st_mtime)
        if time.time() - changed >= self.settings.incomplete_wait_seconds:
            return True
        try:
            return looks_complete(path)
        except OSError:
            return False

    def _inside_inbox(self, path: Path) -> bool:
        """False for a path reached through a linked folder: its real place is elsewhere."""
        try:
            path.parent.resolve().relative_to(self.folders.inbox.resolve())
            return True
        except (OSError, ValueError):
            log.warning("inbox entry %s lies outside the inbox through a linked folder: ignored", path.name)
            return False

    def refuse_link(self, path: Path) -> None:
        """A symlink in the inbox is never followed: a note says so, and the link (not its target) goes."""
        try:
            rel = path.relative_to(self.folders.inbox).as_posix()
        except ValueError:
            rel = path.name
        try:
            target = os.readlink(path)
        except OSError:
            return  # gone already
        note = unique_path(self.folders.failed, f"{fit_name(path.name)}{REASON_NOTE}")
        write_note(
            note,
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
            with write_transaction(self.db.sessions) as session:
                audit.append(
                    session, actor=audit.SERVICE, case_id=None, from_state=None, to_state=None, reason=event
                )
        except Exception:  # the note is written; a database fault must not stop the watcher
            log.exception("could not audit the refused link %s", path.name)
        log.warning("inbox entry %s is a symbolic link: refused, link removed, target not read", path.name)

    def resume(self, case_id: int) -> None:
        """Claim the case if it is free and take it as far as it goes."""
        with self._active_lock:
            if case_id in self.active:
                return  # another worker of ours has it
            self.active.add(case_id)  # before the claim: recovery never takes back a case we are claiming
        try:
            try:
                claimed = with_retries(lambda: self._claim(case_id), "claim")
            except Exception as exc:
                log.warning("cannot claim case %s: %s", case_id, exc)
                return
            if claimed:
                self._run_guarded(case_id)
        finally:
            with self._active_lock:
                self.active.discard(case_id)

    def _run_guarded(self, case_id: int) -> None:
        try:
            self._run(case_id)
        except Exception as exc:
            if is_passing(exc):
                log.warning("case %s: passing fault, will retry: %s", case_id, exc, extra={"case": case_id})
                try:
                    released = self._release(case_id, exc)
                except Exception:
                    return  # the database itself is away: recovery hands the case back later
                if not released:
                    self._fail_now(
                        case_id,
                        f"暂时性故障多次重试（{MAX_ATTEMPTS}次）仍未排除，请管理员检查磁盘空间、数据库和文件权限：{mask_ids_in(str(exc))[:200]}",
                    )
                return
            log.exception("case %s failed unexpectedly", case_id, extra={"case": case_id})
            self._fail_now(case_id, INTERNAL_ERROR_ZH)

    # -- register and claim ---------------------------------------------------

    def _register(self, rel: str, sha: str, st: os.stat_result) -> int | None:
        for _ in range(3):
            try:
                with write_transaction(self.db.sessions) as session:
                    return self._register_in(session, rel, sha, st)
            except IntegrityError:
                continue  # another process registered it at the same moment: look again
        raise PassingFault(f"could not register {rel}")

    def _register_in(self, session: Session, rel: str, sha: str, st: os.stat_result) -> int | None:
        now = received_time(st)
        found = session.execute(
            select(CaseTracking, Case)
            .join(Case, Case.id == CaseTracking.case_id)
            .where(CaseTracking.claim_key == sha)
        ).first()
        if found is None:
            # Same bytes already answered by `letters process` (a case without a claim): a duplicate too.
            by_hand = session.execute(
                select(Case)
                .outerjoin(CaseTracking, CaseTracking.case_id == Case.id)
                .where(Case.file_sha256 == sha, CaseTracking.case_id.is_(None))
                .order_by(Case.id)
                .limit(1)
            ).scalar_one_or_none()
            if by_hand is not None:
                return self._new_duplicate(session, rel, sha, st, by_hand, now)
            return self._open_case(session, rel, sha, now, claim_key=sha, reason=f"收到来函：{rel}")
        tracking, earlier = found
        if tracking.source_path == rel and tracking.inbox_cleared_at is None:
            return earlier.id  # this very file, registered before (by us or another watcher)
        return self._new_duplicate(session, rel, sha, st, earlier, now)

    def _new_duplicate(
        self, session: Session, rel: str, sha: str, st: os.stat_result, earlier: Case, now: dt.datetime
    ) -> int | None:
        # Checked after the case rows were read: if another watcher archived this very file and
        # cleared it from the inbox meanwhile, it is gone now — not a second drop of the same bytes.
        try:
            now_st = (self.folders.inbox / rel).stat()
        except FileNotFoundError:
            return None
        if (now_st.st_ino, now_st.st_mtime_ns) != (st.st_ino, st.st_mtime_ns):
            return None  # replaced since we hashed it: the rescan looks at the new file
        key = hashlib.sha256(f"dup|{sha}|{rel}|{st.st_ino}|{st.st_mtime_ns}".encode()).hexdigest()
        again = session.execute(
            select(CaseTracking).where(CaseTracking.claim_key == key)
        ).scalar_one_or_none()
        if again is not None:
            return again.case_id
        return self._open_case(
            session,
            rel,
            sha,
            now,
            claim_key=key,
            reason=f"收到来函：{rel}（与第{earlier.id}号案件内容相同）",
            duplicate_of=earlier.id,
        )

    def _open_case(
        self,
        session: Session,
        rel: str,
        sha: str,
        now: dt.datetime,
        *,
        claim_key: str,
        reason: str,
        duplicate_of: int | None = None,
    ) -> int:
        """A new received case with its tracking row and first audit event, in the caller's transaction."""
        case = self._new_case(session, rel, sha, now)
        session.add(
            CaseTracking(
                case_id=case.id,
                claim_key=claim_key,
                source_path=rel,
                attempts=0,
                due_date=self.calendar.due_date(now),
                duplicate_of=duplicate_of,
            )
        )
        audit.append(
            session,
            actor=audit.SERVICE,
            case_id=case.id,
            from_state=None,
            to_state=CaseState.RECEIVED,
            reason=reason,
            at=now,
        )
        return case.id

    @staticmethod
    def _new_case(session: Session, rel: str, sha: str, now: dt.datetime) -> Case:
        case = Case(
            file_sha256=sha,
            original_name=rel,
            received_at=now,
            updated_at=now,
            state=CaseState.RECEIVED.value,
        )
        session.add(case)
        session.flush()
        return case

    def _claim(self, case_id: int) -> bool:
        with write_transaction(self.db.sessions) as session:
            now = dt.datetime.now()
            tracking = session.get(CaseTracking, case_id)
            if tracking is None or (tracking.retry_after is not None and tracking.retry_after > now):
                return False
            taken = session.execute(
                update(Case)
                .where(Case.id == case_id, Case.state == CaseState.RECEIVED.value)
                .values(state=CaseState.PROCESSING.value, updated_at=now)
            ).rowcount
            if taken != 1:
                return False
            session.execute(
                update(CaseTracking)
                .where(CaseTracking.case_id == case_id)
                .values(owner=self.me, claimed_at=now)
            )
            audit.append(
                session,
                actor=audit.SERVICE,
                case_id=case_id,
                from_state=CaseState.RECEIVED,
                to_state=CaseState.PROCESSING,
                reason=f"开始处理（{self.me}）",
                at=now,
            )
            return True

    # -- the steps ------------------------------------------------------------

    def _load(self, case_id: int) -> tuple[Case, CaseTracking]:
        with self.db.sessions() as session:
            case = session.get(Case, case_id)
            tracking = session.get(CaseTracking, case_id)
            assert case is not None and tracking is not None
            return case, tracking

    def _set(self, case_id: int, **values: object) -> None:
        def step() -> None:
            with write_transaction(self.db.sessions) as session:
                session.execute(update(CaseTracking).where(CaseTracking.case_id == case_id).values(**values))

        with_retries(step, "record step")

    def _run(self, case_id: int) -> None:
        case, tracking = self._load(case_id)
        if tracking.duplicate_of is not None:
            self._run_duplicate(case, tracking)
            return
        src = self.folders.inbox / tracking.source_path
        if tracking.archive_path is None:
            archived = with_retries(lambda: self._archive(case, tracking, src), "archive")
            if archived is None:
                self._fail_now(
                    case_id, "来函文件在归档前已被移走或替换，未能处理；如需办理请重新放入收件箱。"
                )
                return
            self._set(case_id, archive_path=archived)
            tracking.archive_path = archived
        if tracking.inbox_cleared_at is None:
            with_retries(lambda: self._clear_inbox(src, case.file_sha256), "clear inbox")
            self._set(case_id, inbox_cleared_at=dt.datetime.now())
        if tracking.outcome is None:
            self._decide(case_id, self.folders.archive / tracking.archive_path)
            case, tracking = self._load(case_id)
        with_retries(lambda: self._publish(case, tracking), "publish")
        self._finish(case_id, tracking.outcome or CaseState.FAILED.value)

    def _archive(self, case: Case, tracking: CaseTracking, src: Path) -> str | None:
        rel = f"{case.received_at:%Y/%m}/{case.id:06d}-{fit_name(Path(tracking.source_path).name)}"
        dest = self.folders.archive / rel
        if dest.exists() and sha256_file(dest) == case.file_sha256:
            return rel
        if not holds_bytes(src, case.file_sha256):
            return None
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            safe_copy(src, dest, case.file_sha256)
        except (FileNotFoundError, NotRegularFile):
            return None  # moved away, or swapped for a link: never copy a link's target
        return rel

    @staticmethod
    def _clear_inbox(src: Path, sha: str) -> None:
        """Remove the original from the inbox — only if it still holds the archived bytes."""
        if holds_bytes(src, sha):
            src.unlink()
            fsync_dir(src.parent)

    def fresh_staging(self, case_id: int) -> Path:
        """The case's private staging folder, emptied: leftovers of a run that died are never published."""
        staging = self.folders.staging / str(case_id)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, mode=0o700)
        return staging

    def complete(self, case_id: int, result: ProcessResult, staging: Path) -> None:
        """Store a decision made outside the watcher (review), publish it and end the case.

        The case must be 'processing'; a crash in between is finished by the
        service's recovery like any other case.
        """
        with_retries(lambda: self._record(case_id, result, staging), "record decision")
        case, tracking = self._load(case_id)
        with_retries(lambda: self._publish(case, tracking), "publish")
        self._finish(case_id, result.state)

    def _decide(self, case_id: int, letter: Path) -> None:
        staging = self.fresh_staging(case_id)
        try:
            result = self.processor(letter, case_id, staging)
        except LettersError as exc:
            result = ProcessResult(state="failed", error=exc.message_zh)
        except Exception as exc:
            if is_passing(exc):
                raise
            log.exception("processing case %s failed", case_id, extra={"case": case_id})
            result = ProcessResult(state="failed", error=INTERNAL_ERROR_ZH)
        with_retries(lambda: self._record(case_id, result, staging), "record decision")

    def _record(self, case_id: int, result: ProcessResult, staging: Path) -> None:
        outputs: dict[str, str] = {}
        if result.state == "replied":
            for kind, staged in result.outputs.items():
                target = unique_path(destination(self.settings, kind)[0], staged.name)
                if staged.parent != staging or target.name != staged.name:
                    moved = staging / target.name
                    os.replace(staged, moved)
                outputs[kind] = target.name
        with write_transaction(self.db.sessions) as session:
            case = session.get(Case, case_id)
            tracking = session.get(CaseTracking, case_id)
            assert case is not None and tracking is not None
            case.kind = result.kind or case.kind
            case.unit = result.unit or case.unit
            case.doc_number = result.doc_number or case.doc_number
            case.letter_json = result.letter_json if result.letter_json is not None else case.letter_json
            case.check_json = result.check_json if result.check_json is not None else case.check_json
            case.reasons = list(result.reasons) or None
            case.error = result.error
            case.reply_doc_number = result.reply_doc_number
            case.outputs = outputs or None
            case.updated_at = dt.datetime.now()
            if result.state == "failed":
                tracking.parked_path = unique_path(
                    self.folders.failed, fit_name(Path(tracking.source_path).name)
                ).name
            tracking.outcome = result.state

    def _publish(self, case: Case, tracking: CaseTracking) -> None:
        staging = self.folders.staging / str(case.id)
        if tracking.outcome == CaseState.REPLIED.value:
            for kind, name in (case.outputs or {}).items():
                folder, mode = destination(self.settings, kind)
                publish_file(staging / name, folder / name, mode)
        elif tracking.outcome == CaseState.FAILED.value:
            self._park_failed(case, tracking)

    def _park_failed(self, case: Case, tracking: CaseTracking) -> None:
        name = tracking.parked_path or Path(tracking.source_path).name
        dest = self.folders.failed / name
        if tracking.archive_path is not None:
            source = self.folders.archive / tracking.archive_path
            if not (dest.exists() and sha256_file(dest) == case.file_sha256) and source.exists():
                safe_copy(source, dest, case.file_sha256)
        note = f"来函文件：{tracking.source_path}\n案件编号：{case.id}\n接收时间：{case.received_at:%Y-%m-%d %H:%M}\n失败原因：{case.error or '未知'}\n"
        if tracking.archive_path is not None:
            note += f"原件已存档：archive/{tracking.archive_path}\n"
        note += "处理办法：请核对文件后，向来函单位索取可读的文件重新放入收件箱，或由工作人员手工办理。\n"
        write_note(dest.with_name(dest.name + REASON_NOTE), mask_ids_in(note))

    def _run_duplicate(self, case: Case, tracking: CaseTracking) -> None:
        src = self.folders.inbox / tracking.source_path
        if tracking.parked_path is None:
            name = unique_path(self.folders.duplicates, fit_name(Path(tracking.source_path).name)).name
            self._set(case.id, parked_path=name, outcome=CaseState.DUPLICATE.value)
            tracking.parked_path = name
        dest = self.folders.duplicates / tracking.parked_path

        def park() -> None:
            if holds_bytes(src, case.file_sha256):
                if not dest.exists():
                    safe_copy(src, dest, case.file_sha256)
                src.unlink()
                fsync_dir(src.parent)
            write_note(dest.with_name(dest.name + DUPLICATE_NOTE), self._duplicate_note(case, tracking))

        with_retries(park, "park duplicate")
        if tracking.inbox_cleared_at is None:
            self._set(case.id, inbox_cleared_at=dt.datetime.now())
        self._finish(case.id, CaseState.DUPLICATE.value)

    def _duplicate_note(self, case: Case, tracking: CaseTracking) -> str:
        with self.db.sessions() as session:
            earlier = session.get(Case, tracking.duplicate_of)
        lines = [
            f"来函文件：{tracking.source_path}",
            f"接收时间：{case.received_at:%Y-%m-%d %H:%M}",
            f"该文件与第{tracking.duplicate_of}号案件的来函内容完全相同，未重复办理。",
        ]
        if earlier is not None:
            lines.append(f"原案件来函：{earlier.original_name}（{earlier.received_at:%Y-%m-%d %H:%M} 接收）")
            lines.append(f"原案件状态：{CaseState(earlier.state).label_zh}")
            if earlier.reply_doc_number:
                lines.append(f"原案件复函文号：{earlier.reply_doc_number}")
            for kind, name in (earlier.outputs or {}).items():
                if kind not in PRIVATE_KINDS:
                    lines.append(f"原案件复函文件：outbox/{Path(name).name}")
        lines.append("如确需再次办理，请联系工作人员。")
        return mask_ids_in("\n".join(lines) + "\n")

    # -- endings --------------------------------------------------------------

    def _finish(self, case_id: int, outcome: str) -> None:
        def step() -> None:
            with write_transaction(self.db.sessions) as session:
                now = dt.datetime.now()
                done = session.execute(
                    update(Case)
                    .where(Case.id == case_id, Case.state == CaseState.PROCESSING.value)
                    .values(state=outcome, updated_at=now)
                ).rowcount
                if done != 1:
                    return
                session.execute(
                    update(CaseTracking)
                    .where(CaseTracking.case_id == case_id)
                    .values(owner=None, finished_at=now, outcome=outcome)
                )
                case = session.get(Case, case_id)
                assert case is not None
                audit.append(
                    session,
                    actor=audit.SERVICE,
                    case_id=case_id,
                    from_state=CaseState.PROCESSING,
                    to_state=outcome,
                    reason=finish_reason(case, outcome),
                    at=now,
                )

        with_retries(step, "finish")
        shutil.rmtree(self.folders.staging / str(case_id), ignore_errors=True)
        log.info("case %s: %s", case_id, outcome, extra={"case": case_id, "event": outcome})

    def _fail_now(self, case_id: int, error: str) -> None:
        """A permanent fault: record it, park what we have, end the case as failed."""
        try:
            with write_transaction(self.db.sessions) as session:
                case = session.get(Case, case_id)
                tracking = session.get(CaseTracking, case_id)
                if case is None or tracking is None or case.state != CaseState.PROCESSING.value:
                    return
                case.error = error
                tracking.outcome = CaseState.FAILED.value
                if tracking.parked_path is None:
                    tracking.parked_path = unique_path(
                        self.folders.failed, fit_name(Path(tracking.source_path).name)
                    ).name
            case, tracking = self._load(case_id)
            with contextlib.suppress(OSError):
                self._park_failed(case, tracking)
            self._finish(case_id, CaseState.FAILED.value)
        except Exception:
            log.exception("could not record the failure of case %s", case_id)

    def _release(self, case_id: int, exc: BaseException) -> bool:
        """A passing fault outlived the quick retries: hand the case back for a later attempt.

        False when it has been tried too often: the caller then fails it."""
        with write_transaction(self.db.sessions) as session:
            now = dt.datetime.now()
            tracking = session.get(CaseTracking, case_id)
            assert tracking is not None
            attempts = tracking.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                tracking.attempts = attempts
                return False
            session.execute(
                update(Case)
                .where(Case.id == case_id, Case.state == CaseState.PROCESSING.value)
                .values(state=CaseState.RECEIVED.value, updated_at=now)
            )
            tracking.owner = None
            tracking.attempts = attempts
            tracking.retry_after = now + retry_delay(attempts)
            audit.append(
                session,
                actor=audit.SERVICE,
                case_id=case_id,
                from_state=CaseState.PROCESSING,
                to_state=CaseState.RECEIVED,
                reason=f"暂时性故障，稍后第{attempts + 1}次处理：{mask_ids_in(str(exc))[:200]}",
                at=now,
            )
            return True


def _utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def received_time(st: os.stat_result, now: dt.datetime | None = None) -> dt.datetime:
    """When the letter arrived: the file's last change in the inbox (ctime: created, moved in or
    last written), never later than now. Not mtime, which copy tools carry over from the sender.
    A service that was down over a weekend still dates Friday's letters Friday."""
    now = now or dt.datetime.now()
    arrived = dt.datetime.fromtimestamp(st.st_ctime)
    return min(arrived, now) if now - arrived < dt.timedelta(days=30) else now


def finish_reason(case: Case, outcome: str) -> str:
    """The audit line for a final state (Chinese, no personal data)."""
    if outcome == CaseState.REPLIED.value:
        return f"已生成复函（{case.reply_doc_number or '无文号'}）"
    if outcome == CaseState.WAITING_REVIEW.value:
        return "需人工复核：" + "；".join(case.reasons or [])[:500]
    if outcome == CaseState.DUPLICATE.value:
        return "重复来函，已移入重复文件夹"
    return f"处理失败：{case.error or ''}"[:500]


def publish_file(staged: Path, target: Path, mode: int = 0o600) -> None:
    """Move a finished reply into the outbox without ever overwriting; a no-op when already done."""
    if not staged.exists():
        if not target.exists():
            log.error("reply %s is neither staged nor published", target.name)
        return
    os.chmod(staged, mode)  # the link below shares this inode
    try:
        os.link(staged, target)
    except FileExistsError:
        if sha256_file(staged) != sha256_file(target):
            raise
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        if not target.exists():
            safe_copy(staged, target, sha256_file(staged), mode=mode)
    fsync_dir(target.parent)
    staged.unlink()
