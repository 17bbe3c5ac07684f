"""`letters extract`: the JSON contract other tools score against, and one clear Chinese line for bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document as DocxDocument

from pipeline.cli import main
from tests.builders.docx_builder import build_docx
from tests.builders.spec import DEFAULT_PEOPLE, LetterSpec, bad_check_digit

CONTRACT_KEYS = {"kind", "doc_number", "unit", "date", "addressee", "contact", "people", "problems", "notes"}


def run_cli(*argv: str, capsys) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(tmp_path, capsys):
    crowd = [DEFAULT_PEOPLE[0], ("李娜", bad_check_digit(DEFAULT_PEOPLE[1][1]))]
    path = build_docx(LetterSpec(people=crowd), tmp_path / "来函.docx")
    code, out, _ = run_cli("extract", str(path), "--json", capsys=capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) >= CONTRACT_KEYS
    assert data["kind"] == "civil_servant"
    assert data["doc_number"] == "陕人社函〔2021〕88号"
    assert data["date"] == "2021-06-04"
    assert data["contact"] == {"name": "张建国", "phone": "029-63918210"}
    assert [p["name"] for p in data["people"]] == ["王伟", "李娜"]
    assert data["people"][0]["problems"] == []
    assert data["people"][1]["problems"] == ["身份证号码校验位错误"]
    assert data["problems"] == []
    assert data["sources"]["doc_number"]["location"]["paragraph"] >= 0
    assert set(data["people"][0]["sources"]) == {"name", "id_number"}


def test_clerk_summary_masks_ids(tmp_path, capsys):
    path = build_docx(LetterSpec(), tmp_path / "a.docx")
    code, out, _ = run_cli("extract", str(path), capsys=capsys)
    assert code == 0
    assert "陕人社函〔2021〕88号" in out and "共3人" in out
    for _, id_number in DEFAULT_PEOPLE:
        assert id_number not in out
        assert id_number[:6] + "********" + id_number[-4:] in out


def _not_a_letter_docx(path: Path) -> Path:
    doc = DocxDocument()
    doc.add_paragraph("会议纪要")
    doc.add_paragraph("今天讨论了食堂的菜单，大家一致同意周五增加面食。")
    doc.save(path)
    return path


BAD_FILES = {
    "empty.docx": lambda p: p.write_bytes(b""),
    "random.pdf": lambda p: p.write_bytes(os.urandom(4096)),
    "broken.docx": lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(300)),
    "legacy.doc": lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
    "truncated.pdf": lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog"),
    "notes.txt": lambda p: p.write_text("这不是来函", encoding="utf-8"),
    "minutes.docx": _not_a_letter_docx,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_exit_non_zero_with_one_chinese_line(name, tmp_path, capsys):
    path = tmp_path / name
    BAD_FILES[name](path)
    before = path.read_bytes()
    code, out, err = run_cli("extract", str(path), "--json", capsys=capsys)
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0][3:])
    assert "Traceback" not in err
    assert path.read_bytes() == before  # the original is never altered


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli("extract", str(tmp_path / "nope.docx"), capsys=capsys)
    assert code != 0 and "找不到文件" in err


def test_installed_command_never_prints_a_traceback(tmp_path):
    path = tmp_path / "random.docx"
    path.write_bytes(os.urandom(2048))
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "extract", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("错误：")


def test_no_full_id_from_a_name_or_note_on_the_masked_summary(tmp_path, capsys) -> None:
    """Regression: an ID quoted in a cell's extra text (or a name cell) reached the summary unmasked."""
    from pipeline.cli import main
    from tests.builders.docx_builder import build_docx
    from tests.builders.spec import LetterSpec, make_id

    first, second, old = (
        make_id("610102", "19900101", "123"),
        make_id("610102", "19800101", "777"),
        "610102800101777",
    )
    spec = LetterSpec(
        people=[
            ("王伟", f"{first}（原号码{second}，旧{old}）"),
            ("李娜", make_id("610113", "19951231", "246")),
        ]
    )
    path = build_docx(spec, tmp_path / f"来函{first}.docx")
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    for full in (first, second, old):
        assert full not in out
    assert "610102********" in out
