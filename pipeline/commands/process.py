"""`letters process FILE [--outbox DIR]`: one letter, end to end.

Exit codes: 0 replied; 10 waiting for review (reasons printed); 3, 4, 5 the
letter could not be read (see pipeline.errors); 6 configuration; 1 other failures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.privacy import mask_ids_in
from pipeline.process import Decision, process_file
from pipeline.settings import load_settings
from pipeline.storage import open_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "process",
        help="办理一封来函：读取、核查失信名单、生成复函",
        description="办理一封来函：读取、提取、核查失信名单并生成复函（.docx、PDF 和结果 .json）。"
        "退出码：0 已生成复函；10 需人工复核；3/4/5 来函无法读取；6 配置有误；1 其他错误。",
    )
    p.add_argument("file", type=Path, help="来函文件（.docx 或 PDF）")
    p.add_argument("--outbox", type=Path, help="复函输出文件夹（默认取配置项 outbox）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    db = open_database(settings)
    try:
        result = process_file(args.file, settings, db, outbox=args.outbox)
    finally:
        db.dispose()
    if result.state == Decision.REPLIED:
        print(f"已生成复函 {result.reply_doc_number}（案件编号 {result.case_id}）：")
        for p in result.outputs.values():
            print(f"  {p}")
    elif result.state == Decision.WAITING_REVIEW:
        print(f"该来函需人工复核，未生成复函（案件编号 {result.case_id}）。原因：")
        for reason in result.reasons:
            print(mask_ids_in(f"  - {reason}"))
    else:
        print(
            mask_ids_in(f"错误：{result.error}（案件编号 {result.case_id}，已记为处理失败）"), file=sys.stderr
        )
    return result.exit_code
