"""`letters extract FILE [--json]`: read one letter and show what was extracted."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.domain.letter import Letter
from pipeline.errors import UnreadableLetter
from pipeline.privacy import mask_id, mask_ids_in


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract", help="读取一封来函并显示提取结果", description="读取一封来函并显示提取结果。"
    )
    p.add_argument("file", type=Path, help="来函文件（.docx、PDF 或扫描件）")
    p.add_argument("--json", action="store_true", help="输出 JSON（供其他程序使用，含完整身份证号）")
    p.add_argument("--no-sources", action="store_true", help="JSON 中不输出每个值的来源位置")
    p.set_defaults(func=run)


def extract_file(path: Path) -> Letter:
    """Read and extract one file; raises UnreadableLetter subclasses."""
    from pipeline.extraction import extract
    from pipeline.reading import read_document

    if not path.is_file():
        raise UnreadableLetter(f"{path}: no such file", f"找不到文件：{path}")
    return extract(read_document(path))


def run(args: argparse.Namespace) -> int:
    from pipeline.contract import letter_to_json

    letter = extract_file(args.file)
    if args.json:
        print(
            json.dumps(letter_to_json(letter, with_sources=not args.no_sources), ensure_ascii=False, indent=1)
        )
    else:
        print(summary_zh(letter))
    return 0


def summary_zh(letter: Letter) -> str:
    """A readable summary for a clerk; IDs masked, problems first."""
    kind = letter.kind.label_zh if letter.kind else "（未能识别）"
    lines = [
        f"查询类别：{kind}",
        f"来函文号：{letter.doc_number or '（无）'}",
        f"来函单位：{letter.unit or '（未能识别）'}",
        f"来函日期：{letter.date.strftime('%Y年%-m月%-d日') if letter.date else '（未能识别）'}",
        f"主送单位：{letter.addressee or '（未能识别）'}",
        f"联系人：{letter.contact.name or '（无）'}　电话：{letter.contact.phone or '（无）'}",
        f"查询对象：共{len(letter.people)}人",
    ]
    for i, person in enumerate(letter.people, 1):
        flag = "  ✗ " + "；".join(person.problems) if person.problems else ""
        note = "  （" + "；".join(person.notes) + "）" if person.notes else ""
        lines.append(f"  {i:>3}. {person.name}\t{mask_id(person.id_number)}{flag}{note}")
    if letter.problems or any(p.problems for p in letter.people):
        lines.append("需人工处理：")
        lines.extend(f"  - {r}" for r in letter.blocking_reasons)
    else:
        lines.append("未发现需人工处理的问题。")
    if letter.notes:
        lines.append("提示：")
        lines.extend(f"  - {n}" for n in letter.notes)
    return mask_ids_in("\n".join(lines))  # names, notes and reasons may quote an ID too
