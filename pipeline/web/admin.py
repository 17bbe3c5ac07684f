"""管理员: named accounts — add, disable and enable, reset a password. Every change is audited by
the accounts store; an administrator never disables their own account (nobody could undo it)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from pipeline.accounts import add_account, list_accounts, reset_password, set_disabled
from pipeline.domain.roles import Role
from pipeline.errors import InvalidRequest
from pipeline.storage import write_transaction
from pipeline.web.auth import require
from pipeline.web.state import context

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/accounts")
@login_required
def accounts():  # type: ignore[no-untyped-def]
    require(Role.ADMIN)
    with context().db.sessions() as session:
        rows = list_accounts(session)
    return render_template("accounts.html", rows=rows, roles=list(Role))


def _password() -> str:
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        raise InvalidRequest("passwords differ", "两次输入的密码不一致。")
    return password


@blueprint.route("/accounts", methods=["POST"])
@login_required
def add():  # type: ignore[no-untyped-def]
    admin = require(Role.ADMIN)
    password = _password()
    with write_transaction(context().db.sessions) as session:
        account = add_account(
            session, request.form.get("login", ""), request.form.get("name", ""), request.form.getlist("role"),
            password, by=admin.signature, now=dt.datetime.now(),
        )  # fmt: skip
    flash(f"已新增账号：{account.signature}。请当面告知初始密码。", "ok")
    return redirect(url_for("admin.accounts"))


@blueprint.route("/accounts/<login>/disabled", methods=["POST"])
@login_required
def disabled(login: str):  # type: ignore[no-untyped-def]
    admin = require(Role.ADMIN)
    off = request.form.get("disabled") == "1"
    if off and login == admin.login:
        raise InvalidRequest("disabling oneself", "不能停用自己正在使用的账号。")
    with write_transaction(context().db.sessions) as session:
        set_disabled(session, login, off, by=admin.signature, now=dt.datetime.now())
    flash(f"账号 {login} 已{'停用' if off else '启用'}。", "ok")
    return redirect(url_for("admin.accounts"))


@blueprint.route("/accounts/<login>/password", methods=["POST"])
@login_required
def password(login: str):  # type: ignore[no-untyped-def]
    admin = require(Role.ADMIN)
    new = _password()
    with write_transaction(context().db.sessions) as session:
        reset_password(session, login, new, by=admin.signature, now=dt.datetime.now())
    flash(f"账号 {login} 的密码已重置，锁定已解除。", "ok")
    return redirect(url_for("admin.accounts"))
