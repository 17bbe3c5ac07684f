"""A roster column's vocabulary is never a person's name.

Regression: a legacy .doc letter whose roster had 民族 and 性别 columns beside the name was answered
automatically with 汉族, 汉族, 满族 … printed as the people's names in the official reply. A value
that is a column's vocabulary (a 民族 name, 男/女, a 政治面貌, an education level, a post title) is
never a name: the column choice skips such columns, and a name that still is one holds the letter.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from pipeline.domain.letter import Person
from pipeline.domain.names import vocabulary_kind
from pipeline.extraction import extract
from pipeline.extraction.validation import validate_person
from pipeline.reading import read_document
from tests.builders.docx_builder import build_docx
from tests.builders.pdf_builder import build_pdf
from tests.builders.spec import LetterSpec, make_id
from tests.needs import needs_soffice

PEOPLE = [("王伟", make_id("610102", "19900101", "123")), ("李娜", make_id("610113", "19951231", "246")),
          ("赵敏", make_id("610104", "19880512", "315"))]  # fmt: skip
BESIDE = {
    "民族": ["汉族", "汉族", "满族"],
    "性别": ["男", "女", "女"],
    "政治面貌": ["中共党员", "共青团员", "群众"],
    "学历": ["本科", "硕士研究生", "博士"],
    "拟任职务": ["一级科员", "四级主任科员", "科员"],
}


@pytest.mark.parametrize("value", ["汉族", "维吾尔族", "男", "中共预备党员", "本科", "四级主任科员", "教师"])
def test_vocabulary_is_never_a_name(value: str) -> None:
    person = Person(name=value, id_number=make_id())
    validate_person(person, dt.date(2026, 12, 1))
    assert any("不是人名" in p for p in person.problems), value


@pytest.mark.parametrize("name", ["王伟", "白雪", "京京", "阿卜杜拉·麦麦提", "汉族人"])
def test_names_are_names(name: str) -> None:
    assert vocabulary_kind(name) is None


ORDERS = {
    "between": lambda c: ("序号", "姓名", c, "身份证号码"),  # nearest the ID: the column a guess took
    "before": lambda c: ("序号", c, "姓名", "身份证号码"),
    "after": lambda c: ("序号", "姓名", "身份证号码", c),
}


def _spec(column: str, *, header: bool, where: str = "between") -> LetterSpec:
    order = ORDERS[where](column)
    return LetterSpec(
        people=list(PEOPLE), roster_header=order, extra_columns={column: BESIDE[column]}, header_row=header
    )


def _doc(source: Path, tmp_path: Path) -> Path:
    """The letter in the old Word format, as an office saves it (through .odt, so the table survives)."""
    profile = f"-env:UserInstallation=file://{tmp_path}/profile"
    for target in ("odt", "doc"):
        subprocess.run(["soffice", profile, "--headless", "--convert-to", target, "--outdir",
                        str(source.parent), str(source)], capture_output=True, timeout=180, check=True)  # fmt: skip
        source = source.with_suffix(f".{target}")
    return source


BUILDERS = {"docx": build_docx, "pdf": build_pdf}


@pytest.mark.parametrize("column", list(BESIDE))
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
@pytest.mark.parametrize("where", list(ORDERS))
def test_a_column_beside_the_name_is_never_read_as_the_names(
    tmp_path: Path, column: str, fmt: str, header: bool, where: str
) -> None:
    spec = _spec(column, header=header, where=where)
    path = BUILDERS[fmt](spec, tmp_path / f"letter.{fmt}")
    letter = extract(read_document(path), today=dt.date(2026, 12, 1))
    names = [p.name for p in letter.people]
    assert not any(vocabulary_kind(n) for n in names) or not letter.is_clean, names  # read right, or held
    assert names == [n for n, _ in PEOPLE] or not letter.is_clean, names


@needs_soffice
@pytest.mark.parametrize("column", ["民族", "性别"])
def test_a_legacy_doc_with_ethnicity_beside_the_name_is_read_right_or_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    monkeypatch.setattr("pipeline.reading.legacy._cache_root", tmp_path / "cache")
    spec = _spec(column, header=False)
    path = _doc(build_docx(spec, tmp_path / "letter.docx"), tmp_path)
    letter = extract(read_document(path), today=dt.date(2026, 12, 1))
    names = [p.name for p in letter.people]
    assert names == [n for n, _ in PEOPLE] or not letter.is_clean, names
    assert not any(vocabulary_kind(n) for n in names) or not letter.is_clean
