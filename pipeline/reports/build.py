"""Make a period's report files: figures from the records, then the three renderings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.cases.context import ServiceContext
from pipeline.cases.reads import Read, require_read
from pipeline.domain.roles import Account
from pipeline.privacy import private_file
from pipeline.reply.fonts import find_fonts
from pipeline.reports.charts import charts as draw_charts
from pipeline.reports.figures import Figures, figures
from pipeline.reports.period import Period
from pipeline.reports.render import ReportFiles, docx_bytes, pdf_bytes, title, xlsx_bytes


def report_figures(ctx: ServiceContext, period: Period) -> Figures:
    """The period's figures, with the period before's beside them."""
    with ctx.db.sessions() as session:
        f = figures(session, ctx.calendar, period)
        f.previous = figures(session, ctx.calendar, period.previous())
        return f


def build_report(
    ctx: ServiceContext, period: Period, folder: Path, *, workload_for: Account | None = None,
    made: dt.date | None = None,
) -> ReportFiles:  # fmt: skip
    """.docx, PDF and .xlsx in `folder` (0600: a report names units and, with the workload, staff).
    The workload per person is included for `workload_for`, refused unless that account may read it."""
    if workload_for is not None:
        require_read(workload_for, Read.WORKLOAD)
    workload = workload_for is not None
    made = made or dt.date.today()
    f = report_figures(ctx, period)
    fonts = find_fonts(ctx.settings.fonts)
    charts = draw_charts(f, fonts.body_path)
    office = ctx.settings.office_name
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{title(f)}{'（含工作量）' if workload else ''}"
    paths = {}
    for suffix, data in (
        ("docx", docx_bytes(f, charts, office, workload=workload, made=made)),
        ("pdf", pdf_bytes(f, charts, office, fonts, workload=workload, made=made)),
        ("xlsx", xlsx_bytes(f, workload=workload)),
    ):
        path = folder / f"{stem}.{suffix}"
        tmp = private_file(path.with_name(path.name + ".part"))
        tmp.write_bytes(data)
        tmp.replace(path)
        paths[suffix] = path
    return ReportFiles(paths["docx"], paths["pdf"], paths["xlsx"], charts)
