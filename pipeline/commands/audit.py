"""`letters audit verify`: check the hash chain of the audit log; `letters audit show CASE`."""

from __future__ import annotations

import argparse

from pipeline.service import audit
from pipeline.service.context import open_context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit", help="审计日志：校验完整性、查看案件记录", description="审计日志（哈希链，只增不改）。"
    )
    inner = p.add_subparsers(dest="audit_command", metavar="子命令", required=True)
    v = inner.add_parser(
        "verify", help="校验审计日志是否被修改或删除", description="逐条校验审计日志的哈希链。"
    )
    v.set_defaults(func=run_verify)
    s = inner.add_parser(
        "show", help="查看一个案件的全部审计记录", description="查看一个案件的全部审计记录。"
    )
    s.add_argument("case", type=int, help="案件编号")
    s.set_defaults(func=run_show)


def run_verify(args: argparse.Namespace) -> int:
    ctx = open_context()
    try:
        with ctx.db.sessions() as session:
            report = audit.verify_chain(session)
        print(report.summary_zh())
        return 0 if report.ok else 1
    finally:
        ctx.close()


def run_show(args: argparse.Namespace) -> int:
    ctx = open_context()
    try:
        with ctx.db.sessions() as session:
            events = audit.events_for(session, args.case)
        if not events:
            print(f"第{args.case}号案件没有审计记录。")
            return 0
        for ev in events:
            actor = "系统" if ev.actor == audit.SERVICE else ev.actor
            print(
                f"{ev.seq:>6}  {ev.at[:19].replace('T', ' ')}  {actor}  {ev.from_state or '—'} → {ev.to_state or '—'}  {ev.reason}"
            )
        return 0
    finally:
        ctx.close()
