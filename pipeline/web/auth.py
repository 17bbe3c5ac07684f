"""Sign-in with a named account; every page but the sign-in page needs one.

The session lives on the server (pipeline.accounts.sessions): Flask-Login's user id is the session's
random token, so the cookie names a session row, and logout, a password reset, disabling the
account or the idle and absolute limits end it for good.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from pipeline.accounts import authenticate, get_account, sessions
from pipeline.cases import staff
from pipeline.cases.holds import release_holds
from pipeline.domain.roles import Account, Role
from pipeline.errors import NotAllowed
from pipeline.storage import write_transaction
from pipeline.web.state import context
from pipeline.web.throttle import Throttle

log = logging.getLogger("pipeline.web")

blueprint = Blueprint("auth", __name__)


class User(UserMixin):
    def __init__(self, account: Account, token: str) -> None:
        self.account, self.token = account, token

    def get_id(self) -> str:
        return self.token  # what the cookie carries: the session, not the account


def install(app: Flask) -> None:
    app.extensions["letters.throttle"] = Throttle()
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"

    @manager.user_loader
    def load(token: str) -> User | None:
        ctx = context()
        idle = dt.timedelta(minutes=ctx.settings.web_idle_minutes)
        with write_transaction(ctx.db.sessions) as s:
            login = sessions.resume(s, token, dt.datetime.now(), idle)
            account = get_account(s, login) if login else None
        return User(account, token) if account else None


def me() -> Account:
    return current_user.account  # type: ignore[no-any-return]


def require(*roles: Role) -> Account:
    """The signed-in account, if it holds one of `roles` (分级授权); refused otherwise."""
    account = me()
    account.require(*roles)
    return account


@blueprint.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error, status = None, 200
    if request.method == "POST":
        now, address = dt.datetime.now(), request.remote_addr or "?"
        throttle: Throttle = current_app.extensions["letters.throttle"]
        until = throttle.blocked_until(address, now)
        if until is not None:
            return render_template(
                "login.html", error=f"该地址登录失败次数过多，请于{until:%H:%M}后再试。"
            ), 429
        try:
            account = authenticate(
                context().db.sessions, request.form.get("login", ""), request.form.get("password", ""), now
            )
        except NotAllowed as exc:
            error, status = exc.message_zh, 401
            if throttle.failed(address, now):
                log.warning("sign-in from %s refused for %s: too many failures", address, throttle.window)
        else:
            session.clear()  # a fresh session: no fixation
            session.permanent = True
            with write_transaction(context().db.sessions) as s:
                token = sessions.start(s, account, now)
            login_user(User(account, token))
            return redirect(url_for("queue.index"))
    return render_template("login.html", error=error, nobody=staff.first_account_needed(context())), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    release_holds(context(), me())
    with write_transaction(context().db.sessions) as s:
        sessions.end(s, current_user.token, sessions.Ended.LOGOUT, dt.datetime.now())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
