"""The queue: cases waiting for a person, by due date, with what settles them; and the dashboard counts."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from pipeline.cases.deadlines import keep_current
from pipeline.domain.reasons import Settle
from pipeline.errors import InvalidRequest
from pipeline.service.queries import list_cases, status
from pipeline.storage.models import Case, CaseState
from pipeline.web.state import context

blueprint = Blueprint("queue", __name__)

SETTLE_ZH = {
    Settle.CORRECTION.value: "需更正",
    Settle.CONFIRMATION.value: "需确认",
    Settle.DECISION.value: "需核实结论",
    Settle.ADMINISTRATOR.value: "需管理员",
    Settle.APPROVAL.value: "待批准",
}
STATES = {
    "waiting": [CaseState.WAITING_REVIEW.value],
    "open": [CaseState.RECEIVED.value, CaseState.PROCESSING.value, CaseState.WAITING_REVIEW.value],
    "failed": [CaseState.FAILED.value, CaseState.DUPLICATE.value],
    "all": [],
}


@blueprint.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    ctx = context()
    keep_current(
        ctx.db, ctx.calendar, ctx.settings.holidays_path()
    )  # holidays.toml edited: open due dates counted again
    which = request.args.get("state", "waiting")
    states = STATES.get(which, STATES["waiting"])
    unit = request.args.get("unit", "").strip()
    with ctx.db.sessions() as session:
        rows = list_cases(session, ctx.calendar, states=states or None, limit=500)
        overview = status(session, ctx.calendar, ctx.settings.freshness_days)
        today = dt.datetime.combine(dt.date.today(), dt.time())
        replied_today = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.state == CaseState.REPLIED.value, Case.updated_at >= today)
        )
    reason = request.args.get("reason", "")
    since, until = _day(request.args.get("since", "")), _day(request.args.get("until", ""))
    if unit:
        rows = [r for r in rows if r.unit and unit in r.unit]
    if reason in SETTLE_ZH:
        rows = [r for r in rows if reason in r.settle]
    if since:
        rows = [r for r in rows if r.received_at.date() >= since]
    if until:
        rows = [r for r in rows if r.received_at.date() <= until]
    rows.sort(key=lambda r: (r.due or dt.date.max, r.id))  # the most urgent first
    stale = [name for name, _, _, is_stale in overview.lists if is_stale]
    return render_template(
        "queue.html", rows=rows, which=which, unit=unit, settle_zh=SETTLE_ZH, overview=overview, stale=stale,
        reason=reason, since=since, until=until,
        replied_today=replied_today or 0, watchers=[i for i in overview.instances if i.mode in ("events", "polling")],
        states_zh={s.value: s.label_zh for s in CaseState},
    )  # fmt: skip


def _day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        raise InvalidRequest(f"bad date {raw!r}", f"日期格式无效：{raw}（应写作 2026-06-04）") from None
