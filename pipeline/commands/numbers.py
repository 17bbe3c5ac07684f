"""`letters numbers`: the reply 文号 counter against the numbers already issued; an administrator's confirm."""

from __future__ import annotations

import argparse

from pipeline.commands.auth import add_arguments, sign_in
from pipeline.errors import NumbersBehind


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "numbers", help="复函文号计数：与已发出的复函核对",
        description="复函文号计数与已发出的复函（结果文件、发件箱、计数文件）核对；数据库丢失或从旧备份恢复后，由管理员确认校正。",
    )  # fmt: skip
    inner = p.add_subparsers(dest="numbers_command", metavar="子命令", required=True)
    show = inner.add_parser("check", help="核对计数是否落后于已发出的复函")
    show.set_defaults(func=run_check)
    confirm = inner.add_parser("confirm", help="管理员确认：把计数调到已发出的最大文号之后（记入审计日志）")
    add_arguments(confirm, "确认校正的管理员")
    confirm.set_defaults(func=run_confirm)


def run_check(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.numbering import behind, orphans, witnessed

    with open_context() as ctx:
        seen = witnessed(ctx.settings)
        late = behind(ctx.db, ctx.settings, seen)
        lost = orphans(ctx.db, ctx.settings, seen)
        if not late and not lost:
            print("复函文号计数正常：不低于任何已发出的复函；发件箱、结果文件和审计日志中的文号均有案可查。")
            return 0
        for b in late:
            print(b.text(ctx.settings.reply_prefix))
        for o in lost:
            print(f"数据库未记录的文号：{o.text()}")
        print("请管理员核实后执行 letters numbers confirm --user 用户名")
        return NumbersBehind.exit_code


def run_confirm(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.numbering import confirm_numbers, orphans

    with open_context() as ctx:
        account = sign_in(ctx, args)
        lost = orphans(ctx.db, ctx.settings)
        done = confirm_numbers(ctx.db, ctx.settings, account)
        if not done and not lost:
            print("复函文号计数正常，无需校正。")
        for b in done:
            print(f"已校正：{b.text(ctx.settings.reply_prefix)}；此后从第{b.issued + 1}号开始")
        for o in lost:
            print(f"已确认（记入审计日志）：{o.text()}")
        return 0
