"""Registering a letter as a case: one rule for every entry point.

A case's `claim_key` is unique: the letter's sha256 for the first case with
those bytes, so two watchers (or a watcher and `letters process`) never
answer the same letter twice. The same bytes arriving again become a
duplicate case, unless a named person asks for a deliberate second answer
(`AnswerAgain`), which is audited. All functions run in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases.actions import Action, require_role
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.roles import Account
from pipeline.errors import InvalidRequest
from pipeline.storage import audit
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

INBOX = "inbox"
PROCESS = "process"


@dataclass(frozen=True, slots=True)
class Registered:
    case_id: int
    duplicate_of: int | None = None
    new: bool = True  # False: the case was registered before (this very file, or a case to resume)


def received_time(st: os.stat_result, now: dt.datetime) -> dt.datetime:
    """When the letter arrived: the file's last change in the inbox (ctime: created, moved in or
    last written), never later than now. Not mtime, which copy tools carry over from the sender.
    A service that was down over a weekend still dates Friday's letters Friday."""
    arrived = dt.datetime.fromtimestamp(st.st_ctime)
    return min(arrived, now) if now - arrived < dt.timedelta(days=30) else now


def open_case(
    session: Session,
    calendar: WorkCalendar,
    *,
    source: str,
    sha: str,
    received: dt.datetime,
    claim_key: str,
    origin: str,
    reason: str,
    actor: str = audit.SERVICE,
    duplicate_of: int | None = None,
) -> int:
    """A new received case with its tracking row and its first audit event."""
    case = Case(
        file_sha256=sha,
        original_name=source if origin == INBOX else Path(source).name,
        received_at=received,
        updated_at=received,
        state=CaseState.RECEIVED.value,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseTracking(
            case_id=case.id,
            claim_key=claim_key,
            source_path=source,
            attempts=0,
            due_date=calendar.due_date(received),
            duplicate_of=duplicate_of,
            origin=origin,
        )
    )
    audit.append(
        session,
        actor=actor,
        case_id=case.id,
        from_state=None,
        to_state=CaseState.RECEIVED,
        reason=reason,
        at=received,
    )
    return case.id


# An earlier case in these states does not make the same bytes a duplicate: it was never answered,
# so a letter dropped again (after a fixed template, a readable copy) is handled afresh.
RETRIED_AFTER = (CaseState.FAILED.value, CaseState.CLOSED.value)


def _first(session: Session, sha: str) -> tuple[CaseTracking, Case] | None:
    """The case holding the claim on these bytes."""
    found = session.execute(
        select(CaseTracking, Case)
        .join(Case, Case.id == CaseTracking.case_id)
        .where(CaseTracking.claim_key == sha)
    ).first()
    return (found[0], found[1]) if found is not None else None


def _retire(session: Session, tracking: CaseTracking, sha: str) -> None:
    """Free the claim of a case that was never answered, for the new case, in this transaction."""
    tracking.claim_key = hashlib.sha256(f"retired|{sha}|{tracking.case_id}".encode()).hexdigest()
    session.flush()


def register_inbox(
    session: Session,
    calendar: WorkCalendar,
    rel: str,
    sha: str,
    st: os.stat_result,
    now: dt.datetime,
    still_there: Callable[[], os.stat_result | None],
) -> Registered | None:
    """An inbox file: a new case, the case it already is, or a duplicate of an earlier one.

    `still_there` stats the file again: None when another watcher archived and
    cleared it meanwhile (it is gone, not a second drop of the same bytes).
    """
    received = received_time(st, now)
    found = _first(session, sha)
    if found is not None and found[1].state in RETRIED_AFTER:
        # Dropped again after a failure — or the very file the failed case took, seen by a second
        # watcher before it left the inbox: only a file that is still there is a new arrival.
        if not _unchanged(still_there(), st):
            return None
        _retire(session, found[0], sha)
        found = None
    if found is None:
        case_id = open_case(
            session, calendar, source=rel, sha=sha, received=received, claim_key=sha, origin=INBOX,
            reason=f"收到来函：{rel}",
        )  # fmt: skip
        return Registered(case_id)
    tracking, earlier = found
    if tracking.origin == INBOX and tracking.source_path == rel and tracking.inbox_cleared_at is None:
        return Registered(earlier.id, new=False)  # this very file, registered before
    if not _unchanged(still_there(), st):
        return None  # gone, or replaced since we hashed it: the rescan looks at what is there now
    key = hashlib.sha256(f"dup|{sha}|{rel}|{st.st_ino}|{st.st_mtime_ns}".encode()).hexdigest()
    again = session.execute(select(CaseTracking).where(CaseTracking.claim_key == key)).scalar_one_or_none()
    if again is not None:
        return Registered(again.case_id, duplicate_of=earlier.id, new=False)
    case_id = open_case(
        session, calendar, source=rel, sha=sha, received=received, claim_key=key, origin=INBOX,
        reason=f"收到来函：{rel}（与第{earlier.id}号案件内容相同）", duplicate_of=earlier.id,
    )  # fmt: skip
    return Registered(case_id, duplicate_of=earlier.id)


