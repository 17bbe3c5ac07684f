"""`letters objections`: 异议 — the open objections with their clocks, and each step of a chain."""

from __future__ import annotations

import argparse
import datetime as dt

from pipeline.commands.auth import add_arguments, sign_in
from pipeline.errors import UsageError
from pipeline.privacy import mask_id


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "objections",
        help="异议办理：列出异议申请及各环节期限；关联、申请复核、登记结果、告知、延期",
        description="异议申请按通知规定的3个工作日时限逐环节办理。",
    )
    p.add_argument("--all", action="store_true", help="含已办结的异议")
    add_arguments(p, "查看人", required=False)  # the list names people: a signed-in look
    p.set_defaults(func=run_list)
    inner = p.add_subparsers(dest="objections_command", metavar="子命令")
    steps = {
        "link": "关联原查询案件（未能自动确定时）",
        "preview": "预览本环节待发出的函件（申请函或告知函，PDF，文号在发出时给出），并打印预览标识",
        "apply": "发出预览过的致国家公共信用信息中心的异议复核申请函（省级）",
        "result": "登记复核结果（省级：国家公共信用信息中心的结果及收到日期；市级：本单位复核结果）",
        "notify": "发出预览过的致异议申请单位的复核结果告知函",
        "delay": "延期（须写明与异议申请单位的沟通情况）",
    }
    for name, text in steps.items():
        s = inner.add_parser(name, help=text, description=text)
        s.add_argument("case", type=int, help="异议申请的案件编号")
        if name == "link":
            s.add_argument("original", type=int, help="原查询案件编号")
        if name == "result":
            s.add_argument("--received", required=True, help="收到复核结果的日期，例如 2026-12-03")
            s.add_argument("--change", action="append", default=[], metavar="身份证号码=clear|listed",
                           help="结果有变化的人员（可重复）：clear 不属于、listed 属于失信联合惩戒对象")  # fmt: skip
        if name in ("apply", "notify"):
            s.add_argument(
                "--seen", required=True, metavar="预览标识", help="preview 打印的预览标识：只发出预览过的内容"
            )
        if name == "preview":
            s.add_argument(
                "--out",
                metavar="文件",
                help="预览 PDF 保存到何处（默认：当前目录下的 预览-异议-案件编号.pdf）",
            )
        if name == "delay":
            s.add_argument("--until", required=True, help="延至（工作日），例如 2026-12-10")
            s.add_argument("--who", required=True, help="沟通对象")
            s.add_argument("--at", required=True, help="沟通时间，例如 2026-12-02T10:30")
            s.add_argument("--how", required=True, help="沟通方式：电话、函件、当面……")
            s.add_argument("--reason", required=True, help="延期原因")
        add_arguments(s, "办理人员")
        s.set_defaults(func=run_step, step=name)


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cases import objections
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        rows = objections.objections(ctx, sign_in(ctx, args), open_only=not args.all)
        if not rows:
            print("没有正在办理的异议。")
        today = dt.date.today()
        for o in rows:
            clock = o.clocks[-1] if o.clocks else None
            due = (
                f"期限 {clock.due:%Y-%m-%d}{('【' + clock.flag(today).label_zh + '】') if clock.flag(today) else ''}"
                if clock and not clock.done_at
                else ""
            )
            original = f"第{o.original_case_id}号（{o.original_reply}）" if o.original_case_id else "待关联"
            people = "、".join(f"{p['name']}（{mask_id(p['id_number'])}）" for p in o.people)
            print(
                f"{o.case_id:>5}  {o.stage.label_zh}  {o.unit or '（未识别）'}  原案件 {original}  {people}  {due}"
            )
        return 0


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad {what}", f"{what}格式无效：{text}（应写作 2026-12-03）") from None


def run_step(args: argparse.Namespace) -> int:
    from pipeline.cases import objections
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        account = sign_in(ctx, args)
        if args.step == "link":
            objections.link(ctx, args.case, args.original, account)
            print(f"第{args.case}号异议已关联第{args.original}号案件。")
        elif args.step == "preview":
            _preview(ctx, args, account)
        elif args.step == "apply":
            number = objections.apply(ctx, args.case, account, seen=args.seen)
            print(f"已发出异议复核申请函：{number}（已放入发件箱）")
        elif args.step == "result":
            changes = {}
            for item in args.change:
                number, _, value = item.partition("=")
                changes[number.strip().upper()] = value.strip()
            result = objections.record_result(
                ctx, args.case, account, changes=changes, received_on=_date(args.received, "收到日期")
            )
            print(f"已登记复核结果：{result.label_zh}。")
        elif args.step == "notify":
            number = objections.notify(ctx, args.case, account, seen=args.seen)
            print(f"已发出复核结果告知函：{number}（已放入发件箱）")
        else:
            try:
                at = dt.datetime.fromisoformat(args.at)
            except ValueError:
                raise UsageError(
                    "bad --at", f"沟通时间格式无效：{args.at}（应写作 2026-12-02T10:30）"
                ) from None
            made = objections.delay(ctx, args.case, account, until=_date(args.until, "延至日期"),
                                    contacted_who=args.who, contacted_at=at, how=args.how, reason=args.reason)  # fmt: skip
            print(f"已延期至{made.until:%Y年%m月%d日}。")
        return 0


def _preview(ctx, args: argparse.Namespace, account) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import tempfile
    from pathlib import Path

    from pipeline.cases import objections
    from pipeline.privacy import private_file

    out = Path(args.out or f"预览-异议-{args.case}.pdf")
    with tempfile.TemporaryDirectory(prefix="letters-preview-") as work:
        made, tag, step = objections.preview_letter(ctx, args.case, account, Path(work))
        private_file(out)  # the letter names people and their ID numbers: owner-only
        shutil.copyfile(made, out)
    print(f"第{args.case}号异议待发出函件的预览已保存：{out}（文号在发出时给出）")
    print(f"预览标识：{tag}")
    print(f"核对无误后发出：letters objections {step.value} {args.case} --seen {tag} --user {args.user}")
