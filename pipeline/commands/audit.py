"""`letters audit verify`: check the hash chain of the audit log (a case's events: `letters review show`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from pipeline.cases.context import open_context
from pipeline.privacy import private_file
from pipeline.storage import audit

HEAD_FILE = "audit-head.json"  # beside the database: what the last verification saw


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
    ctx = open_context()
    try:
        head_file = ctx.settings.path(ctx.settings.data_dir) / HEAD_FILE
        known = _known_head(head_file)
        with ctx.db.sessions() as session:
            report = audit.compare_with_known(session, audit.verify_chain(session), known)
        print(report.summary_zh())
        if known is not None:
            print(f"上次校验：{known.at[:16].replace('T', ' ')}，链头第{known.seq}条，哈希 {known.hash}")
        if report.ok and report.events:
            _save_head(head_file, report)
        return 0 if report.ok else 1
    finally:
        ctx.close()


def _known_head(path: Path) -> audit.KnownHead | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return audit.KnownHead(int(data["seq"]), str(data["hash"]), str(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_head(path: Path, report: audit.ChainReport) -> None:
    data = {"seq": report.events, "hash": report.head, "at": dt.datetime.now().isoformat(timespec="seconds")}
    tmp = private_file(path.with_name(path.name + ".part"))  # 0600, folder made; replaces the old head whole
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)
