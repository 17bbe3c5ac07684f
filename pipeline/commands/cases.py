"""`letters cases`: the case list with deadlines; `letters cases delay|close|reprocess|attach|again CASE …`:
a clerk's requests on a case, under the case core's rules (pipeline.cases.actions), as in the console."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from pipeline.commands import auth
from pipeline.domain.deadlines import DeadlineFlag
from pipeline.domain.states import CaseState
from pipeline.errors import InvalidRequest, UsageError

if TYPE_CHECKING:  # the case core loads when a command runs, not for --help
    from pipeline.cases.listing import CaseRow


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
    r = inner.add_parser(
        "reprocess",
        help="重新处理处理失败的案件（从存档原件重新读取）",
        description="问题排除后，由收件箱服务从存档原件重新读取、提取和核查；仍按原接收时间计算办理期限。",
    )
    r.add_argument("case", type=int, help="案件编号")
    auth.add_arguments(r, "经办人员")
    r.set_defaults(func=run_reprocess)
    t = inner.add_parser(
        "attach",
        help="将未附来函的名单附到来函所在的案件",
        description="名单与来函合并为一封来函重新办理（按来函的接收时间计算期限），名单所在的案件随之关闭。",
    )
    t.add_argument("case", type=int, help="名单所在的案件编号")
    t.add_argument("--to", type=int, required=True, metavar="案件编号", help="来函所在的案件编号")
    auth.add_arguments(t, "经办人员")
    t.set_defaults(func=run_attach)
    g = inner.add_parser(
        "again",
        help="再次答复重复来函（须写明原因）",
        description="与此前来函内容完全相同的文件未重复办理；确需再次答复时（例如来函单位称原复函未收到），写明原因。",
    )
    g.add_argument("case", type=int, help="案件编号")
    g.add_argument("--reason", required=True, help="再次答复的原因")
    auth.add_arguments(g, "经办人员")
    g.set_defaults(func=run_again)
    for name, help_zh, description, func in (
        (
            "claim",
            "领取办理待复核的案件（他人暂为只读）",
            "领取后，其他人员只能查看，直至放弃领取、被复核人员释放或闲置超时。",
            run_claim,
        ),
        (
            "unclaim",
            "释放他人领取的案件（复核人员）",
            "复核人员释放任何人对案件的领取，记入审计日志。",
            run_unclaim,
        ),
        ("handback", "放弃自己领取的案件", "放弃领取后，其他人员可以办理该案件。", run_handback),
    ):
        k = inner.add_parser(name, help=help_zh, description=description)
        k.add_argument("case", type=int, help="案件编号")
        auth.add_arguments(k, "办理人员")
        k.set_defaults(func=func)


def format_row(row: CaseRow) -> str:
    flag = f"  【{row.flag.label_zh}】" if row.flag else ""
    delayed = "（已延期）" if row.delayed else ""
    people = f"{row.people}人" if row.people is not None else "—"
    return (
        f"{row.id:>5}  {row.state_zh:<6}  {row.unit or '（未识别）'}  {row.doc_number or '（无文号）'}  {people}  "
        f"接收 {row.received_at:%Y-%m-%d %H:%M}  期限 {f'{row.due:%Y-%m-%d}' if row.due else '—'}{delayed}{flag}"
    )


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.listing import list_cases

    with open_context() as ctx:
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
                f"\n共{len(rows)}件，其中{sum(r.flag is DeadlineFlag.OVERDUE for r in rows)}件已超期，"
                f"{sum(r.flag.due_soon for r in rows)}件即将到期。"
            )
        return 0


def parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise UsageError(f"bad date {text!r}", f"日期格式无效：{text}（应写作 2026-12-08）")


def run_delay(args: argparse.Namespace) -> int:
    from pipeline.cases import requests
    from pipeline.cases.context import open_context
    from pipeline.storage import write_transaction

    until = parse_date(args.until)
    with open_context() as ctx:
        account = auth.sign_in(ctx, args)
        with write_transaction(ctx.db.sessions) as session:
            requests.delay(session, ctx.calendar, args.case, until=until, reason=args.reason, account=account)
        print(f"第{args.case}号案件已延期至 {until:%Y年%m月%d日}（{account.signature}）。")
        return 0


def run_close(args: argparse.Namespace) -> int:
    from pipeline.cases import requests
    from pipeline.cases.context import open_context
    from pipeline.storage import write_transaction

    with open_context() as ctx:
        account = auth.sign_in(ctx, args)
        with write_transaction(ctx.db.sessions) as session:
            requests.close(session, args.case, reason=args.reason, account=account)
        print(f"第{args.case}号案件已关闭（{account.signature}：{args.reason.strip()}）。")
        return 0


def run_reprocess(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.reprocess import reprocess

    with open_context() as ctx:
        reprocess(ctx, args.case, auth.sign_in(ctx, args))
        print(f"第{args.case}号案件已交由收件箱服务重新处理（收件箱服务未运行时，将在其启动后处理）。")
        return 0


def run_attach(args: argparse.Namespace) -> int:
    from pipeline.cases.attach import attach_roster
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        attach_roster(ctx, args.case, args.to, auth.sign_in(ctx, args))
        print(f"名单已附到第{args.to}号案件的来函，已交由收件箱服务重新办理。")
        return 0


def run_again(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.reprocess import answer_again

    with open_context() as ctx:
        answer_again(ctx, args.case, auth.sign_in(ctx, args), args.reason)
        print(f"第{args.case}号案件已交由收件箱服务作为新的来函办理。")
        return 0


def run_claim(args: argparse.Namespace) -> int:
    from pipeline.cases import holds
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        holds.claim(ctx, args.case, auth.sign_in(ctx, args))
    print(f"已领取第{args.case}号案件（其他人员暂为只读）。")
    return 0


def run_unclaim(args: argparse.Namespace) -> int:
    from pipeline.cases import holds
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        was = holds.release_claim(ctx, args.case, auth.sign_in(ctx, args))
    print(f"已释放第{args.case}号案件（原由{was}领取）。")
    return 0


def run_handback(args: argparse.Namespace) -> int:
    from pipeline.cases import holds
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        if not holds.hand_back(ctx, args.case, auth.sign_in(ctx, args)):
            raise InvalidRequest("not held by this person", f"第{args.case}号案件不是由您领取的。")
    print(f"已放弃领取第{args.case}号案件。")
    return 0
