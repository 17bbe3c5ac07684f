"""`letters audit verify`: check the hash chain of the audit log (a case's events: `letters review show`)."""

from __future__ import annotations

import argparse

from pipeline.errors import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit", help="审计日志：校验是否被修改或删除", description="审计日志（哈希链，只增不改）。"
    )
    inner = p.add_subparsers(dest="audit_command", metavar="子命令", required=True)
    v = inner.add_parser(
        "verify", help="校验审计日志是否被修改或删除", description="逐条校验审计日志的哈希链。"
    )
    v.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from pipeline.cases.audit_log import verify
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        report, known = verify(ctx)
        print(report.summary_zh())
        if known is not None:
            print(f"上次校验：{known.at[:16].replace('T', ' ')}，链头第{known.seq}条，哈希 {known.hash}")
        return ExitCode.OK if report.ok else ExitCode.AUDIT_BROKEN
