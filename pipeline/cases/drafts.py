"""A clerk's unsubmitted changes to a waiting case: kept across reloads and a lapsed hold.

The console saves the form as the clerk works (saving renews the hold) and
restores it on the next visit; submitting turns it into a correction and
removes it in the same transaction (review._take). A draft is never a
correction: nothing in it reaches a reply until it is submitted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from pipeline.cases.actions import Action, require
from pipeline.cases.context import ServiceContext
from pipeline.cases.holds import keep, not_held_by_another
from pipeline.cases.transitions import note
from pipeline.domain.roles import Account
from pipeline.errors import InvalidRequest
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseDraft, CaseTracking

MAX_DRAFT_BYTES = 512 * 1024  # a 2,000-person roster fits; anything larger is not a clerk typing
_KEYS = {"fields": dict, "deleted": list, "added": list, "results": dict, "compared": list}


@dataclass(frozen=True, slots=True)
class Draft:
    body: dict
    saved_by: str
    saved_at: dt.datetime


def _checked(body: object) -> dict:
    """Only the shape the console writes: plain strings and row numbers, nothing else kept."""
    if not isinstance(body, dict) or set(body) - set(_KEYS):
        raise InvalidRequest("bad draft", "草稿内容格式无效。")
    for key, kind in _KEYS.items():
        if not isinstance(body.get(key, kind()), kind):
            raise InvalidRequest(f"bad draft {key}", "草稿内容格式无效。")
    fields, results = body.get("fields", {}), body.get("results", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in (*fields.items(), *results.items())):
        raise InvalidRequest("bad draft values", "草稿内容格式无效。")
    if (
        not all(isinstance(n, int) for n in body.get("deleted", []))
        or not all(
            isinstance(row, list) and len(row) == 2 and all(isinstance(v, str) for v in row)
            for row in body.get("added", [])
        )
        or not all(isinstance(item, str) and len(item) < 20 for item in body.get("compared", []))
    ):
        raise InvalidRequest("bad draft rows", "草稿内容格式无效。")
    if len(json.dumps(body, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise InvalidRequest("draft too large", "草稿内容过大，请先提交已做的更正。")
    return {key: body.get(key, kind()) for key, kind in _KEYS.items()}


def save_draft(
    ctx: ServiceContext, case_id: int, account: Account, body: object, now: dt.datetime | None = None
) -> Draft:
    """Keep the clerk's form; working on it keeps the case held."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    checked = _checked(body)
    with write_transaction(ctx.db.sessions) as session:
        require(session, case_id, account, Action.CORRECT, now)  # a draft is a correction under way
        tracking = session.get(CaseTracking, case_id)
        if tracking is not None:
            keep(tracking, account.signature, now)
        draft = session.get(CaseDraft, case_id)
        if draft is None:
            session.add(CaseDraft(case_id=case_id, body=checked, saved_by=account.signature, saved_at=now))
        else:
            draft.body, draft.saved_by, draft.saved_at = checked, account.signature, now
    return Draft(checked, account.signature, now)


def load_draft(ctx: ServiceContext, case_id: int) -> Draft | None:
    with ctx.db.sessions() as session:
        return draft_in(session, case_id)


def draft_in(session: Session, case_id: int) -> Draft | None:
    draft = session.get(CaseDraft, case_id)
    return None if draft is None else Draft(dict(draft.body), draft.saved_by, draft.saved_at)


def discard_draft(
    ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None
) -> bool:
    """放弃草稿: back to the case as stored. Audited, since another person's work may go."""
    now = now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        not_held_by_another(session, case_id, account.signature, now)
        draft = session.get(CaseDraft, case_id)
        if draft is None:
            return False
        note(session, case_id, actor=account.signature, reason=f"放弃草稿（{draft.saved_by}保存）", now=now)
        session.delete(draft)
    return True


def drop_draft(session: Session, case_id: int) -> None:
    """Inside the transaction that submits the draft's content."""
    session.execute(delete(CaseDraft).where(CaseDraft.case_id == case_id))
