"""`letters process FILE`: a named file through the same intake and case life as the inbox.

The file stays where it is (it is the person's, never moved or deleted); its
bytes are archived, the case gets its tracking row and audit events, the
duplicate rule applies (`AnswerAgain` for a deliberate second answer), and a run
killed half-way is finished by the next `letters process` of the file, or by
a running watcher's recovery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from pipeline.cases.core import CaseCore, Clock
from pipeline.cases.faults import PassingFault, with_retries
from pipeline.cases.handling import Handled, make_processor
from pipeline.cases.instances import recover, register_instance, stop_instance
from pipeline.cases.intake import AnswerAgain, Registered, register_named
from pipeline.domain.reasons import Reason
from pipeline.errors import ExitCode, LettersError, UnreadableLetter
from pipeline.files import sha256_file
from pipeline.outbox import destination
from pipeline.settings import Settings
from pipeline.storage import Database, write_transaction
from pipeline.storage.models import CaseState


@dataclass(slots=True)
class NamedRun:
    """What `letters process` reports."""

    case_id: int
    state: CaseState
    exit_code: int
    reasons: list[Reason] = field(default_factory=list)
    error: str | None = None
    reply_doc_number: str | None = None
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> published file
    duplicate_of: int | None = None


_EXIT = {
    CaseState.REPLIED: ExitCode.OK,
    CaseState.WAITING_REVIEW: ExitCode.WAITING_REVIEW,
    CaseState.DUPLICATE: ExitCode.DUPLICATE,
}


def process_named(
    path: Path,
    settings: Settings,
    db: Database,
    *,
    again: AnswerAgain | None = None,
    clock: Clock = dt.datetime.now,
) -> NamedRun:
    """Handle one named file to its end (replied, waiting for review, failed or duplicate)."""
    path = Path(path).absolute()
    if not path.is_file():
        raise UnreadableLetter(f"{path}: no such file", f"找不到文件：{path}")
    sha = sha256_file(path.resolve())  # a path the person named: a link is theirs to follow
    failures: dict[int, int] = {}
    base = make_processor(settings, db.sessions, clock)

    def processor(letter: Path, case_id: int, staging: Path) -> Handled:
        try:
            return base(letter, case_id, staging)
        except LettersError as exc:
            failures[case_id] = exc.exit_code
            raise

    me = register_instance(db, mode="process", inbox=path.parent)
    try:
        core = CaseCore(settings, db, processor, instance_id=me, clock=clock)
        recover(db, me)  # cases of workers that died (a killed `letters process`) come back first
        registered = with_retries(lambda: _register(db, core, path, sha, again), "register")
        core.resume(registered.case_id)
        return _report(core, registered, failures)
    finally:
        stop_instance(db, me)


def _register(db: Database, core: CaseCore, path: Path, sha: str, again: AnswerAgain | None) -> Registered:
    for _ in range(3):
        try:
            with write_transaction(db.sessions) as session:
                return register_named(session, core.calendar, path, sha, core.clock(), again=again)
        except IntegrityError:
            continue  # registered by another process at the same moment: look again
    raise PassingFault(f"could not register {path.name}")


def _report(core: CaseCore, registered: Registered, failures: dict[int, int]) -> NamedRun:
    case, tracking = core.load(registered.case_id)
    state = CaseState(case.state)
    outputs = {
        kind: destination(core.settings, kind)[0] / name for kind, name in (case.outputs or {}).items()
    }
    exit_code = _EXIT.get(state, failures.get(case.id, ExitCode.INTERNAL if state == CaseState.FAILED else 0))
    return NamedRun(
        case_id=case.id,
        state=state,
        exit_code=int(exit_code),
        reasons=case.review_reasons(),
        error=case.error,
        reply_doc_number=case.reply_doc_number,
        outputs=outputs,
        duplicate_of=tracking.duplicate_of,
    )
