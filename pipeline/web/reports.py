"""定期通报 in the console: a period's figures on the page, and its .docx, PDF and .xlsx to download.
The clerks' workload is in them only for 管理员 and 审计."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request, send_file
from flask_login import login_required

from pipeline.cases.reads import Read, may_read
from pipeline.errors import CaseNotFound
from pipeline.reports.build import build_report, report_figures
from pipeline.reports.period import parse_period
from pipeline.reports.render import sections, title
from pipeline.web.auth import me
from pipeline.web.heavy import heavy
from pipeline.web.state import context

blueprint = Blueprint("reports", __name__, url_prefix="/reports")
KINDS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


def _workload() -> bool:
    return may_read(me(), Read.WORKLOAD)


@blueprint.route("/")
@login_required
@heavy
def index():  # type: ignore[no-untyped-def]
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    period = parse_period(request.args.get("period") or f"{last:%Y-%m}")
    f = report_figures(context(), period)
    return render_template(
        "reports.html", period=period, title=title(f), sections=sections(f, workload=_workload()),
        kinds=KINDS,
    )  # fmt: skip


@blueprint.route("/<key>.<kind>")
@login_required
@heavy
def download(key: str, kind: str):  # type: ignore[no-untyped-def]
    if kind not in KINDS:
        raise CaseNotFound(f"no report kind {kind}", "找不到该文件。")
    ctx = context()
    period = parse_period(key)
    folder = ctx.settings.path(ctx.settings.data_dir) / "reports" / me().login  # made for this person
    files = build_report(ctx, period, folder, workload_for=me() if _workload() else None)
    path = {"docx": files.docx, "pdf": files.pdf, "xlsx": files.xlsx}[kind]
    response = send_file(path, mimetype=KINDS[kind], as_attachment=True, download_name=path.name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
