"""管理员: named accounts — add, disable and enable, reset a password. The rules (administrators
only, never one's own account disabled) are the case core's (pipeline.cases.staff)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from pipeline.cases import staff
from pipeline.domain.roles import Role
from pipeline.errors import InvalidRequest
from pipeline.web.auth import me
from pipeline.web.state import context

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/accounts")
@login_required
def accounts():  # type: ignore[no-untyped-def]
    return render_template("accounts.html", rows=staff.listing(context(), me()), roles=list(Role))


def _password() -> str:
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        raise InvalidRequest("passwords differ", "两次输入的密码不一致。")
    return password


@blueprint.route("/accounts", methods=["POST"])
@login_required
def add():  # type: ignore[no-untyped-def]
    account = staff.add(
        context(), me(), request.form.get("login", ""), request.form.get("name", ""), request.form.getlist("role"),
        _password(),
    )  # fmt: skip
    flash(f"已新增账号：{account.signature}。请当面告知初始密码。", "ok")
    return redirect(url_for("admin.accounts"))


@blueprint.route("/accounts/<login>/disabled", methods=["POST"])
@login_required
def disabled(login: str):  # type: ignore[no-untyped-def]
    off = request.form.get("disabled") == "1"
    if off and request.form.get("confirmed") != "1":
        raise InvalidRequest("disable not confirmed", "请勾选“确认停用”：停用后该账号立即退出，不能再登录。")
    staff.set_disabled(context(), me(), login, off, request.form.get("reason", ""))
    flash(f"账号 {login} 已{'停用' if off else '启用'}。", "ok")
    return redirect(url_for("admin.accounts"))


@blueprint.route("/accounts/<login>/password", methods=["POST"])
@login_required
def password(login: str):  # type: ignore[no-untyped-def]
    staff.reset_password(context(), me(), login, _password())
    flash(f"账号 {login} 的密码已重置，锁定已解除。", "ok")
    return redirect(url_for("admin.accounts"))
