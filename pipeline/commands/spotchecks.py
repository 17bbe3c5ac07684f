"""`letters spotchecks`: replies drawn for 抽查抽检; `letters spotchecks record CASE agreed|error`."""

from __future__ import annotations

import argparse

from pipeline.commands.auth import add_arguments, sign_in


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "spotchecks",
        help="抽查抽检：列出被抽中的复函（自动复函按比例随机抽取，含失信对象的复函逐件抽取）",
        description="列出被抽中复核的复函及抽查结果。",
    )
    p.add_argument("--open", action="store_true", help="只列出尚未抽查的")
    add_arguments(p, "查看人", required=False)
    p.set_defaults(func=run_list)
    inner = p.add_subparsers(dest="spotchecks_command", metavar="子命令")
    r = inner.add_parser(
        "record",
        help="记录抽查结果（须由未参与办理该案件的人员进行）",
        description="对照原件、提取结果和复函核对后，记录核对无误或发现的错误。",
    )
    r.add_argument("case", type=int, help="案件编号")
    r.add_argument("result", choices=("agreed", "error"), help="agreed 核对无误；error 发现错误")
    r.add_argument("--finding", default="", help="发现的错误（error 时必填）")
    add_arguments(r, "抽查人员")
    r.set_defaults(func=run_record)


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cases import spotchecks
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        rows = spotchecks.spot_checks(ctx, sign_in(ctx, args), status=spotchecks.OPEN if args.open else None)
        if not rows:
            print("没有被抽中的复函。")
        for s in rows:
            done = f"  {s.checked_by} {s.checked_at:%Y-%m-%d %H:%M}" if s.checked_at else ""
            finding = f"：{s.finding}" if s.finding else ""
            print(f"{s.case_id:>5}  {s.status_zh}{finding}  {s.reply_doc_number or '—'}  {s.unit or '—'}  "
                  f"抽中 {s.drawn_at:%Y-%m-%d %H:%M}（{s.rule}）{done}")  # fmt: skip
        return 0


def run_record(args: argparse.Namespace) -> int:
    from pipeline.cases import spotchecks
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        account = sign_in(ctx, args)
        done = spotchecks.record(
            ctx, args.case, account, agreed=args.result == "agreed", finding=args.finding
        )
        print(
            f"第{done.case_id}号案件抽查结果：{done.status_zh}{('：' + done.finding) if done.finding else ''}（{done.checked_by}）"
        )
        return 0
