"""Roster and signature shapes of other provinces' letters, each one call of the builders away."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.document import Cell, Location, Paragraph, Table
from pipeline.extraction import extract
from pipeline.extraction.roster import CONFIRM_FROM_PROSE
from pipeline.reading import ocr_reader, read_document
from tests.builders.model_builder import build_document
from tests.builders.scan_builder import build_scan
from tests.builders.spec import LetterSpec
from tests.service_letters import spec_for


def _people(letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


def _with_row(spec: LetterSpec, row: list[str]):
    """The spec's document with one more row ruled into the roster table."""
    document = build_document(spec)
    table = next(b for b in document.blocks if isinstance(b, Table))
    r = len(table.rows)
    table.rows.append([Cell(text, Location(table=0, row=r, col=c)) for c, text in enumerate(row)])
    return document


def test_a_contact_line_ruled_into_the_roster_table_is_the_contact_not_a_person() -> None:
    """Regression (photo s017 shape): 联系人：丁子宇，联系电话 | 0311-58364081 as the table's last row
    became a person with a 12-digit ID, and the letter had no contact."""
    spec = spec_for(61, people=4)
    spec.contact_line = None
    letter = extract(_with_row(spec, ["", "联系人：丁子宇，联系电话", "0311-58364081"]))
    assert _people(letter) == spec.people
    assert (letter.contact.name, letter.contact.phone) == ("丁子宇", "0311-58364081")


def _table(rows: list[list[str]]) -> Table:
    return Table(
        [[Cell(t, Location(table=0, row=r, col=c)) for c, t in enumerate(row)] for r, row in enumerate(rows)],
        Location(table=0),
    )


def _with_table(spec: LetterSpec, rows: list[list[str]]):
    document = build_document(spec)
    i = next(k for k, b in enumerate(document.blocks) if isinstance(b, Table))
    document.blocks[i] = _table(rows)
    return document


def _with_text_roster(spec: LetterSpec, lines: list[str]):
    document = build_document(spec)
    i = next(k for k, b in enumerate(document.blocks) if isinstance(b, Table))
    document.blocks[i : i + 1] = [Paragraph(t, Location(paragraph=i + j)) for j, t in enumerate(lines)]
    return document


def test_a_two_row_merged_header_of_nine_columns_finds_name_and_id_by_header() -> None:
    spec = spec_for(62, people=3)
    rows = [
        [
            "序号",
            "基本情况",
            "基本情况",
            "出生年月",
            "民族",
            "政治面貌",
            "毕业院校",
            "拟录用单位",
            "岗位代码",
        ],
        ["序号", "姓名", "身份证号码", "出生年月", "民族", "政治面貌", "毕业院校", "拟录用单位", "岗位代码"],
    ]
    rows += [[str(k), n, i, "1990.01", "汉族", "中共党员", "西北大学", "西安市发展和改革委员会", "10001"]
             for k, (n, i) in enumerate(spec.people, 1)]  # fmt: skip
    assert _people(extract(_with_table(spec, rows))) == spec.people


def test_a_name_column_headed_without_the_word_name_is_found_by_its_cells() -> None:
    """Regression: 拟录用人员 | 性别 | 政治面貌 | 公民身份号码 gave every person an empty name."""
    spec = spec_for(63, people=3)
    rows = [["序号", "性别", "政治面貌", "拟录用人员", "公民身份号码"]]
    rows += [[str(k), "女", "群众", n, i] for k, (n, i) in enumerate(spec.people, 1)]
    letter = extract(_with_table(spec, rows))
    assert _people(letter) == spec.people and letter.is_clean


def test_a_borderless_roster_with_the_unit_before_the_name_takes_the_name() -> None:
    """Regression: "1  西安市发展改革委  王丽  女  6101…" gave 西安市发展改革委 as the person's name, with
    no problem raised: a reply would have named a unit as the person."""
    spec = spec_for(64, people=3)
    lines = ["序号    拟录用单位          姓名      性别    政治面貌    身份证号码"]
    lines += [
        f"{k}      西安市发展改革委    {n}      女      中共党员    {i}"
        for k, (n, i) in enumerate(spec.people, 1)
    ]
    assert _people(extract(_with_text_roster(spec, lines))) == spec.people


def test_numbered_text_lines_with_sex_in_brackets_and_a_total_line() -> None:
    spec = spec_for(65, people=3)
    lines = [
        f"{k}、{n}（{'女' if k % 2 else '男'}），身份证号：{i}" for k, (n, i) in enumerate(spec.people, 1)
    ]
    letter = extract(_with_text_roster(spec, [*lines, "合计：3人"]))
    assert _people(letter) == spec.people and letter.is_clean


