"""`letters report --period 2026-11|2026Q4|2026`: the periodic report (定期通报) as .docx, PDF, .xlsx."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.commands.auth import sign_in
from pipeline.errors import NotAllowed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="定期通报：生成某月、季度或年度的工作情况通报（.docx、PDF、.xlsx）",
        description="按案件记录和审计日志统计来函、复函、命中、时限、延期、抽查等情况，生成通报。",
    )
    p.add_argument("--period", required=True, help="统计期间：2026-11（月）、2026Q4（季度）、2026（年）")
    p.add_argument("--out", type=Path, default=None, help="输出文件夹（默认 data/reports/）")
    p.add_argument(
        "--workload", action="store_true", help="包含经办工作量（仅限管理员、审计，须以 --user 登录）"
    )
    p.add_argument("--user", metavar="用户名", help="--workload 时：管理员或审计的账号，随后输入密码")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.reports.build import build_report  # charts and fonts: only when a report is made
    from pipeline.reports.period import parse_period

    period = parse_period(args.period)
    with open_context() as ctx:
        if args.workload and not args.user:
            raise NotAllowed("workload without --user", "经办工作量仅限管理员、审计查看：请用 --user 登录。")
        folder = args.out or ctx.settings.path(ctx.settings.data_dir) / "reports"
        files = build_report(ctx, period, folder, workload_for=sign_in(ctx, args) if args.workload else None)
        print(f"已生成{period.label_zh}工作情况通报：")
        for path in (files.docx, files.pdf, files.xlsx):
            print(f"  {path}")
        return 0
