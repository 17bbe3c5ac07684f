"""`letters process FILE [--outbox DIR] [--again --reason WHY --user LOGIN]`: one letter, end to end.

The same intake and case life as the watched inbox (pipeline.cases): a case
with its audit events, the original's bytes archived (the file itself is
left where it is), the duplicate rule, and resumption after a crash.

Exit codes: 0 replied; 10 waiting for review (reasons printed); 11 the same
file was answered before (`--again` answers it again); 3, 4, 5 the letter
could not be read (see pipeline.errors); 6 configuration; 1 other failures.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.commands import auth
from pipeline.domain.states import CaseState
from pipeline.errors import ExitCode, UsageError
from pipeline.privacy import mask_ids_in

if TYPE_CHECKING:  # the case core loads when a letter is processed, not for --help
    from pipeline.cases.named import NamedRun


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "process",
        help="办理一封来函：读取、核查失信名单、生成复函",
        description="办理一封来函：读取、提取、核查失信名单并生成复函（.docx 和 PDF 放入发件箱）。"
        "原件留在原处，其副本存档。退出码：0 已生成复函；10 需人工复核；11 该文件此前已办理；"
        "3/4/5 来函无法读取；6 配置有误；1 其他错误。",
    )
    p.add_argument("file", type=Path, help="来函文件（.docx 或 PDF）")
    p.add_argument("--outbox", type=Path, help="复函输出文件夹（默认取配置项 outbox）")
    p.add_argument(
        "--again",
        action="store_true",
        help="同一文件此前已办理，确需再次答复时使用（须同时写 --reason，并以经办人员账号 --user 登录）",
    )
    p.add_argument("--reason", help="再次答复的原因（与 --again 一起使用），例如：来函单位称原复函未收到")
    auth.add_arguments(p, "与 --again 一起使用：决定再次答复的经办人员", required=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.intake import AnswerAgain
    from pipeline.cases.named import process_named
    from pipeline.settings import load_settings

    if args.again and not (args.user and args.reason):
        raise UsageError(
            "--again without --user and --reason",
            "再次答复须以经办人员账号登录并写明原因：--again --reason 原因 --user 用户名",
        )
    settings = load_settings()
    if args.outbox is not None:
        settings = dataclasses.replace(settings, outbox=args.outbox.absolute())
    with open_context(settings) as ctx:
        again = AnswerAgain(auth.sign_in(ctx, args), args.reason) if args.again else None
        result = process_named(args.file, ctx.settings, ctx.db, again=again)
    return report(result)


def report(result: NamedRun) -> int:
    """What a clerk reads about the run (IDs masked)."""
    from pipeline.outbox import PRIVATE_KINDS

    case = f"案件编号 {result.case_id}"
    if result.state == CaseState.REPLIED:
        print(f"已生成复函 {result.reply_doc_number}（{case}）：")
        for kind, path in result.outputs.items():
            if kind not in PRIVATE_KINDS:
                print(f"  {path}")
    elif result.state == CaseState.WAITING_REVIEW:
        print(f"该来函需人工复核，未生成复函（{case}）。原因：")
        for reason in result.reasons:
            print(mask_ids_in(f"  - {reason.text}"))
    elif result.state == CaseState.DUPLICATE:
        print(
            f"该文件与第{result.duplicate_of}号案件的来函内容完全相同，此前已办理，未重复答复（{case}）。"
            "确需再次答复，请加 --again --reason 原因 --user 用户名。"
        )
    elif result.state == CaseState.FAILED:
        print(mask_ids_in(f"错误：{result.error}（{case}，已记为处理失败）"), file=sys.stderr)
    else:
        print(
            f"遇到暂时性故障，来函尚未办完（{case}）：请稍后再次运行同一命令，将从中断处继续。",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL
    return result.exit_code
