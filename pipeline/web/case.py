"""One case: the letter's fields, why it waits, the roster with its verdicts, and the actions.

Every action is a POST with a CSRF token that calls the case core with the
signed-in account; the core decides what that account may do. Viewing a
case's personal data is an audit event.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from pipeline.cases import review
from pipeline.cases.transitions import note
from pipeline.domain.reasons import Settle
from pipeline.domain.result import Verdict
from pipeline.service.case_view import HOW_ZH, case_detail
from pipeline.storage import write_transaction
from pipeline.web.auth import me
from pipeline.web.state import context

blueprint = Blueprint("case", __name__, url_prefix="/cases")
FIELDS = ("unit", "doc_number", "date", "addressee", "kind")


@blueprint.route("/<int:case_id>")
@login_required
def show(case_id: int):  # type: ignore[no-untyped-def]
    ctx = context()
    detail = case_detail(ctx, case_id)
    with write_transaction(ctx.db.sessions) as session:  # 全程留痕: who looked at whose personal data
        note(
            session,
            case_id,
            actor=me().signature,
            reason="查看案件（含查询对象个人信息）",
            now=dt.datetime.now(),
        )
    return render_template(
        "case.html", case=detail, how_zh=HOW_ZH, Settle=Settle, Verdict=Verdict, account=me(),
    )  # fmt: skip


def _done(case_id: int, result: review.ReviewResult):  # type: ignore[no-untyped-def]
    if result.state == "replied":
        flash(f"已生成复函：{result.reply_doc_number}（已放入发件箱）。", "ok")
    else:
        flash("已保存，仍需处理：" + "；".join(r.text for r in result.reasons), "warn")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/approve", methods=["POST"])
@login_required
def approve(case_id: int):  # type: ignore[no-untyped-def]
    return _done(case_id, review.approve(context(), case_id, me()))


@blueprint.route("/<int:case_id>/correct", methods=["POST"])
@login_required
def correct(case_id: int):  # type: ignore[no-untyped-def]
    """The form holds every field and person; only what the clerk changed becomes a correction."""
    form = request.form
    items = []
    for key in FIELDS:
        if key in form and form[key].strip() != form.get(f"was_{key}", "").strip():
            items.append(f"{key}={form[key].strip()}")
    for key, value in form.items():
        seq, _, attr = key.partition(".")
        if not seq.isdigit():
            continue
        if attr in ("name", "id_number") and value.strip() != form.get(f"was_{key}", "").strip():
            items.append(f"{key}={value.strip()}")
        elif attr == "result" and value:
            items.append(f"{key}={value}")
    if not items:
        flash("没有修改任何内容。", "warn")
        return redirect(url_for("case.show", case_id=case_id))
    return _done(case_id, review.correct(context(), case_id, items, me()))


@blueprint.route("/<int:case_id>/confirm", methods=["POST"])
@login_required
def confirm(case_id: int):  # type: ignore[no-untyped-def]
    return _done(case_id, review.confirm(context(), case_id, request.form.getlist("code"), me()))
