"""Extraction rules, each variation a LetterSpec, each spec rendered in every format we read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.document import Cell, Location, Table
from pipeline.domain.idnumber import PROBLEM_BIRTH_DATE, PROBLEM_CHECK_DIGIT
from pipeline.domain.letter import Kind, Letter
from pipeline.extraction import extract, validation
from pipeline.reading import read_document
from tests.builders.model_builder import build_document
from tests.builders.spec import DEFAULT_PEOPLE, LetterSpec, bad_check_digit, make_id
from tests.needs import needs_soffice

TODAY = dt.date(2026, 11, 28)
FORMATS = ["model", "docx", "pdf"]


def letter_from(spec: LetterSpec, fmt: str, tmp_path: Path) -> Letter:
    if fmt == "model":
        return extract(build_document(spec), today=TODAY)
    if fmt == "docx":
        from tests.builders.docx_builder import build_docx

        path = build_docx(spec, tmp_path / "letter.docx")
    else:
        from tests.builders.pdf_builder import build_pdf

        path = build_pdf(spec, tmp_path / "letter.pdf")
    return extract(read_document(path), today=TODAY)


@pytest.fixture(params=FORMATS)
def fmt(request):
    return request.param


def people(letter: Letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


# --- the default letter -------------------------------------------------------------------


def test_clean_letter_every_field(fmt, tmp_path):
    letter = letter_from(LetterSpec(), fmt, tmp_path)
    assert letter.kind == Kind.CIVIL_SERVANT
    assert letter.doc_number == "陕人社函〔2021〕88号"
    assert letter.unit == "陕西省人力资源和社会保障厅"
    assert letter.date == dt.date(2021, 6, 4)
    assert letter.addressee == "省信息中心（省信用办）"
    assert (letter.contact.name, letter.contact.phone) == ("张建国", "029-63918210")
    assert people(letter) == DEFAULT_PEOPLE
    assert letter.blocking_reasons == []


def test_every_value_has_provenance(fmt, tmp_path):
    letter = letter_from(LetterSpec(), fmt, tmp_path)
    for key in ("doc_number", "unit", "date", "addressee", "contact.name", "contact.phone"):
        assert key in letter.sources, key
        assert 0 < letter.sources[key].confidence <= 1
    for person in letter.people:
        assert person.name_source is not None and person.id_source is not None
        if fmt == "pdf":
            assert person.id_source.location.page == 2 or person.id_source.location.page == 1
            assert person.id_source.location.bbox is not None
        elif fmt == "docx":
            assert person.id_source.location.table is not None


# --- 文号 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    ["陕人社函[2021]88号", "陕人社函（2021）88号", "陕人社函(2021)88号", "陕人社函【2021】88号",
     "陕人社函［2021］88号", "陕人社函〔２０２１〕８８号", "陕人社函〔2021〕 88 号", "陕人社函 〔2021〕88号"],
)  # fmt: skip
def test_doc_number_brackets_and_widths(printed, fmt, tmp_path):
    assert letter_from(LetterSpec(doc_number=printed), fmt, tmp_path).doc_number == "陕人社函〔2021〕88号"


def test_doc_number_under_letterhead_with_signer(fmt, tmp_path):
    spec = LetterSpec(letterhead="陕西省人力资源和社会保障厅", signer_line="签发人：李明")
    assert letter_from(spec, fmt, tmp_path).doc_number == "陕人社函〔2021〕88号"


def test_cited_document_is_never_the_letters_number(fmt, tmp_path):
    letter = letter_from(LetterSpec(doc_number=None), fmt, tmp_path)
    assert "中组发〔2019〕21号" in LetterSpec().body_text()
    assert letter.doc_number is None
    assert validation.NOTE_NO_DOC_NUMBER in letter.notes
    assert letter.blocking_reasons == []


# --- unit, date ------------------------------------------------------------------------------


@pytest.mark.parametrize("inline", [False, True])
def test_seal_placeholder_is_not_part_of_the_unit(inline, fmt, tmp_path):
    letter = letter_from(LetterSpec(seal="（加盖公章）", seal_inline=inline), fmt, tmp_path)
    assert letter.unit == "陕西省人力资源和社会保障厅"


@pytest.mark.parametrize("style", ["arabic", "chinese", "spaced"])
def test_signature_date_styles(style, fmt, tmp_path):
    spec = LetterSpec(date=dt.date(2024, 12, 30), date_style=style)
    assert letter_from(spec, fmt, tmp_path).date == dt.date(2024, 12, 30)


def test_body_dates_are_not_the_letter_date(fmt, tmp_path):
    spec = LetterSpec(
        kind="public_institution",
        unit="长安大学",
        extra_body=["我校于2021年5月20日发布2021年公开招聘公告，拟于2021年7月1日前办理聘用手续。"],
        date=dt.date(2021, 6, 8),
    )
    letter = letter_from(spec, fmt, tmp_path)
    assert letter.date == dt.date(2021, 6, 8)
    assert letter.unit == "长安大学"
    assert letter.kind == Kind.PUBLIC_INSTITUTION


def test_unit_falls_back_to_letterhead_when_signature_is_missing(tmp_path):
    spec = LetterSpec(letterhead="陕西省财政厅文件", unit="", date_style="arabic")
    doc = build_document(spec)
    doc.blocks = [b for b in doc.blocks if getattr(b, "text", None) not in ("", "2021年6月4日")]
    letter = extract(doc, today=TODAY)
    assert letter.unit == "陕西省财政厅"
    assert validation.PROBLEM_NO_DATE in letter.problems
    assert letter.sources["unit"].confidence < 1


# --- addressee, contact ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addressee", ["省信息中心（省信用办）", "西安市发展和改革委员会", "宝鸡市社会信用体系建设牵头部门"]
)
def test_addressee(addressee, fmt, tmp_path):
    assert letter_from(LetterSpec(addressee=addressee), fmt, tmp_path).addressee == addressee


@pytest.mark.parametrize(
    ("line", "name", "phone"),
    [
        ("联系人：张三，电话：029-88886666", "张三", "029-88886666"),
        ("联系人及电话：张三 029-8888 6666", "张三", "029-88886666"),
        ("联系人：欧阳娜娜　联系电话：13912345678", "欧阳娜娜", "13912345678"),
        ("联系人:李四,电话：0916-2607261", "李四", "0916-2607261"),
        ("联系电话：139 1234 5678", None, "13912345678"),
        ("联系人：人事处 王五；手机：18094971173", "王五", "18094971173"),
    ],
)
def test_contact_forms(line, name, phone, fmt, tmp_path):
    letter = letter_from(LetterSpec(contact_line=line), fmt, tmp_path)
    assert (letter.contact.name, letter.contact.phone) == (name, phone)


def test_service_hotline_is_not_the_contact(fmt, tmp_path):
    spec = LetterSpec(
        extra_body=["如有疑问，请拨打省信息中心（省信用办）服务电话：029-63918210。"],
        contact_line="联系人：赵六，电话：029-87654321",
    )
    letter = letter_from(spec, fmt, tmp_path)
    assert letter.contact.phone == "029-87654321"


# --- kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "title", "expected"),
    [
        ("civil_servant", "关于申请查询公务员录用人选社会信用记录的函", Kind.CIVIL_SERVANT),
        ("civil_servant", "关于申请查询公务员调任人选社会信用记录的函", Kind.CIVIL_SERVANT),
        ("public_institution", "关于申请查询事业单位聘用人选社会信用记录的函", Kind.PUBLIC_INSTITUTION),
        (
            "public_institution",
            "关于申请查询2021年度公开招聘拟聘人员社会信用记录的函",
            Kind.PUBLIC_INSTITUTION,
        ),
    ],
)
def test_kind(kind, title, expected, fmt, tmp_path):
    assert letter_from(LetterSpec(kind=kind, title=title), fmt, tmp_path).kind == expected


# --- roster -------------------------------------------------------------------------------


def test_roster_as_text_lines(fmt, tmp_path):
    assert people(letter_from(LetterSpec(roster_as="text"), fmt, tmp_path)) == DEFAULT_PEOPLE


@pytest.mark.parametrize("header", ["身份证号码", "身份证号", "公民身份号码", "证件号码"])
def test_id_header_synonyms_and_extra_columns(header, fmt, tmp_path):
    spec = LetterSpec(
        roster_header=("序号", "姓名", header),
        extra_columns={"性别": ["男", "女", "男"], "报考职位": ["科员", "科员", "一级主任科员"]},
    )
    assert people(letter_from(spec, fmt, tmp_path)) == DEFAULT_PEOPLE


def test_several_tables_keep_order(fmt, tmp_path):
    many = [(f"张{chr(0x4E00 + i)}", make_id("610102", "19900101", f"{i:03d}")) for i in range(8)]
    spec = LetterSpec(people=many, roster_split=5)
    assert people(letter_from(spec, fmt, tmp_path)) == many


def test_alignment_spaces_and_middle_dots(fmt, tmp_path):
    crowd = [("王伟", DEFAULT_PEOPLE[0][1]), ("索朗・多吉", make_id("540102", "19960606", "435"))]
    letter = letter_from(LetterSpec(people=crowd, name_spacing=True), fmt, tmp_path)
    assert people(letter) == [("王伟", crowd[0][1]), ("索朗·多吉", crowd[1][1])]


def test_full_width_ids_with_spaces_and_lower_x(tmp_path):
    number = "61011519811010387X"
    printed = "６１０１１５ １９８１１０１０ ３８７ｘ"
    letter = extract(build_document(LetterSpec(people=[("毛瑞志", printed)])), today=TODAY)
    assert people(letter) == [("毛瑞志", number)]


def test_fifteen_digit_id_converted_and_noted(fmt, tmp_path):
    letter = letter_from(LetterSpec(people=[("王伟", "610102900101123")]), fmt, tmp_path)
    person = letter.people[0]
    assert len(person.id_number) == 18 and person.problems == []
    assert any("15位" in n for n in person.notes)


# --- checks --------------------------------------------------------------------------------


def test_bad_ids_are_blocking_problems_on_the_person(fmt, tmp_path):
    crowd = [
        ("王伟", bad_check_digit(DEFAULT_PEOPLE[0][1])),
        ("李娜", make_id("610602", "19931131", "481")),
        ("赵敏", DEFAULT_PEOPLE[1][1]),
    ]
    letter = letter_from(LetterSpec(people=crowd), fmt, tmp_path)
    assert letter.people[0].problems == [PROBLEM_CHECK_DIGIT]
    assert PROBLEM_BIRTH_DATE in letter.people[1].problems
    assert letter.people[2].problems == []
    assert not letter.is_clean


def test_identical_duplicate_rows_are_a_note_not_a_problem(fmt, tmp_path):
    crowd = [DEFAULT_PEOPLE[0], DEFAULT_PEOPLE[1], DEFAULT_PEOPLE[0]]
    letter = letter_from(LetterSpec(people=crowd), fmt, tmp_path)
    assert len(letter.people) == 3
    assert not any("重复" in p for p in letter.problems)
    assert any("重复行" in n and "第1人" in n and "第3人" in n for n in letter.notes)


def test_one_id_under_two_names_is_a_letter_problem(fmt, tmp_path):
    crowd = [DEFAULT_PEOPLE[0], DEFAULT_PEOPLE[1], ("王卫", DEFAULT_PEOPLE[0][1])]
    letter = letter_from(LetterSpec(people=crowd), fmt, tmp_path)
    assert any("对应不同姓名" in p and "第1人" in p and "第3人" in p for p in letter.problems)


def test_stated_count_disagreeing_with_roster(fmt, tmp_path):
    letter = letter_from(LetterSpec(stated_count=4), fmt, tmp_path)
    assert any("共4人" in p for p in letter.problems)
    assert letter_from(LetterSpec(stated_count=3), fmt, tmp_path).problems == []


def test_gap_in_serial_numbers(fmt, tmp_path):
    letter = letter_from(LetterSpec(seq_numbers=[1, 2, 4]), fmt, tmp_path)
    assert any("序号不连续" in p and "3" in p for p in letter.problems)


def test_empty_roster_is_a_problem_not_a_crash(fmt, tmp_path):
    letter = letter_from(LetterSpec(people=[]), fmt, tmp_path)
    assert letter.people == []
    assert validation.PROBLEM_NO_PEOPLE in letter.problems


def test_header_and_footer_do_not_leak(fmt, tmp_path):
    spec = LetterSpec(header_text="陕西省人力资源和社会保障厅 办公电话：029-11112222", footer_text="— 1 —")
    letter = letter_from(spec, fmt, tmp_path)
    assert letter.contact.phone == "029-63918210"
    assert people(letter) == DEFAULT_PEOPLE


def test_large_roster_in_order(fmt, tmp_path):
    crowd = [
        (f"李{chr(0x4E00 + i)}{chr(0x4E10 + i % 7)}", make_id("610113", "19851010", f"{i:03d}"))
        for i in range(75)
    ]
    letter = letter_from(LetterSpec(people=crowd, stated_count=75), fmt, tmp_path)
    assert people(letter) == crowd
    assert letter.problems == []


# --- regressions for variations seen in real letters -----------------------------------------


@pytest.mark.parametrize(
    "line",
    ["特急 陕人社函〔2021〕88号", "000123 机密★1年 陕人社函〔2021〕88号", "文号：陕人社函〔2021〕88号"],
)
def test_doc_number_line_with_markers(line, tmp_path):
    assert letter_from(LetterSpec(doc_number=line), "model", tmp_path).doc_number == "陕人社函〔2021〕88号"


def test_marker_words_inside_a_prefix_are_kept(tmp_path):
    assert (
        letter_from(LetterSpec(doc_number="陕公开函〔2021〕1号"), "model", tmp_path).doc_number
        == "陕公开函〔2021〕1号"
    )


def test_spaced_header_cells(fmt, tmp_path):
    spec = LetterSpec(roster_header=("序  号", "姓  名", "身份证号码"))
    assert people(letter_from(spec, fmt, tmp_path)) == DEFAULT_PEOPLE


def test_people_named_in_prose_when_there_is_no_roster(tmp_path):
    body = (
        f"经研究，拟录用王伟（身份证号：{DEFAULT_PEOPLE[0][1]}）、欧阳娜娜（身份证号：{DEFAULT_PEOPLE[1][1]}）"
        "为我单位工作人员，现商请你办协助查询其社会信用记录。"
    )
    letter = letter_from(LetterSpec(body=body, people=[]), "model", tmp_path)
    assert people(letter) == [("王伟", DEFAULT_PEOPLE[0][1]), ("欧阳娜娜", DEFAULT_PEOPLE[1][1])]
    assert all(any("正文" in n for n in p.confirm) for p in letter.people)  # confirmed before any reply


def test_date_followed_by_publication_remark(tmp_path):
    spec = LetterSpec()
    doc = build_document(spec)
    for block in doc.blocks:
        if getattr(block, "text", "") == "2021年6月4日":
            block.text = "2021年6月4日（此件不公开）"
    assert extract(doc, today=TODAY).date == dt.date(2021, 6, 4)


def test_addressee_in_the_colophon(tmp_path):
    spec = LetterSpec(cc_line="主送：省信息中心（省信用办）。")
    doc = build_document(spec)
    doc.blocks = [b for b in doc.blocks if getattr(b, "text", "") != "省信息中心（省信用办）："]
    letter = extract(doc, today=TODAY)
    assert letter.addressee == "省信息中心（省信用办）"
    assert people(letter) == DEFAULT_PEOPLE


def test_undecodable_character_in_a_name_blocks(tmp_path):
    doc = build_document(LetterSpec(people=[("王\ufffd", DEFAULT_PEOPLE[0][1]), DEFAULT_PEOPLE[1]]))
    letter = extract(doc, today=TODAY)
    assert letter.people[0].problems == [validation.PROBLEM_UNREADABLE_NAME]
    assert letter.people[1].problems == []


def _paged_table(rows: list[list[str]], pages: list[int]) -> Table:
    return Table(
        [
            [
                Cell(text, Location(page=page, bbox=(0, 0, 1, 1), table=0, row=r, col=c))
                for c, text in enumerate(row)
            ]
            for r, (row, page) in enumerate(zip(rows, pages, strict=True))
        ]
    )


def test_row_cut_by_a_page_break_is_joined(tmp_path):
    """LibreOffice lets a row break across pages: the last digit of an ID, or the end of a
    long name, lands in a row of its own (no 序号) at the top of the next page."""
    first, second = DEFAULT_PEOPLE[0], DEFAULT_PEOPLE[2]
    rows = [
        ["序号", "姓名", "身份证号码"],
        ["1", first[0], first[1][:17]],
        ["", "", first[1][17:]],
        ["2", "阿卜杜拉·麦", second[1]],
        ["", "麦提", ""],
    ]
    doc = build_document(LetterSpec(people=[]))
    doc.blocks = [b for b in doc.blocks if not isinstance(b, Table)] + [_paged_table(rows, [2, 2, 3, 3, 4])]
    letter = extract(doc, today=TODAY)
    assert people(letter) == [first, second]
    assert letter.problems == []


def test_a_person_without_serial_number_on_the_same_page_is_never_merged(tmp_path):
    rows = [["序号", "姓名", "身份证号码"], ["1", "王伟", DEFAULT_PEOPLE[0][1]], ["", "李娜", ""]]
    doc = build_document(LetterSpec(people=[]))
    doc.blocks = [b for b in doc.blocks if not isinstance(b, Table)] + [_paged_table(rows, [2, 2, 2])]
    letter = extract(doc, today=TODAY)
    assert [p.name for p in letter.people] == ["王伟", "李娜"]
    assert letter.people[1].problems == [validation.PROBLEM_NO_ID]


@needs_soffice
def test_libreoffice_pdf_of_a_long_split_roster(tmp_path):
    from tests.builders.docx_builder import build_docx
    from tests.builders.pdf_builder import build_pdf_via_libreoffice

    crowd = [
        (f"张{chr(0x4E00 + i)}{chr(0x4E50 + i % 9)}", make_id("610102", "19900101", f"{i:03d}"))
        for i in range(45)
    ]
    docx_path = build_docx(LetterSpec(people=crowd, roster_split=20), tmp_path / "letter.docx")
    letter = extract(read_document(build_pdf_via_libreoffice(docx_path, tmp_path / "out")), today=TODAY)
    assert people(letter) == crowd
    assert letter.problems == []
