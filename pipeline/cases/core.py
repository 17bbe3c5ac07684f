"""The life of a case: received → processing → replied | waiting_review | failed | duplicate.

The only code that moves a case. Every step is idempotent and records its
progress before the next begins, so a process killed at any moment is
resumed by the next start from the last recorded step:

  register   case row + claim (unique sha256)   — pipeline.cases.intake
  claim      received → processing              — one worker, one process
  archive    copy, fsync, hash check → archive/YYYY/MM/
  clear      remove an inbox original (only when its bytes match); a named file is never touched
  handle     run the processor into a private staging folder; store what it decided
  publish    each staged output claims its final name (pipeline.cases.publisher),
             or the file is parked in failed/ or duplicates/ with a Chinese note
  finish     final state + audit event, in one transaction

A crash before `handle` is stored reruns the processor (a fresh staging
folder, a fresh reply 文号: a gap, never a reuse); after it, only publishing
is repeated, and publishing skips what is already done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from pipeline.cases import objections, publisher, spotchecks
from pipeline.cases.faults import is_passing, with_retries
from pipeline.cases.folders import DUPLICATE_NOTE, Folders, duplicate_note, park_failed
from pipeline.cases.handling import Handled, Processor
from pipeline.cases.history import history_of, store_history
from pipeline.cases.intake import INBOX
from pipeline.cases.numbering import void_unused
from pipeline.cases.transitions import move, note
from pipeline.errors import INTERNAL_ERROR_ZH, ClaimLost, FailureKind, LettersError
from pipeline.files import (
    NotRegularFile,
    fit_name,
    fsync_dir,
    holds_bytes,
    safe_copy,
    sha256_file,
    unique_path,
    write_note,
)
from pipeline.outbox import destination
from pipeline.privacy import mask_ids_in
from pipeline.settings import Settings
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState
from pipeline.storage.numbers import mark_used

log = logging.getLogger("pipeline.cases.core")

MAX_ATTEMPTS = 8
Clock = Callable[[], dt.datetime]


MAX_CRASHES = 2  # the service died this often while reading a case: its letter is not read a third time
CRASHED_ZH = (
    "处理该文件时服务异常退出（已连续两次），为保护系统未再读取；文件可能已损坏或含有恶意内容，"
    "请向来函单位索取正常的文件，或由系统管理员检查。"
)


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def finish_reason(case: Case, state: str) -> str:
    """The audit line for a final state (Chinese, no personal data)."""
    if state == CaseState.REPLIED.value:
        return f"已生成复函（{case.reply_doc_number or '无文号'}）"
    if state == CaseState.WAITING_REVIEW.value:
        return "需人工复核：" + "；".join(r.text for r in case.review_reasons())[:500]
    if state == CaseState.DUPLICATE.value:
        return "重复来函，未重复办理"
    if state == CaseState.OBJECTION.value:
        return "异议申请，转入异议办理"
    return f"处理失败：{case.error or ''}"[:500]


class CaseCore:
    """Runs cases to their end. Thread-safe: each step uses its own sessions."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        processor: Processor | None,
        *,
        instance_id: str,
        calendar: object | None = None,
        clock: Clock = dt.datetime.now,
    ) -> None:
        from pipeline.workdays import WorkCalendar

        self.settings = settings
        self.db = db
        self.processor = processor
        self.me = instance_id
        self.clock = clock
        self.folders = Folders.from_settings(settings)
        self.calendar = calendar or WorkCalendar(settings.holidays_path())
        self.active: set[int] = set()  # cases this process is running right now
        self._active_lock = threading.Lock()

    # -- running a case ---------------------------------------------------------

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

    def _claim(self, case_id: int) -> bool:
        with write_transaction(self.db.sessions) as session:
            now = self.clock()
            tracking = session.get(CaseTracking, case_id)
            if tracking is None or (tracking.retry_after is not None and tracking.retry_after > now):
                return False
            return move(
                session, case_id, source=CaseState.RECEIVED, target=CaseState.PROCESSING,
                actor=audit.SERVICE, reason=f"开始处理（{self.me}）", now=now,
                tracking={"owner": self.me, "claimed_at": now},
            )  # fmt: skip

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
                    self.fail(
                        case_id,
                        f"暂时性故障多次重试（{MAX_ATTEMPTS}次）仍未排除，请管理员检查磁盘空间、数据库和文件权限："
                        f"{mask_ids_in(str(exc))[:200]}",
                        FailureKind.RETRIES,
                    )
                return
            log.exception("case %s failed unexpectedly", case_id, extra={"case": case_id})
            self.fail(case_id, INTERNAL_ERROR_ZH, FailureKind.INTERNAL)

    def load(self, case_id: int) -> tuple[Case, CaseTracking]:
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

    def _source(self, tracking: CaseTracking) -> Path:
        return (
            self.folders.inbox / tracking.source_path
            if tracking.origin == INBOX
            else Path(tracking.source_path)
        )

    def _run(self, case_id: int) -> None:
        case, tracking = self.load(case_id)
        if tracking.duplicate_of is not None:
            self._run_duplicate(case, tracking)
            return
        src = self._source(tracking)
        if tracking.archive_path is None:
            archived = with_retries(lambda: self._archive(case, tracking, src), "archive")
            if archived is None:
                self.fail(
                    case_id,
                    "来函文件在归档前已被移走或替换，未能处理；如需办理请重新放入收件箱。",
                    FailureKind.FILE_MOVED,
                )
                return
            self._set(case_id, archive_path=archived)
            tracking.archive_path = archived
        if tracking.origin == INBOX and tracking.inbox_cleared_at is None:
            with_retries(lambda: _clear_inbox(src, case.file_sha256), "clear inbox")
            self._set(case_id, inbox_cleared_at=self.clock())
        if tracking.decided is None and tracking.crashes >= MAX_CRASHES:
            log.error("case %s: the service died twice reading it; failed, not read again", case_id)
            self.fail(case_id, CRASHED_ZH, FailureKind.CRASHED)
            return
        if tracking.decided is None:
            self._handle(case_id, self.folders.archive / tracking.archive_path)
            case, tracking = self.load(case_id)
        with_retries(lambda: self._publish(case, tracking), "publish")
        self._finish(case_id, tracking.decided or CaseState.FAILED.value)

    def _archive(self, case: Case, tracking: CaseTracking, src: Path) -> str | None:
        rel = archive_name(case, tracking)
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

    def fresh_staging(self, case_id: int) -> Path:
        """The case's private staging folder, emptied: leftovers of a run that died are never published."""
        staging = self.folders.staging / str(case_id)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, mode=0o700)
        return staging

    def _handle(self, case_id: int, letter: Path) -> None:
        assert self.processor is not None, (
            "a core without a processor only completes decisions made elsewhere"
        )
        staging = self.fresh_staging(case_id)
        if not getattr(self.processor, "isolated", False):
            # Read here, in this process: if the letter kills it, the count says so at the next start.
            # (A processor that reads in a limited child loses only the child: pipeline.cases.isolation.)
            self._set(case_id, crashes=CaseTracking.crashes + 1)
        try:
            handled = self.processor(letter, case_id, staging)
        except LettersError as exc:
            handled = Handled(
                CaseState.FAILED, error=exc.message_zh, failure=exc.failure, exit_code=exc.exit_code
            )
        except Exception as exc:
            if is_passing(exc):
                raise
            log.exception("processing case %s failed", case_id, extra={"case": case_id})
            handled = Handled(
                CaseState.FAILED, error=INTERNAL_ERROR_ZH, failure=FailureKind.INTERNAL, exit_code=1
            )
        with_retries(lambda: self._record(case_id, handled, staging), "record what was decided")

    def complete(self, case_id: int, handled: Handled, staging: Path) -> None:
        """Store a decision made outside the processor (a review), publish it and end the case.

        The case must be 'processing' and held by this core; a crash in between
        is finished by recovery like any other case."""
        with_retries(lambda: self._record(case_id, handled, staging), "record what was decided")
        case, tracking = self.load(case_id)
        with_retries(lambda: self._publish(case, tracking), "publish")
        self._finish(case_id, handled.state.value)

    def _record(self, case_id: int, handled: Handled, staging: Path) -> None:
        """Store what was decided. A reply becomes final here: its 文号 is recorded on the case, marked
        used in the ledger and named in the audit chain in this one transaction, before any file that
        carries it is published — and only while this core still holds the case."""
        if handled.state == CaseState.REPLIED:
            publisher.stage(handled.outputs, staging)
        with write_transaction(self.db.sessions) as session:
            case = session.get(Case, case_id)
            tracking = session.get(CaseTracking, case_id)
            assert case is not None and tracking is not None
            if case.state != CaseState.PROCESSING.value or tracking.owner != self.me:
                raise ClaimLost(
                    f"case {case_id} is {case.state}, held by {tracking.owner}, not {self.me}",
                    f"第{case_id}号案件已不在本次处理之中（可能已由他人办理），本次结果未发出。",
                )
            if handled.reply_doc_number and handled.state == CaseState.REPLIED:
                now = self.clock()
                mark_used(session, handled.reply_doc_number, case_id, now)
                note(
                    session, case_id, actor=audit.SERVICE, now=now,
                    reason=f"复函定稿：{handled.reply_doc_number}，即将发出",
                )  # fmt: skip
            case.kind = handled.kind or case.kind
            case.unit = handled.unit or case.unit
            case.doc_number = handled.doc_number or case.doc_number
            case.letter_json = handled.letter_json if handled.letter_json is not None else case.letter_json
            case.check_json = handled.check_json if handled.check_json is not None else case.check_json
            case.reasons = [r.to_json() for r in handled.reasons] or None
            case.error = handled.error
            case.error_kind = handled.failure.value if handled.failure else None
            case.reply_doc_number = handled.reply_doc_number
            case.outputs = None  # filled as each output claims its name
            case.updated_at = self.clock()
            if handled.state == CaseState.FAILED and tracking.origin == INBOX:
                tracking.parked_path = unique_path(
                    self.folders.failed, fit_name(Path(tracking.source_path).name)
                ).name
            tracking.decided = handled.state.value
            store_history(session, case_id, history_of(session, case_id))  # the kind and hit just found

    def _publish(self, case: Case, tracking: CaseTracking) -> None:
        if tracking.decided == CaseState.REPLIED.value:
            staging = self.folders.staging / str(case.id)
            kinds = sorted(p.name for p in staging.iterdir() if p.is_dir()) if staging.exists() else []
            claimed = dict(case.outputs or {})
            places = {kind: destination(self.settings, kind) for kind in dict.fromkeys([*claimed, *kinds])}
            case.outputs = publisher.publish(
                staging, places, claimed, lambda new: self._claimed(case.id, new)
            )
        elif tracking.decided == CaseState.FAILED.value and tracking.origin == INBOX:
            park_failed(self.folders, case, tracking)

    def _claimed(self, case_id: int, names: dict[str, str]) -> None:
        def step() -> None:
            with write_transaction(self.db.sessions) as session:
                case = session.get(Case, case_id)
                assert case is not None
                case.outputs = {**(case.outputs or {}), **names}

        with_retries(step, "record published names")

    def _run_duplicate(self, case: Case, tracking: CaseTracking) -> None:
        if tracking.origin == INBOX:
            src = self._source(tracking)
            if tracking.parked_path is None:
                name = unique_path(self.folders.duplicates, fit_name(Path(tracking.source_path).name)).name
                self._set(case.id, parked_path=name, decided=CaseState.DUPLICATE.value)
                tracking.parked_path = name
            dest = self.folders.duplicates / tracking.parked_path
            with self.db.sessions() as session:
                earlier = session.get(Case, tracking.duplicate_of)
            note = duplicate_note(case, tracking, earlier)

            def park() -> None:
                if holds_bytes(src, case.file_sha256):
                    if not dest.exists():
                        safe_copy(src, dest, case.file_sha256)
                    src.unlink()
                    fsync_dir(src.parent)
                write_note(dest.with_name(dest.name + DUPLICATE_NOTE), note)

            with_retries(park, "park duplicate")
            if tracking.inbox_cleared_at is None:
                self._set(case.id, inbox_cleared_at=self.clock())
        self._finish(case.id, CaseState.DUPLICATE.value)

    # -- endings ----------------------------------------------------------------

    def _finish(self, case_id: int, state: str) -> None:
        def step() -> None:
            with write_transaction(self.db.sessions) as session:
                now = self.clock()
                case = session.get(Case, case_id)
                assert case is not None
                moved = move(
                    session, case_id, source=CaseState.PROCESSING, target=state, actor=audit.SERVICE,
                    reason=finish_reason(case, state), now=now,
                    tracking={"owner": None, "finished_at": now, "decided": state},
                )  # fmt: skip
                if moved and state == CaseState.REPLIED.value:  # 抽查抽检: drawn as it is released
                    spotchecks.draw_on_reply(session, self.settings, case, now)
                if moved and state == CaseState.OBJECTION.value:  # its chain starts at its receipt
                    objections.open_objection(session, self.settings, case, now)
                if moved:  # a number this run took and did not use (a failed rendering) is voided
                    void_unused(session, now, case_id=case_id)

        # Everything is published by now: the staging goes before the final state, so a case seen
        # final has left nothing behind even if the process stops right after (a resumed publish
        # finds its outputs by the names it recorded).
        shutil.rmtree(self.folders.staging / str(case_id), ignore_errors=True)
        with_retries(step, "finish")
        log.info("case %s: %s", case_id, state, extra={"case": case_id, "event": state})

    def fail(self, case_id: int, error: str, kind: FailureKind) -> None:
        """A permanent fault: record it, park what we have, end the case as failed."""
        try:
            with write_transaction(self.db.sessions) as session:
                case = session.get(Case, case_id)
                tracking = session.get(CaseTracking, case_id)
                if case is None or tracking is None or case.state != CaseState.PROCESSING.value:
                    return
                case.error, case.error_kind = error, kind.value
                tracking.decided = CaseState.FAILED.value
                if tracking.parked_path is None and tracking.origin == INBOX:
                    tracking.parked_path = unique_path(
                        self.folders.failed, fit_name(Path(tracking.source_path).name)
                    ).name
            case, tracking = self.load(case_id)
            if tracking.origin == INBOX:
                with contextlib.suppress(OSError):
                    park_failed(self.folders, case, tracking)
            self._finish(case_id, CaseState.FAILED.value)
        except Exception:
            log.exception("could not record the failure of case %s", case_id)

    def _release(self, case_id: int, exc: BaseException) -> bool:
        """A passing fault outlived the quick retries: hand the case back for a later attempt.
        False when it has been tried too often: the caller then fails it."""
        with write_transaction(self.db.sessions) as session:
            now = self.clock()
            tracking = session.get(CaseTracking, case_id)
            assert tracking is not None
            attempts = tracking.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                tracking.attempts = attempts
                return False
            move(
                session, case_id, source=CaseState.PROCESSING, target=CaseState.RECEIVED, actor=audit.SERVICE,
                reason=f"暂时性故障，稍后第{attempts + 1}次处理：{mask_ids_in(str(exc))[:200]}", now=now,
                tracking={"owner": None, "attempts": attempts, "retry_after": now + retry_delay(attempts),
                          "crashes": 0},  # a fault that passed, not a crash: the next try starts the count anew
            )  # fmt: skip
            return True


def archive_name(case: Case, tracking: CaseTracking) -> str:
    """Where a case's original is kept, relative to the archive folder."""
    return f"{case.received_at:%Y/%m}/{case.id:06d}-{fit_name(Path(tracking.source_path).name)}"


def _clear_inbox(src: Path, sha: str) -> None:
    """Remove the original from the inbox — only if it still holds the archived bytes."""
    if holds_bytes(src, sha):
        src.unlink()
        fsync_dir(src.parent)
