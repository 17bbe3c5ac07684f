"""Sign-in with a named account; every page but the sign-in page needs one."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from pipeline.accounts import authenticate, get_account
from pipeline.cases.holds import release_holds
from pipeline.domain.roles import Account
from pipeline.errors import NotAllowed
from pipeline.web.state import context

blueprint = Blueprint("auth", __name__)


class User(UserMixin):
    def __init__(self, account: Account) -> None:
        self.account = account

    def get_id(self) -> str:
        return self.account.login


def install(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"

    @manager.user_loader
    def load(login: str) -> User | None:
        with context().db.sessions() as s:
            account = get_account(s, login)  # a disabled account's sessions end at once
        return User(account) if account else None


def me() -> Account:
    return current_user.account  # type: ignore[no-any-return]


@blueprint.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error = None
    if request.method == "POST":
        try:
            account = authenticate(
                context().db.sessions, request.form.get("login", ""), request.form.get("password", ""),
                dt.datetime.now(),
            )  # fmt: skip
        except NotAllowed as exc:
            error = exc.message_zh
        else:
            session.clear()  # a fresh session: no fixation
            session.permanent = True
            login_user(User(account))
            return redirect(url_for("queue.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    release_holds(context(), me())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
