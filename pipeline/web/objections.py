"""异议 in the console: the open objections with their clocks, and each step of one chain."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from pipeline.cases import objections, viewing
from pipeline.domain.objection import NATIONAL, Stage
from pipeline.errors import CaseNotFound, InvalidRequest
from pipeline.web.auth import me
from pipeline.web.heavy import heavy
from pipeline.web.pages import preview_image, render_objection_preview
from pipeline.web.state import context

blueprint = Blueprint("objections", __name__, url_prefix="/objections")


@blueprint.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    rows = objections.objections(context(), me(), open_only=request.args.get("all") != "1")
    return render_template("objections.html", rows=rows, today=dt.date.today())


@blueprint.route("/<int:case_id>")
@login_required
def show(case_id: int):  # type: ignore[no-untyped-def]
    view = objections.page(context(), case_id, me())
    return render_template(
        "objection.html", o=view, today=dt.date.today(), Stage=Stage, NATIONAL=NATIONAL,
        Step=objections.Step, allowed=objections.allowed_steps(view, me()),
    )  # fmt: skip


@blueprint.route("/<int:case_id>/preview")
@login_required
@heavy
def preview(case_id: int):  # type: ignore[no-untyped-def]
    """The letter this stage sends, as it will go (its 文号 is given when it is sent)."""
    ctx = context()
    pages, tag, step = render_objection_preview(ctx, case_id, me())  # the core records the look
    return render_template(
        "objection_preview.html", o=objections.view(ctx, case_id), pages=pages, tag=tag, step=step,
        Step=objections.Step, NATIONAL=NATIONAL, verdict_zh=objections.VERDICT_ZH,
    )  # fmt: skip


@blueprint.route("/<int:case_id>/preview/<int:number>")
@login_required
def preview_page(case_id: int, number: int):  # type: ignore[no-untyped-def]
    viewing.see(context(), case_id, me(), viewing.preview_page(number))
    found = preview_image(context(), case_id, number, "objection")
    if found is None:
        raise CaseNotFound(f"no objection preview page {number}", "找不到该页，请重新打开预览。")
    response = send_file(found, mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _day(key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get(key, ""))
    except ValueError:
        raise InvalidRequest(f"bad {key}", "请填写日期。") from None


@blueprint.route("/<int:case_id>/<step>", methods=["POST"])
@login_required
def step(case_id: int, step: str):  # type: ignore[no-untyped-def]
    ctx, account, form = context(), me(), request.form
    if step == "link":
        original = form.get("original", "")
        if not original.isdigit():
            raise InvalidRequest("bad original", "请填写原查询案件的编号。")
        objections.link(ctx, case_id, int(original), account)
        flash("已关联原查询案件。", "ok")
    elif step == "apply":
        number = objections.apply(ctx, case_id, account, seen=form.get("seen", ""))
        flash(f"已发出异议复核申请函（{number}），已放入发件箱。", "ok")
    elif step == "result":
        changes = {
            key.removeprefix("now."): value
            for key, value in form.items()
            if key.startswith("now.") and value and value != form.get("was." + key.removeprefix("now."))
        }
        result = objections.record_result(
            ctx, case_id, account, changes=changes, received_on=_day("received_on")
        )
        flash(f"已登记复核结果：{result.label_zh}。", "ok")
    elif step == "notify":
        number = objections.notify(ctx, case_id, account, seen=form.get("seen", ""))
        flash(f"已发出复核结果告知函（{number}），已放入发件箱。", "ok")
    elif step == "delay":
        try:
            contacted = dt.datetime.fromisoformat(form.get("contacted_at", ""))
        except ValueError:
            raise InvalidRequest("bad contacted_at", "请填写与异议申请单位沟通的时间。") from None
        objections.delay(
            ctx, case_id, account, until=_day("until"), contacted_who=form.get("contacted_who", ""),
            contacted_at=contacted, how=form.get("how", ""), reason=form.get("reason", ""),
        )  # fmt: skip
        flash("已延期。", "ok")
    else:
        raise InvalidRequest(f"no step {step}", "不支持该操作。")
    return redirect(url_for("objections.show", case_id=case_id))
