"""审计: the audit log, read-only, searchable, and its hash chain verified on request."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required

from pipeline.cases.audit_log import PAGE, EventFilter, find_events, verify
from pipeline.errors import InvalidRequest
from pipeline.web.auth import me
from pipeline.web.state import context

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


def _date(key: str) -> dt.date | None:
    raw = request.args.get(key, "").strip()
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidRequest(f"bad date {raw!r}", f"日期格式无效：{raw}（应写作 2026-06-04）") from None


def _number(key: str) -> int | None:
    raw = request.args.get(key, "").strip()
    if raw and not raw.isdigit():
        raise InvalidRequest(f"bad number {raw!r}", f"应填写数字：{raw}")
    return int(raw) if raw else None


@blueprint.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    wanted = EventFilter(
        case_id=_number("case"), actor=request.args.get("actor", "").strip(),
        text=request.args.get("text", "").strip(), since=_date("since"), until=_date("until"),
        before=_number("before"),
    )  # fmt: skip
    rows = find_events(context(), me(), wanted)
    older = rows[-1].seq if len(rows) == PAGE else None
    return render_template("audit.html", rows=rows, wanted=wanted, older=older, report=None)


@blueprint.route("/verify", methods=["POST"])
@login_required
def check():  # type: ignore[no-untyped-def]
    ctx = context()
    rows = find_events(ctx, me(), EventFilter())  # refused before the chain is walked
    report, known = verify(ctx)
    return render_template(
        "audit.html", rows=rows, wanted=EventFilter(), older=rows[-1].seq if len(rows) == PAGE else None,
        report=report, known=known,
    ), (200 if report.ok else 409)  # fmt: skip
