"""抽查抽检: the replies drawn for a re-check, and recording what the re-check found."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from pipeline.cases import spotchecks
from pipeline.cases.reads import Read, may_read
from pipeline.domain.sampling import SpotStatus
from pipeline.errors import InvalidRequest
from pipeline.web.auth import me
from pipeline.web.state import context

blueprint = Blueprint("spot", __name__, url_prefix="/spotchecks")


@blueprint.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    raw = request.args.get("status", SpotStatus.OPEN.value)
    which = SpotStatus(raw) if raw in set(SpotStatus) else None
    ctx = context()
    rows = spotchecks.spot_checks(ctx, me(), status=which)
    recount, seed = (
        spotchecks.draw_audit(ctx, me()) if may_read(me(), Read.SPOT_CHECK_AUDIT) else (None, None)
    )
    return render_template(
        "spotchecks.html", rows=rows, which=raw, status_zh=spotchecks.STATUS_ZH, recount=recount, seed=seed,
        share=ctx.settings.spot_check_share,
    )  # fmt: skip


@blueprint.route("/<int:case_id>", methods=["POST"])
@login_required
def record(case_id: int):  # type: ignore[no-untyped-def]
    result = request.form.get("result")
    if result not in ("agreed", "error"):
        raise InvalidRequest(f"spot check result {result!r}", "请选择核对结果：核对无误或发现错误。")
    agreed = result == "agreed"
    done = spotchecks.record(context(), case_id, me(), agreed=agreed, finding=request.form.get("finding", ""))
    flash(f"抽查结果已记录：{done.status_zh}。", "ok" if agreed else "warn")
    return redirect(url_for("case.show", case_id=case_id))
