"""`letters records import FILE [--list NAME] [--delta]` and `letters records status`."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from pathlib import Path

from pipeline.commands import auth
from pipeline.domain.actor import actor_name
from pipeline.errors import ListSnapshotHeld, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("records", help="失信名单：导入与状态", description="失信名单的导入与状态查看。")
    actions = p.add_subparsers(dest="records_command", metavar="操作")
    imp = actions.add_parser(
        "import",
        help="导入一个名单文件（CSV 或 XLSX），替换该名单的上一版本",
        description="导入一个名单文件（CSV：UTF-8 或 GBK；XLSX），作为该名单的新版本整体替换旧版本。",
    )
    imp.add_argument("file", type=Path, help="名单文件")
    imp.add_argument("--list", dest="list_name", help="名单名称（默认取文件名，去掉末尾的日期）")
    imp.add_argument(
        "--delta",
        action="store_true",
        help="增量文件：只含新增和移出的记录，叠加在现行版本之上（文件名含“增量”时自动按增量导入）",
    )
    imp.add_argument("--quiet", action="store_true", help="不显示进度条")
    imp.add_argument(
        "--confirm-shrink",
        action="store_true",
        help="确认启用因记录数明显减少或解析异常而暂缓的新版本（须同时写明 --reason）",
    )
    imp.add_argument("--reason", help="确认启用的理由（与 --confirm-shrink 一起使用，记入审计日志）")
    auth.add_arguments(imp, "与 --confirm-shrink 一起使用：确认启用的管理员", required=False)
    imp.set_defaults(func=run_import)
    st = actions.add_parser(
        "status", help="查看各名单的记录数、导入时间和是否有效", description="查看各名单的状态。"
    )
    st.set_defaults(func=run_status)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run_import(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.records import (
        Confirmation,
        import_list,  # Arrow and NumPy: loaded by the command that imports
        is_delta_file,
    )
    from pipeline.records.progress import ProgressBar
    from pipeline.settings import load_settings

    if args.confirm_shrink and not (args.reason or "").strip():
        raise UsageError(
            "--confirm-shrink without --reason", "确认启用暂缓的名单新版本时，须用 --reason 写明理由。"
        )
    if args.confirm_shrink and not args.user:
        raise UsageError(
            "--confirm-shrink without --user", "确认启用暂缓的名单新版本须以管理员账号登录：--user 用户名。"
        )
    with open_context(load_settings()) as ctx:
        bar = ProgressBar(f"导入 {args.file.name}", enabled=None if not args.quiet else False)
        try:
            confirm = (
                Confirmation(auth.sign_in(ctx, args), args.reason.strip()) if args.confirm_shrink else None
            )
            by = confirm.by if confirm is not None else actor_name(getpass.getuser())  # an import without
            # a confirmation is recorded under the system account that ran it
            result = import_list(
                ctx.db.sessions,
                args.file,
                ctx.settings,
                list_name=args.list_name,
                progress=bar,
                confirm=confirm,
                actor=by,
                delta=args.delta or is_delta_file(args.file),
            )
        finally:
            bar.close()
    if result.held:
        print(
            f"名单“{result.list_name}”的新版本已读取（数据行{result.rows_total}，有效{result.rows_imported}，"
            f"拒绝{result.rows_rejected}），但未启用，原名单继续有效。原因："
        )
        for reason in result.held:
            print(f"  - {reason}")
        if result.rejected_report:
            print(f"被拒绝或合并的行见：{result.rejected_report}")
        raise ListSnapshotHeld(
            f"list {result.list_name}: snapshot {result.snapshot_id} held",
            "请核对名单文件；确认无误后，用同一文件再次导入并加上 --confirm-shrink --reason 理由 --user 管理员用户名（以管理员账号登录），即可启用新版本。",
        )
    if result.confirmed:
        print(f"已按确认启用名单“{result.list_name}”的新版本（确认人：{by}，已记入审计日志）。")
    elif result.unchanged:
        print(f"名单“{result.list_name}”已是该文件的内容（文件未变化），未做任何更改。")
        return 0
    what = "增量导入完成：变动行" if result.delta else "导入完成：数据行"
    print(
        f"名单“{result.list_name}”{what}{result.rows_total}，导入{result.rows_imported}"
        f"（其中脱敏身份证号{result.rows_masked}），拒绝{result.rows_rejected}，"
        f"用时{result.seconds:.1f}秒。"
    )
    if result.rejected_report:
        print(f"被拒绝的行及原因见：{result.rejected_report}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from pipeline.records import list_status
    from pipeline.settings import load_settings
    from pipeline.storage import open_database

    settings = load_settings()
    db = open_database(settings)
    now = dt.datetime.now()
    try:
        with db.sessions() as session:
            rows = list_status(session, settings.freshness_days, now)
    finally:
        db.dispose()
    if not rows:
        print("尚未导入任何失信名单。")
        return 0
    print(f"失信名单（有效期{settings.freshness_days}天）：")
    for row in rows:
        print("  " + row.line_zh(now))
    return 0
