"""Rosters sent beside the letter: zips and folders of a letter with its spreadsheet or document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import LooseAttachment, NotALetter
from pipeline.extraction import extract
from pipeline.extraction.attachments import NOTE_FROM_ATTACHMENT
from pipeline.extraction.validation import PROBLEM_EXCEL_NUMBER
from pipeline.reading import read_document
from pipeline.reading.sheet_reader import excel_display
from pipeline.reading.sniff import sniff
from tests.builders.bundle_builder import letter_without_roster, roster_csv, roster_xlsx, zip_of
from tests.builders.docx_builder import build_docx
from tests.needs import needs_soffice
from tests.service_letters import spec_for


def _people(letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


def test_a_zip_of_a_letter_and_its_spreadsheet_roster_is_one_letter(tmp_path: Path) -> None:
    letter, spec, roster = letter_without_roster(121, tmp_path)
    sheet = roster_xlsx(roster, tmp_path / "r.xlsx", title_rows=1)  # a title row above the header
    bundle = zip_of(tmp_path / "来函.zip", {"关于查询的函.docx": letter, "2024年度拟录用人员名单.xlsx": sheet},
                    gbk_names=True)  # fmt: skip
    letter_read = extract(read_document(bundle))
    assert _people(letter_read) == roster and letter_read.is_clean
    assert letter_read.unit == spec.unit and letter_read.doc_number == spec.doc_number
    assert (
        NOTE_FROM_ATTACHMENT.format(name="2024年度拟录用人员名单.xlsx") in letter_read.notes
    )  # GBK name read


@pytest.mark.parametrize("number_format", [None, "0"], ids=["general", "digits"])
def test_ids_excel_stored_as_numbers_are_flagged_never_guessed(
    tmp_path: Path, number_format: str | None
) -> None:
    """An 18-digit ID stored as a number keeps 15 digits: shown 6.10102E+17, or with the last three
    turned to 000. Such an ID is a problem asking for a text copy; it is never checked or repaired."""
    letter, _, roster = letter_without_roster(122, tmp_path, people=3)
    sheet = roster_xlsx(roster, tmp_path / "名单.xlsx", numeric_ids=True, number_format=number_format)
    read = extract(read_document(zip_of(tmp_path / "b.zip", {"函.docx": letter, "名单.xlsx": sheet})))
    assert [p.name for p in read.people] == [n for n, _ in roster]
    assert all(PROBLEM_EXCEL_NUMBER in [str(x) for x in p.problems] for p in read.people)
    if number_format == "0":
        assert all(p.id_as_printed.endswith("000") for p in read.people)


def test_a_csv_export_with_scientific_ids_is_flagged(tmp_path: Path) -> None:
    letter, _, roster = letter_without_roster(123, tmp_path, people=2)
    sheet = roster_csv(roster, tmp_path / "名单.csv", ids=["6.10102E+17", roster[1][1]])
    assert sniff(sheet) == "csv"
    read = extract(read_document(zip_of(tmp_path / "b.zip", {"函.docx": letter, "名单.csv": sheet})))
    assert PROBLEM_EXCEL_NUMBER in [str(x) for x in read.people[0].problems]
    assert read.people[1].id_number == roster[1][1] and not read.people[1].problems


def test_excel_display_matches_what_the_sender_saw() -> None:
    assert excel_display(610102199001011000, None) == "6.10102E+17"
    assert excel_display(610102199001011000, "0") == "610102199001011000"
    assert excel_display(42, None) == "42"


def test_the_letters_own_roster_and_a_different_attachment_are_compared_by_a_clerk(tmp_path: Path) -> None:
    spec = spec_for(124, people=3)
    letter = build_docx(spec, tmp_path / "函.docx")
    other = roster_xlsx(
        [*spec.people[:2], ("赵六", spec_for(125, people=1).people[0][1])], tmp_path / "名单.xlsx"
    )
    read = extract(read_document(zip_of(tmp_path / "b.zip", {"函.docx": letter, "名单.xlsx": other})))
    assert _people(read) == spec.people  # the letter's own, never mixed
    assert any("不一致" in str(p) for p in read.problems)
    same = roster_xlsx(spec.people, tmp_path / "同.xlsx")
    read = extract(read_document(zip_of(tmp_path / "c.zip", {"函.docx": letter, "名单.xlsx": same})))
    assert read.is_clean and any("一致" in n for n in read.notes)


def test_the_attachment_the_letter_names_is_taken_first(tmp_path: Path) -> None:
    letter, _, roster = letter_without_roster(126, tmp_path, people=2)
    named = roster_xlsx(roster, tmp_path / "a.xlsx")
    spare = roster_xlsx(spec_for(127, people=2).people, tmp_path / "b.xlsx")
    read = extract(read_document(zip_of(tmp_path / "b.zip", {
        "函.docx": letter, "报名信息汇总表.xlsx": spare, "2024年度拟录用人员名单.xlsx": named,
    })))  # fmt: skip
    assert _people(read)[:2] == roster


def test_a_zip_of_two_letters_is_refused_with_the_reason(tmp_path: Path) -> None:
    a = build_docx(spec_for(128), tmp_path / "a.docx")
    b = build_docx(spec_for(129), tmp_path / "b.docx")
    with pytest.raises(NotALetter) as refused:
        read_document(zip_of(tmp_path / "two.zip", {"甲单位函.docx": a, "乙单位函.docx": b}))
    assert "多份来函" in refused.value.message_zh


def test_a_roster_without_its_letter_says_so(tmp_path: Path) -> None:
    sheet = roster_xlsx(spec_for(130).people, tmp_path / "名单.xlsx")
    with pytest.raises(LooseAttachment) as alone:
        extract(read_document(sheet))
    assert "未找到与之一同发送的来函" in alone.value.message_zh
    with pytest.raises(LooseAttachment) as zipped:
        read_document(zip_of(tmp_path / "only.zip", {"名单.xlsx": sheet, "名单2.xlsx": sheet}))
    assert "名单.xlsx" in zipped.value.message_zh


def test_a_broken_office_file_is_still_damaged_not_a_bundle(tmp_path: Path) -> None:
    from pipeline.errors import CorruptFile
    from tests.builders.docx_builder import write_docx_without_document

    with pytest.raises(CorruptFile):
        read_document(write_docx_without_document(spec_for(131), tmp_path / "x.docx"))


@pytest.mark.slow
@needs_soffice
@pytest.mark.parametrize("suffix", [".xls", ".et"])
def test_legacy_spreadsheets_are_converted_and_read(tmp_path: Path, suffix: str, monkeypatch) -> None:
    import subprocess

    monkeypatch.setattr("pipeline.reading.legacy._cache_root", tmp_path / "cache")
    letter, _, roster = letter_without_roster(132, tmp_path, people=3)
    xlsx = roster_xlsx(roster, tmp_path / "r.xlsx")
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "xls",
         "--outdir", str(tmp_path), str(xlsx)], capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    legacy = (tmp_path / "r.xls").rename(tmp_path / f"名单{suffix}")
    assert sniff(legacy) == "xls"
    read = extract(read_document(zip_of(tmp_path / "b.zip", {"函.docx": letter, f"名单{suffix}": legacy})))
    assert _people(read) == roster


def test_a_folder_bundle_packs_to_the_same_bytes_again_after_a_crash(tmp_path: Path) -> None:
    """A crash between packing and clearing the folder packs it again: the very same zip, so the intake
    finds the case it registered instead of opening a duplicate."""
    from pipeline.files import sha256_file
    from pipeline.inbox.bundles import bundle_of, clear, pack

    inbox = tmp_path / "inbox"
    folder = inbox / "来函"
    folder.mkdir(parents=True)
    letter, _, roster = letter_without_roster(133, tmp_path)
    shutil.copy(letter, folder / "函.docx")
    roster_xlsx(roster, folder / "名单.xlsx")
    bundle = bundle_of(folder / "函.docx", inbox)
    assert bundle is not None and bundle_of(folder / "名单.xlsx", inbox) == bundle
    first, shas = pack(bundle, inbox)
    digest = sha256_file(first)
    again, _ = pack(bundle, inbox)
    assert again == first and sha256_file(again) == digest
    (folder / "名单.xlsx").write_bytes(b"changed after packing")  # a clerk replaced it meanwhile: kept
    clear(bundle, shas)
    assert not (folder / "函.docx").exists() and (folder / "名单.xlsx").exists()


def test_a_folder_of_several_letters_stays_several_cases(tmp_path: Path) -> None:
    from pipeline.inbox.bundles import bundle_of

    inbox = tmp_path / "inbox"
    folder = inbox / "本周来函"
    folder.mkdir(parents=True)
    build_docx(spec_for(134), folder / "甲.docx")
    build_docx(spec_for(135), folder / "乙.docx")
    assert bundle_of(folder / "甲.docx", inbox) is None


def test_a_roster_sent_as_a_second_word_document_is_read_from_it(tmp_path: Path) -> None:
    import docx

    letter, _, roster = letter_without_roster(136, tmp_path)
    sheet = docx.Document()
    sheet.add_paragraph("2024年度拟录用人员名单")
    table = sheet.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ["序号", "姓名", "身份证号码"], strict=True):
        cell.text = text
    for k, (name, number) in enumerate(roster, 1):
        for cell, text in zip(table.add_row().cells, [str(k), name, number], strict=True):
            cell.text = text
    sheet.save(tmp_path / "名单.docx")
    read = extract(
        read_document(
            zip_of(tmp_path / "b.zip", {"函.docx": letter, "附件：名单.docx": tmp_path / "名单.docx"})
        )
    )
    assert _people(read) == roster and read.is_clean
