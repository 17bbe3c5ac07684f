"""Console sessions on the server: started at sign-in, resumed by the cookie's random token, and
ended for good by logout, a password reset, disabling the account, or the idle and absolute limits.

The cookie alone proves nothing: a session is whatever its row says now, so a captured cookie is
worthless once the row has ended (OWASP session management: server-side state, invalidation on
logout and on credential change). Only the token's SHA-256 is stored, so the table cannot be
replayed either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.domain.roles import Account
from pipeline.storage.case_models import UserAccount, WebSession

ABSOLUTE_HOURS = 12  # a working day: a session never outlives it, however busy
TOUCH_SECONDS = 30  # last_seen is written at most this often (a page loads many images)


class Ended(StrEnum):
    LOGOUT = "logout"
    PASSWORD_RESET = "password_reset"
    DISABLED = "disabled"
    IDLE = "idle"
    EXPIRED = "expired"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, account: Account, now: dt.datetime) -> str:
    """A new session for `account`; the token goes into the cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_sha256=_digest(token), login=account.login, created_at=now, last_seen=now))
    return token


def resume(session: Session, token: str, now: dt.datetime, idle: dt.timedelta) -> str | None:
    """The login of a live session (touched), or None: unknown, ended, idle too long, past the
    absolute limit, or its account disabled meanwhile (then it is ended, with why)."""
    row = session.get(WebSession, _digest(token)) if token else None
    if row is None or row.ended_at is not None:
        return None
    account = session.scalar(select(UserAccount).where(UserAccount.login == row.login))
    why = (
        Ended.DISABLED
        if account is None or account.disabled
        else Ended.EXPIRED
        if now - row.created_at > dt.timedelta(hours=ABSOLUTE_HOURS)
        else Ended.IDLE
        if now - row.last_seen > idle
        else None
    )
    if why is not None:
        row.ended_at, row.ended_why = now, why.value
        return None
    if now - row.last_seen > dt.timedelta(seconds=TOUCH_SECONDS):
        row.last_seen = now
    return row.login


def end(session: Session, token: str, why: Ended, now: dt.datetime) -> None:
    row = session.get(WebSession, _digest(token)) if token else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = now, why.value


def end_all(session: Session, login: str, why: Ended, now: dt.datetime) -> int:
    """End every live session of `login` (a password reset, the account disabled); how many ended."""
    done = session.execute(
        update(WebSession)
        .where(WebSession.login == login, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_why=why.value)
    )
    return int(getattr(done, "rowcount", 0) or 0)
