"""Every character in a reply is the one the letter means.

Found on letters from producers the project had not seen: a letter printed to PDF by Chromium (how OA
systems make PDFs) carried CJK Radicals Supplement and Kangxi Radicals code points in its text layer
for ordinary characters — ⻜ (U+2EDC) for 飞, ⺠ for 民, ⽤ for 用 — and a reply went out naming 钟⻜丽
instead of 钟飞丽, a different character and a person no record matches. NFKC folds the Kangxi block
but not the Radicals Supplement.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from docx import Document as Docx

from pipeline.extraction import extract
from pipeline.ideographs import HAN_BLOCKS, equivalents, fold, foreign_characters, table_version
from pipeline.reading import read_document
from pipeline.reading.pdf_reader import reader as pdf_reader
from tests.builders.chromium_builder import CHROMIUM, build_chromium_pdf
from tests.builders.spec import LetterSpec, make_id
from tests.review_office import state

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; CI installs it")

RADICAL_NAME = "钟⻜丽"  # ⻜ U+2EDC CJK RADICAL C-SIMPLIFIED FLY
RADICAL_SPEC = dict(
    kind="public_institution",
    doc_number="陕⺠政函〔2026〕12号",  # ⺠ U+2EA0
    unit="陕西省⺠政厅",
    addressee="省信息中心（省信⽤办）",  # ⽤ U+2F64 KANGXI RADICAL USE
)


def _radicals(text: str) -> list[str]:
    return [ch for ch in text if 0x2E80 <= ord(ch) <= 0x2FDF or 0x31C0 <= ord(ch) <= 0x31EF]


def _docx_text(path: Path) -> str:
    doc = Docx(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_radicals_fold_by_unicodes_own_table() -> None:
    assert table_version() == "15.0.0" and len(equivalents()) > 300
    assert fold("钟⻜丽 ⺠ ⽤ ⻥") == "钟飞丽 民 用 鱼"  # supplement, Kangxi, supplement
    assert fold("\uf900\U0002f800") == unicodedata.normalize("NFC", "\uf900\U0002f800")  # compatibility
    assert fold("（〔2026〕１２号）") == "（〔2026〕１２号）"  # the domain's full-width punctuation stays
    for _, low, high in HAN_BLOCKS:  # nothing a name may hold is folded away
        assert fold(chr(low) + chr(high)) == chr(low) + chr(high)


def test_a_name_with_a_character_outside_the_han_blocks_is_held_with_its_code_point() -> None:
    assert foreign_characters("阿卜杜拉·麦麦提") == [] and foreign_characters("𫭟明") == []
    assert foreign_characters("王☆伟") == ["☆"]
    from pipeline.domain.letter import Person
    from pipeline.extraction.validation import validate_person

    person = Person(name="王☆伟", id_number=make_id())
    import datetime as dt

    validate_person(person, dt.date(2026, 12, 1))
    assert any("U+2606" in p for p in person.problems)


@needs_chromium
@pytest.mark.browser
def test_a_chromium_printed_letter_with_radical_code_points_is_read_as_a_person_reads_it(
    tmp_path: Path,
) -> None:
    spec = LetterSpec(
        people=[
            (RADICAL_NAME, make_id("610102", "19900101", "123")),
            ("王伟", make_id("610113", "19951231", "246")),
        ],
        **RADICAL_SPEC,
    )
    path = build_chromium_pdf(spec, tmp_path / "oa.pdf")
    assert pdf_reader.second_reading(path) is not None
    letter = extract(read_document(path))
    assert [p.name for p in letter.people] == ["钟飞丽", "王伟"]
    assert (letter.doc_number, letter.unit, letter.addressee) == (
        "陕民政函〔2026〕12号",
        "陕西省民政厅",
        "省信息中心（省信用办）",
    )
    assert letter.is_clean, letter.blocking_reasons


@needs_chromium
@pytest.mark.browser
def test_letters_process_and_watch_reply_a_chromium_letter_with_no_radical_in_the_outbox(
    office, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cli import main

    ctx, service = office
    spec = LetterSpec(people=[(RADICAL_NAME, make_id("610102", "19900101", "123"))], **RADICAL_SPEC)
    build_chromium_pdf(spec, tmp_path / "来函.pdf")
    assert main(["process", str(tmp_path / "来函.pdf")]) == 0, capsys.readouterr()
    spec.doc_number = "陕⺠政函〔2026〕13号"
    build_chromium_pdf(spec, tmp_path / "second.pdf")
    case_id = service.handle_file(_into(tmp_path / "second.pdf", service.folders.inbox))  # the watcher's path
    assert case_id is not None and state(ctx, case_id) == "replied"
    replies = sorted(service.folders.outbox.glob("*.docx"))
    assert len(replies) == 2
    for reply in replies:
        text = _docx_text(reply)
        assert "钟飞丽" in text and "陕西省民政厅" in text and not _radicals(text + reply.name), reply.name
    for path in service.folders.outbox.iterdir():
        assert not _radicals(path.name)


def _into(path: Path, folder: Path) -> Path:
    target = folder / path.name
    path.replace(target)
    return target


def test_a_second_reading_that_disagrees_holds_the_letter_and_names_the_field(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The first character of a 文号 and a name's character lost in one reading: held, never replied."""
    from tests.builders.pdf_builder import build_pdf

    spec = LetterSpec(
        people=[
            ("钟飞丽", make_id("610102", "19900101", "123")),
            ("王伟", make_id("610113", "19951231", "246")),
        ]
    )
    path = build_pdf(spec, tmp_path / "letter.pdf")
    honest = pdf_reader.second_reading(path)
    assert honest is not None and extract(read_document(path)).is_clean
    lying = honest.replace("陕人社函", "人社函").replace("钟飞丽", "钟⻜丽".replace("⻜", "K"))
    monkeypatch.setattr(pdf_reader, "second_reading", lambda _p: lying)
    letter = extract(read_document(path))
    reasons = "；".join(letter.blocking_reasons)
    assert "来函文号" in reasons and "钟飞丽" in reasons and "另一种读法" in reasons
    assert "王伟" not in reasons  # the rest agree