def _unchanged(now_st: os.stat_result | None, st: os.stat_result) -> bool:
    return now_st is not None and (now_st.st_ino, now_st.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class AnswerAgain:
    """A clerk's decision to answer the same bytes again (再次答复), with the reason."""

    account: Account
    reason: str


def again_reason(decision: AnswerAgain) -> str:
    """The reason, checked: the clerk's role and a reason given. One rule for both edges that can
    answer a duplicate again (the console's 再次答复 and `letters process --again`)."""
    require_role(decision.account, Action.ANSWER_AGAIN)
    reason = " ".join(decision.reason.split())
    if not reason:
        raise InvalidRequest("no reason", "请写明再次答复的原因（例如：来函单位称原复函未收到）。")
    return bounded(reason, Typed.REASON)


def answered_again(reason: str, earlier: int | None, account: Account) -> str:
    """The audit wording of 再次答复, the same whichever edge decided it."""
    return f"再次答复：{reason}（与第{earlier}号案件内容相同，{account.signature}决定再次答复）"[:2000]


def register_named(
    session: Session,
    calendar: WorkCalendar,
    path: Path,
    sha: str,
    now: dt.datetime,
    *,
    again: AnswerAgain | None = None,
) -> Registered:
    """A file a person named to `letters process`: a new case, an unfinished one to resume, or a
    duplicate. `again` answers the same bytes again, on a signed-in clerk's word and reason.

    Run after recovery has handed back the cases of dead workers: a case still
    'processing' is in a live worker's hands, and is refused."""
    source = str(path)
    reason = again_reason(again) if again is not None else None
    found = _first(session, sha)
    if found is not None and found[1].state in RETRIED_AFTER:
        _retire(session, found[0], sha)
        found = None
    if found is None:
        case_id = open_case(
            session, calendar, source=source, sha=sha, received=now, claim_key=sha, origin=PROCESS,
            reason=f"办理来函：{path.name}",
        )  # fmt: skip
        return Registered(case_id)
    _, earlier = found
    if earlier.state == CaseState.PROCESSING.value:
        raise InvalidRequest(
            f"case {earlier.id} is being processed", f"该来函正在办理中（第{earlier.id}号案件），请稍后查看。"
        )
    if earlier.state == CaseState.RECEIVED.value and again is None:
        return Registered(earlier.id, new=False)  # e.g. a killed run's case: finish it from its last step
    if again is not None and reason is not None:
        case_id = open_case(
            session, calendar, source=source, sha=sha, received=now, origin=PROCESS,
            claim_key=hashlib.sha256(f"again|{sha}|{uuid.uuid4().hex}".encode()).hexdigest(),
            reason=answered_again(reason, earlier.id, again.account), actor=again.account.signature,
        )  # fmt: skip
        return Registered(case_id)
    key = hashlib.sha256(f"dup|{sha}|{uuid.uuid4().hex}".encode()).hexdigest()
    case_id = open_case(
        session, calendar, source=source, sha=sha, received=now, claim_key=key, origin=PROCESS,
        reason=f"办理来函：{path.name}（与第{earlier.id}号案件内容相同）", duplicate_of=earlier.id,
    )  # fmt: skip
    return Registered(case_id, duplicate_of=earlier.id)
