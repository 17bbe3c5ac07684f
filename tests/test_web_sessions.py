"""Console sessions end for good: a captured cookie replayed after logout, a password reset, disabling
the account (and enabling it again), or the idle and absolute limits opens nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from pipeline.accounts import reset_password, sessions, set_disabled
from pipeline.storage import write_transaction
from pipeline.storage.case_models import WebSession
from tests.test_web_pages import Desk


def _replay(app, cookie: str):  # type: ignore[no-untyped-def]
    """Another browser presenting the captured cookie: what the queue answers it."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/")


def _captured(desk: Desk) -> str:
    cookie = desk.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _why(ctx) -> list[str | None]:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        return list(s.scalars(select(WebSession.ended_why).order_by(WebSession.created_at)))


@pytest.mark.parametrize("how", ["logout", "password_reset", "disabled", "idle", "expired"])
def test_a_captured_cookie_opens_nothing_once_its_session_ended(web, how: str) -> None:  # type: ignore[no-untyped-def]
    """Regression: the session was a signed client-side cookie, re-signed on every request, so a
    captured cookie kept working after logout, never met its 30-minute end while used, survived a
    password reset, and came back to life when a disabled account was enabled again."""
    ctx, _, app = web
    clerk = Desk(app, "wangfang")
    cookie = _captured(clerk)
    assert _replay(app, cookie).status_code == 200  # the thief is in, while the session lives
    now = dt.datetime.now()
    if how == "logout":
        assert clerk.post("/logout").status_code == 302
    elif how in ("password_reset", "disabled"):
        with write_transaction(ctx.db.sessions) as s:
            if how == "password_reset":
                reset_password(s, "wangfang", "a-new-password-1", by="管理员甲（admin）", now=now)
            else:
                set_disabled(s, "wangfang", True, by="管理员甲（admin）", now=now)
                set_disabled(s, "wangfang", False, by="管理员甲（admin）", now=now)  # enabled again
    else:
        back = (
            dt.timedelta(minutes=ctx.settings.web_idle_minutes + 1)
            if how == "idle"
            else dt.timedelta(hours=sessions.ABSOLUTE_HOURS + 1)
        )
        with write_transaction(ctx.db.sessions) as s:
            values = {"last_seen": now - back} if how == "idle" else {"created_at": now - back}
            s.execute(update(WebSession).values(**values))
    refused = _replay(app, cookie)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert clerk.get("/").status_code == 302  # the clerk's own browser too: signed out
    assert _why(ctx) == [how]


def test_a_session_in_use_lives_and_the_table_holds_no_token(web) -> None:  # type: ignore[no-untyped-def]
    ctx, _, app = web
    clerk = Desk(app, "wangfang")
    cookie = _captured(clerk)
    with ctx.db.sessions() as s:
        (row,) = s.scalars(select(WebSession))
    assert row.login == "wangfang" and row.ended_at is None
    assert row.token_sha256 not in cookie  # the cookie's token is stored only as its hash
    other = Desk(app, "zhao")  # another person's session is untouched by this one's end
    clerk.post("/logout")
    assert other.get("/").status_code == 200
