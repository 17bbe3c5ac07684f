"""`letters cases`: the case list with deadlines; `letters cases delay CASE …`: 延期."""

from __future__ import annotations

import argparse
import datetime as dt

from pipeline.cases import requests
from pipeline.cases.context import open_context
from pipeline.commands import auth
from pipeline.errors import UsageError
from pipeline.service.queries import CaseRow, list_cases
from pipeline.storage import write_transaction
from pipeline.storage.models import CaseState


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cases",
        help="列出案件（状态、来函单位、文号、人数、接收、期限）",
        description="列出案件，标出即将到期和已超期的案件。",
    )
    p.add_argument(
        "--state", action="append", choices=[s.value for s in CaseState], help="只列出该状态的案件（可重复）"
    )
    p.add_argument("--open", action="store_true", help="只列出尚未办结的案件")
    p.add_argument("--limit", type=int, default=50, help="最多列出多少件（默认 50）")
    p.set_defaults(func=run_list)
    inner = p.add_subparsers(dest="cases_command", metavar="子命令")
    d = inner.add_parser(
        "delay", help="延期办理（须已与来函单位沟通）", description="将案件的办理期限延至新的日期。"
    )
    d.add_argument("case", type=int, help="案件编号")
    d.add_argument("--until", required=True, help="新的办理期限，例如 2026-12-08")
    d.add_argument("--reason", required=True, help="延期原因（与来函单位沟通的情况）")
    auth.add_arguments(d, "办理延期的经办人员")
    d.set_defaults(func=run_delay)
    c = inner.add_parser(
        "close",
        help="关闭处理失败或重复来函的案件（须写明原因）",
        description="关闭处理失败或重复来函的案件：这类文件无需在3个工作日内复函，由工作人员写明原因后关闭。",
    )
    c.add_argument("case", type=int, help="案件编号")
    c.add_argument("--reason", required=True, help="关闭原因，例如：误放入收件箱的说明文件")
    auth.add_arguments(c, "关闭案件的经办人员")
    c.set_defaults(func=run_close)


def format_row(row: CaseRow) -> str:
    flag = f"  【{row.flag}】" if row.flag else ""
    delayed = "（已延期）" if row.delayed else ""
    people = f"{row.people}人" if row.people is not None else "—"
    return (
        f"{row.id:>5}  {row.state_zh:<6}  {row.unit or '（未识别）'}  {row.doc_number or '（无文号）'}  {people}  "
        f"接收 {row.received_at:%Y-%m-%d %H:%M}  期限 {f'{row.due:%Y-%m-%d}' if row.due else '—'}{delayed}{flag}"
    )


def run_list(args: argparse.Namespace) -> int:
    ctx = open_context()
    try:
        states = args.state or (
            [
                s.value
                for s in CaseState
                if s not in (CaseState.REPLIED, CaseState.DUPLICATE, CaseState.CLOSED)
            ]
            if args.open
            else None
        )
        with ctx.db.sessions() as session:
            rows = list_cases(session, ctx.calendar, states=states, limit=args.limit)
        if not rows:
            print("没有案件。")
            return 0
        print(f"{'编号':>5}  状态    来函单位  来函文号  人数  接收时间  办理期限")
        for row in rows:
            print(format_row(row))
        flagged = [r for r in rows if r.flag]
        if flagged:
            print(
                f"\n共{len(rows)}件，其中{sum(r.flag == '已超期' for r in rows)}件已超期，"
                f"{sum(r.flag in ('即将到期', '今日到期') for r in rows)}件即将到期。"
            )
        return 0
    finally:
        ctx.close()


def parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise UsageError(f"bad date {text!r}", f"日期格式无效：{text}（应写作 2026-12-08）")


def run_delay(args: argparse.Namespace) -> int:
    until = parse_date(args.until)
    ctx = open_context()
    try:
        account = auth.sign_in(ctx, args)
        with write_transaction(ctx.db.sessions) as session:
            requests.delay(session, ctx.calendar, args.case, until=until, reason=args.reason, account=account)
        print(f"第{args.case}号案件已延期至 {until:%Y年%m月%d日}（{account.signature}）。")
        return 0
    finally:
        ctx.close()


def run_close(args: argparse.Namespace) -> int:
    ctx = open_context()
    try:
        account = auth.sign_in(ctx, args)
        with write_transaction(ctx.db.sessions) as session:
            requests.close(session, args.case, reason=args.reason, account=account)
        print(f"第{args.case}号案件已关闭（{account.signature}：{args.reason.strip()}）。")
        return 0
    finally:
        ctx.close()