def test_a_name_cell_with_sex_wrapped_to_a_second_line() -> None:
    spec = spec_for(66, people=3)
    rows = [["序号", "姓名", "身份证号码"]]
    rows += [[str(k), f"{n}（\n女）", i] for k, (n, i) in enumerate(spec.people, 1)]
    rows += [["合计", "3人", ""], ["", "", ""]]
    assert _people(extract(_with_table(spec, rows))) == spec.people


def test_spaced_contact_labels_and_a_phone_broken_over_two_lines() -> None:
    spec = spec_for(67)
    spec.contact_line = "联 系 人：王小明　　联系电话：029-8888\n1234"
    document = build_document(spec)
    for i, block in enumerate(list(document.blocks)):  # the wrapped line as a PDF gives it: two lines
        if isinstance(block, Paragraph) and "\n" in block.text:
            first, second = block.text.split("\n")
            document.blocks[i : i + 1] = [Paragraph(first, block.location), Paragraph(second, block.location)]
            break
    letter = extract(document)
    assert (letter.contact.name, letter.contact.phone) == ("王小明", "029-88881234")


def test_a_letter_signed_jointly_names_the_first_unit() -> None:
    for layout in ("side by side", "stacked"):
        spec = spec_for(68)
        document = build_document(spec)
        k = next(i for i, b in enumerate(document.blocks) if isinstance(b, Paragraph) and b.text == spec.unit)
        if layout == "side by side":
            document.blocks[k] = Paragraph(f"{spec.unit}　　陕西省公务员局", document.blocks[k].location)
        else:
            document.blocks.insert(k + 1, Paragraph("陕西省公务员局", document.blocks[k].location))
        assert extract(document).unit == spec.unit, layout


def test_two_addressees_wrapped_after_the_enumeration_comma() -> None:
    spec = spec_for(69)
    document = build_document(spec)
    k = next(
        i
        for i, b in enumerate(document.blocks)
        if isinstance(b, Paragraph) and b.text.startswith(spec.addressee)
    )
    location = document.blocks[k].location
    document.blocks[k : k + 1] = [
        Paragraph("陕西省发展和改革委员会、", location),
        Paragraph("省信息中心（省信用办）：", location),
    ]
    assert extract(document).addressee == "陕西省发展和改革委员会、省信息中心（省信用办）"


def _wide_spec(n: int, order: tuple[str, ...]) -> LetterSpec:
    spec = spec_for(n, people=6)
    spec.extra_columns = {
        "性别": ["男", "女"] * 3, "民族": ["汉族", "回族"] * 3, "政治面貌": ["中共党员", "共青团员", "群众"] * 2,
        "毕业院校": ["西北大学", "陕西师范大学"] * 3, "拟录用单位": ["西安市发展和改革委员会"] * 6,
        "岗位代码": ["1001", "1002"] * 3,
    }  # fmt: skip
    spec.roster_header = order
    return spec


@pytest.mark.slow
@pytest.mark.skipif(not ocr_reader.available(), reason="OCR models are not installed")
def test_a_scanned_wide_roster_takes_names_from_the_name_column(tmp_path: Path) -> None:
    """Regression (hidden scans): a nine-column roster OCR read as text lines gave 中共党员, 共青团员, 群众
    (the 政治面貌 column) as the people's names, with no problem raised."""
    spec = _wide_spec(72, ("序号", "拟录用单位", "岗位代码", "姓名", "性别", "政治面貌", "身份证号码"))
    letter = extract(read_document(build_scan(spec, tmp_path / "wide.pdf")))
    assert _people(letter) == spec.people


def test_a_borderless_roster_header_line_places_the_name() -> None:
    spec = spec_for(73, people=3)
    lines = ["序号  籍贯  姓名  身份证号码"]
    lines += [
        f"{k}  陕西西安  {n}  {i}" for k, (n, i) in enumerate(spec.people, 1)
    ]  # 陕西西安 looks like a name
    assert _people(extract(_with_text_roster(spec, lines))) == spec.people


def test_a_person_found_only_inside_a_sentence_must_be_confirmed() -> None:
    """A name read out of prose may be a word of the sentence: it is no longer only a note but a
    confirmation a named person gives before any reply."""
    spec = spec_for(74, people=1)
    ((name, number),) = spec.people
    document = _with_text_roster(spec, [f"经研究，拟录用{name}（身份证号：{number}）为我单位工作人员。"])
    letter = extract(document)
    assert _people(letter) == spec.people
    assert letter.people[0].confirm == [CONFIRM_FROM_PROSE]
