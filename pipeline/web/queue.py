"""The queue: cases waiting for a person, by due date, with what settles them; and the dashboard counts."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required

from pipeline.cases.deadlines import keep_current
from pipeline.cases.listing import status
from pipeline.cases.queue import QueueFilter, Which, queue
from pipeline.domain.reasons import Settle
from pipeline.errors import InvalidRequest
from pipeline.storage.models import CaseState
from pipeline.web.auth import me
from pipeline.web.state import context

blueprint = Blueprint("queue", __name__)


@blueprint.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    ctx = context()
    keep_current(
        ctx.db, ctx.calendar, ctx.settings.holidays_path()
    )  # holidays.toml edited: open due dates counted again
    args = request.args
    settle = args.get("reason", "")
    filt = QueueFilter(
        which=Which(args["state"]) if args.get("state") in set(Which) else Which.WAITING,
        unit=args.get("unit", "").strip(),
        settle=Settle(settle) if settle in set(Settle) else None,
        since=_day(args.get("since", "")),
        until=_day(args.get("until", "")),
        page=_page(args.get("page", "")),
    )
    found = queue(ctx, filt, me())
    with ctx.db.sessions() as session:
        overview = status(session, ctx.calendar, ctx.settings.freshness_days)
    stale = [name for name, _, _, is_stale in overview.lists if is_stale]
    return render_template(
        "queue.html", found=found, filt=filt, Settle=Settle, overview=overview, stale=stale,
        watchers=[i for i in overview.instances if i.mode in ("events", "polling")],
        states_zh={s.value: s.label_zh for s in CaseState},
    )  # fmt: skip


def _page(raw: str) -> int:
    return int(raw) if raw.strip().isdigit() and 0 < int(raw) < 1_000_000 else 1


def _day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        raise InvalidRequest(f"bad date {raw!r}", f"日期格式无效：{raw}（应写作 2026-06-04）") from None
