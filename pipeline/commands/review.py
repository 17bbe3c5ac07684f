"""`letters review show|preview|approve|correct|confirm|compare|route CASE`: finish a case waiting for review from
the command line, under the same rules as the console (the case core decides every one)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pipeline.commands import auth
from pipeline.domain import comparison
from pipeline.domain.reasons import ReasonCode
from pipeline.errors import ExitCode
from pipeline.privacy import mask_id, mask_ids_in

if TYPE_CHECKING:
    from pipeline.cases.case_page import CasePage
    from pipeline.cases.review import ReviewResult


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review", help="人工复核：查看、批准或更正待复核的案件", description="人工复核待复核的案件。"
    )
    inner = p.add_subparsers(dest="review_command", metavar="子命令", required=True)
    s = inner.add_parser(
        "show",
        help="查看案件及需复核的原因",
        description="查看案件详情（身份证号已脱敏）。案件含查询对象个人信息，须登录，查看记入审计日志。",
    )
    s.add_argument("case", type=int, help="案件编号")
    auth.add_arguments(s, "查看人")
    s.set_defaults(func=run_show)
    v = inner.add_parser(
        "preview",
        help="预览复函：生成将要发出的复函（PDF）并给出预览标识",
        description="重新核查后生成将要发出的复函 PDF（文号在发出时给出），并打印预览标识；"
        "核对无误后用 approve --seen 预览标识 发出。",
    )
    v.add_argument("case", type=int, help="案件编号")
    v.add_argument(
        "--out", metavar="文件", help="预览 PDF 保存到何处（默认：当前目录下的 预览-案件编号.pdf）"
    )
    auth.add_arguments(v, "预览人")
    v.set_defaults(func=run_preview)
    a = inner.add_parser(
        "approve",
        help="复核通过：重新核查并发出预览过的复函",
        description="重新核查名单，无其他问题时发出复函；办公室要求预览时（默认），须写明预览标识。",
    )
    a.add_argument("case", type=int, help="案件编号")
    a.add_argument(
        "--seen", metavar="预览标识", help="letters review preview 打印的预览标识：只发出预览过的内容"
    )
    auth.add_arguments(a, "批准人")
    a.set_defaults(func=run_approve)
    c = inner.add_parser(
        "correct",
        help="更正提取结果：重新核查并生成复函",
        description="更正来函提取结果或填写人工核实结论后重新核查；无问题时生成复函，否则继续待复核。",
    )
    c.add_argument("case", type=int, help="案件编号")
    c.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="字段=值",
        help="更正内容，可重复：unit=来函单位、doc_number=来函文号、date=2026-06-04、"
        "kind=civil_servant|public_institution、2.name=姓名、2.id_number=身份证号码、"
        "2.result=clear|listed（人工核实结论，仅限“可能匹配”或“号码在名单中但姓名不同”的人员）、"
        "2.result=not_checked（身份证号码有误且无法更正，复函中答复“身份证号码有误，未予查询”）",
    )
    c.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="值",
        help="与不含“=”的 --field 依次配对的值（--field 2.name --value 王伟）",
    )
    auth.add_arguments(c, "更正人")
    c.set_defaults(func=run_correct)
    r = inner.add_parser(
        "route",
        help="退回或转办不属于本单位办理的查询（生成退回、转办函）",
        description="由工作人员决定：来函不属于本单位办理时，生成退回或转办函，写明应向何处申请。",
    )
    r.add_argument("case", type=int, help="案件编号")
    r.add_argument(
        "--action", choices=("return", "transfer"), required=True, help="return 退回；transfer 转办"
    )
    r.add_argument("--to", required=True, help="应向（或转至）的单位，例如 西安市社会信用体系建设牵头部门")
    r.add_argument("--reason", required=True, help="原因，例如 市属事业单位的查询由市级牵头部门办理")
    auth.add_arguments(r, "办理人员")
    r.set_defaults(func=run_route)
    f = inner.add_parser(
        "confirm",
        help="确认无法通过更正解决的来函问题（如人数不符、序号不连续）",
        description="与来函单位或原件核实后，确认来函层面的问题（代码见 letters review show），然后重新核查。",
    )
    f.add_argument("case", type=int, help="案件编号")
    f.add_argument("code", nargs="+", help="问题代码，如 count_mismatch、seq_gap、document")
    auth.add_arguments(f, "确认人")
    f.set_defaults(func=run_confirm)
    m = inner.add_parser(
        "compare",
        help="扫描件：记录已对照原件逐项核对的人员和来函信息",
        description="扫描件的每一行查询对象和每一项来函信息，须由具名人员对照原件核对后方可复函。"
        "写明已核对的序号（如 1 2 3）或来函信息字段（"
        + "、".join(f"{k} {v}" for k, v in comparison.FIELDS.items())
        + "）；有误的请用 correct 更正（更正即视为已核对）。",
    )
    m.add_argument("case", type=int, help="案件编号")
    m.add_argument("item", nargs="+", help="已核对的序号或字段名，如 1 2 unit date")
    auth.add_arguments(m, "核对人")
    m.set_defaults(func=run_compare)


def run_show(args: argparse.Namespace) -> int:
    from pipeline.cases.case_page import case_page
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        page = case_page(ctx, args.case, auth.sign_in(ctx, args))  # the look is recorded, as in the console
    print(mask_ids_in("\n".join(_page_lines(page))))
    return 0


def _page_lines(page: CasePage) -> Iterator[str]:
    """The case page as text: the same read model the console renders (IDs masked by the caller)."""
    case, deadline = page.detail, page.deadline
    due, flag = "", ""
    if deadline is not None:
        due = f"，期限 {deadline.due:%Y-%m-%d}" + ("（已延期）" if deadline.delay else "")
        flag = f"【{deadline.flag.label_zh}】" if deadline.flag else ""
    yield f"案件编号：{case.id}　状态：{case.state_zh}"
    yield f"来函文件：{case.original_name}（{case.received_at:%Y-%m-%d %H:%M} 接收{due}）{flag}"
    if deadline is not None:
        yield f"期限计算：{deadline.explanation_zh()}"
    yield f"来函单位：{case.unit or '（未识别）'}　来函文号：{case.doc_number or '（无）'}"
    if case.archive_path:
        yield f"原件：archive/{case.archive_path}"
    if case.reply_doc_number:
        yield f"复函文号：{case.reply_doc_number}"
    if case.error:
        yield f"失败原因：{case.error}"
    if case.reasons:
        yield "需人工处理的原因（括号内为处理方式和代码）："
        yield from (f"  - {r.text}（{r.settled_by.label_zh}：{r.code.value}）" for r in case.reasons)
    if case.confirmed:
        yield "已确认的问题："
        yield from (f"  - {text}（{by}，{at}）" for text, by, at in case.confirmed)
    if case.compared:
        yield f"已对照原件核对：{len(case.compared)}项（最近：{case.compared[-1][1]}，{case.compared[-1][2]}）"
    if case.fields_to_compare or any(p.to_compare for p in case.people):
        fields = [comparison.FIELDS[f] for f in case.fields_to_compare]
        rows = [str(p.seq) for p in case.people if p.to_compare]
        left = "、".join(fields + ([f"第{'、'.join(rows)}人"] if rows else []))
        yield f"扫描件尚未对照原件核对：{left}（核对后：letters review compare {case.id} 序号或字段…）"
    if case.letter_json is not None:
        yield f"查询对象（共{len(case.people)}人）："
        for p in case.people:
            verdict = p.verdict_zh + (f"（人工核实：{p.decided_by}）" if p.decided_by else "")
            verdict += f"（{p.not_checked_by}决定）" if p.not_checked_by else ""
            flagged = "　✗ " + "；".join(p.problems) if p.problems and not p.not_checked_by else ""
            yield f"  {p.seq:>3}. {p.name}　{mask_id(p.id_number)}　{verdict}{flagged}"
            for m in p.matched:
                where = f"{m.list_name}第{m.line}行"
                yield f"       名单记录：{where}　{m.name or '（该记录已随名单更新移除）'}　{m.id_masked}　{m.authority or ''}"
        if case.confirmable:
            yield "以上“核实后确认”的问题，须与来函单位或原件核实后由具名人员确认。"
    if case.decisions:
        yield "人工核实记录（重新核查时，仅在所依据的名单记录未变化时适用）："
        yield from (f"  {at}  {by}  {what}" for at, by, what in case.decisions)
    if case.corrections:
        yield "更正前后对照（号码已脱敏，完整号码见网页案件页面）："
        for c in case.corrections:
            undone = "" if c.in_effect else "（已改回原读，不再生效）"
            yield f"  - {c.field_zh}：{c.before} → {c.after}（{c.by}，{c.at}）{undone}"
    if case.corrected_by:
        yield f"最近更正人：{case.corrected_by}"
    if page.allowed:
        yield "您可以：" + "、".join(a.label_zh for a in sorted(page.allowed))
    yield "办理记录："
    yield from (f"  {at}  {actor}  {states}  {reason}" for at, actor, states, reason in case.history)


def _report(case: int, result: ReviewResult) -> int:
    if result.state == "replied":
        print(f"第{case}号案件已生成复函：{result.reply_doc_number}（已放入发件箱）。")
        return 0
    if [r.code for r in result.reasons] == [ReasonCode.RELEASE]:
        print(f"第{case}号案件已核实无误，待预览复函后发出：letters review preview {case}")
        return ExitCode.WAITING_REVIEW
    print(f"第{case}号案件仍需复核：")
    for reason in result.reasons:
        print(mask_ids_in(f"  - {reason.text}"))
    return ExitCode.WAITING_REVIEW


def run_preview(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from pipeline.cases.context import open_context
    from pipeline.cases.review import preview
    from pipeline.privacy import private_file

    out = Path(args.out or f"预览-{args.case}.pdf")
    with open_context() as ctx:
        account = auth.sign_in(ctx, args)
        with tempfile.TemporaryDirectory(prefix="letters-preview-") as work:
            made, tag = preview(ctx, args.case, account, Path(work))
            private_file(out)  # the reply names people and their ID numbers: owner-only
            shutil.copyfile(made, out)
        print(f"第{args.case}号案件的复函预览已保存：{out}（文号在发出时给出）")
        print(f"预览标识：{tag}")
        print(f"核对无误后发出：letters review approve {args.case} --seen {tag} --user {args.user}")
        return 0


def run_approve(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.review import approve

    with open_context() as ctx:
        account = auth.sign_in(ctx, args)
        return _report(args.case, approve(ctx, args.case, account, seen=args.seen))


def pair_fields(fields: list[str], values: list[str]) -> list[str]:
    """`--field K=V`, or `--field K --value V` pairs in order; a missing value is an error."""
    from pipeline.errors import InvalidRequest

    values = list(values)
    out = []
    for field in fields:
        if "=" in field:
            out.append(field)
        elif values:
            out.append(f"{field}={values.pop(0)}")
        else:
            raise InvalidRequest(
                f"no value for {field}", f"更正字段“{field}”缺少值：请写 --field {field}=值 或加 --value 值。"
            )
    if values:
        raise InvalidRequest("extra values", "--value 的个数多于需要配对的 --field。")
    return out


def run_correct(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.review import correct
    from pipeline.commands.fields import parse_fields

    fields = parse_fields(pair_fields(args.field, args.value))
    with open_context() as ctx:
        return _report(args.case, correct(ctx, args.case, fields, auth.sign_in(ctx, args)))


def run_confirm(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.review import confirm

    with open_context() as ctx:
        return _report(args.case, confirm(ctx, args.case, args.code, auth.sign_in(ctx, args)))


def run_compare(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.review import correct
    from pipeline.commands.fields import parse_compared

    items = parse_compared(args.item)
    with open_context() as ctx:
        return _report(args.case, correct(ctx, args.case, items, auth.sign_in(ctx, args)))


def run_route(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.routing import ACTIONS, route

    with open_context() as ctx:
        account = auth.sign_in(ctx, args)
        number = route(ctx, args.case, account, action=args.action, target=args.to, reason=args.reason)
        print(f"已生成{ACTIONS[args.action]}函：{number}（已放入发件箱）。")
        return 0
