"""OFD letters (GB/T 33190): read into the same Document as a text PDF, or refused with the right reason."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from pipeline.document import Table
from pipeline.errors import CorruptFile, EncryptedFile, NotALetter, ScannedLetter
from pipeline.extraction import extract
from pipeline.reading import ofd_reader, read_document
from pipeline.reading.ofd_reader import package as ofd_package
from pipeline.reading.ofd_reader.content import deltas
from pipeline.reading.ofd_reader.render import render_pdf
from tests.builders.ofd_builder import NS, build_ofd, write_ofd_parts
from tests.service_letters import spec_for


def _people(letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


@pytest.mark.parametrize(
    "quirks",
    [
        {},
        {"entry": False},  # no OFD.xml: the document found by its conventional name
        {"prefix": ""},  # a default namespace instead of ofd:
        {"ctm": True},  # text scaled through a CTM (Suwell)
        {"upper_dirs": True, "prefix": "", "entry": False},
    ],
    ids=["plain", "no-entry", "default-ns", "ctm", "all-quirks"],
)
def test_an_ofd_letter_is_read_like_its_pdf(tmp_path: Path, quirks: dict) -> None:
    spec = spec_for(31, people=7)
    document = read_document(build_ofd(spec, tmp_path / "a.ofd", **quirks))
    assert document.source_type == "ofd" and document.page_count == 2
    letter = extract(document)
    assert _people(letter) == spec.people
    assert (letter.unit, letter.doc_number, letter.date) == (spec.unit, spec.doc_number, spec.date)
    assert (letter.contact.name, letter.contact.phone) == (
        "张建国",
        "029-63918210",
    )  # the spec's contact line
    assert not letter.problems
    assert any(isinstance(b, Table) for b in document.blocks)  # the ruled roster stays a table


def test_an_ofd_value_carries_page_and_box_in_points(tmp_path: Path) -> None:
    """Provenance works unchanged: the box of a person's ID lies on the A4 page where the PDF put it."""
    spec = spec_for(32, people=2)
    ofd = build_ofd(spec, tmp_path / "a.ofd")
    letter = extract(read_document(ofd))
    where = letter.people[0].id_source.location
    assert where.page == 2 and where.bbox is not None
    x0, top, x1, bottom = where.bbox
    assert 0 < x0 < x1 < 595.3 and 0 < top < bottom < 841.9
    drawn = render_pdf(ofd, tmp_path / "drawn.pdf")  # the console's page image: the ID is under that box
    assert drawn == 2
    with pdfplumber.open(tmp_path / "drawn.pdf") as pdf:
        inside = pdf.pages[1].crop((x0 - 2, top - 2, x1 + 2, bottom + 2)).extract_text().replace(" ", "")
    assert spec.people[0][1] in inside


def test_delta_repetitions_are_expanded() -> None:
    assert deltas("g 3 5.6 2.8 g 2 1") == [5.6, 5.6, 5.6, 2.8, 1.0, 1.0]
    assert deltas("x 1 g") == [1.0]  # junk is skipped, never raised


def test_an_encrypted_ofd_is_refused_as_encrypted(tmp_path: Path) -> None:
    path = build_ofd(spec_for(33), tmp_path / "a.ofd")
    import zipfile

    with zipfile.ZipFile(path, "a") as z:
        z.writestr("Encryptions.xml", f'<Encryptions xmlns="{NS}"/>')
    with pytest.raises(EncryptedFile) as refused:
        read_document(path)
    assert "已加密" in refused.value.message_zh


def test_an_ofd_without_pages_is_not_a_letter_and_not_damaged(tmp_path: Path) -> None:
    """Regression: an OFD (a zip with OFD.xml) was refused as 文件已损坏, a wrong reason."""
    for name, entries in (
        ("with-entry.ofd", ["OFD.xml", "Doc_0/Document.xml"]),
        ("no-entry.ofd", ["Doc_0/Document.xml"]),
    ):
        path = write_ofd_parts(tmp_path / name, dict.fromkeys(entries, f"<ofd:OFD xmlns:ofd='{NS}'/>"))
        with pytest.raises(NotALetter) as refused:
            read_document(path)
        assert "OFD" in refused.value.message_zh and "损坏" not in refused.value.message_zh


def test_an_ofd_of_signatures_only_says_there_is_no_document(tmp_path: Path) -> None:
    path = write_ofd_parts(
        tmp_path / "signs.ofd",
        {"OFD.xml": f"<OFD xmlns='{NS}'><DocBody><Signatures>Doc_0/Signs/Signatures.xml</Signatures></DocBody></OFD>",
         "Doc_0/Signs/Signatures.xml": f"<Signatures xmlns='{NS}'/>"},
    )  # fmt: skip
    with pytest.raises(NotALetter) as refused:
        read_document(path)
    assert "没有正文文档" in refused.value.message_zh


def test_an_ofd_drawn_only_in_outlines_says_it_has_no_text(tmp_path: Path) -> None:
    doc = (
        f"<Document xmlns='{NS}'><Pages><Page ID='1' BaseLoc='Pages/Page_0/Content.xml'/></Pages></Document>"
    )
    page = (
        f"<Page xmlns='{NS}'><Content><Layer ID='2'><PathObject ID='3' Boundary='10 10 50 50'>"
        "<AbbreviatedData>M 0 0 L 50 0 L 50 50 C</AbbreviatedData></PathObject></Layer></Content></Page>"
    )
    path = write_ofd_parts(
        tmp_path / "paths.ofd", {"Doc_0/Document.xml": doc, "Doc_0/Pages/Page_0/Content.xml": page}
    )
    with pytest.raises(NotALetter) as refused:
        read_document(path)
    assert "没有可读取的文字" in refused.value.message_zh


def test_a_damaged_ofd_part_fails_as_damaged(tmp_path: Path) -> None:
    path = build_ofd(spec_for(34), tmp_path / "a.ofd")
    broken = tmp_path / "broken.ofd"
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(
                info, data[: len(data) // 2] if info.filename.endswith("Page_0/Content.xml") else data
            )
    with pytest.raises(CorruptFile) as failed:
        read_document(broken)
    assert "OFD" in failed.value.message_zh


def test_an_ofd_part_past_the_size_bound_is_refused_before_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_ofd(spec_for(35), tmp_path / "a.ofd")
    monkeypatch.setattr(ofd_package, "MAX_TOTAL_BYTES", 2000)
    with pytest.raises(CorruptFile) as refused:
        read_document(path)
    assert "内容过大" in refused.value.message_zh


@pytest.mark.slow
def test_an_ofd_of_scanned_pages_goes_to_ocr(tmp_path: Path) -> None:
    spec = spec_for(36, people=3)
    path = build_ofd(spec, tmp_path / "scan.ofd", image_only=True)
    with pytest.raises(ScannedLetter):
        ofd_reader.read_ofd(path)
    from pipeline.reading import ocr_reader

    if not ocr_reader.available():
        pytest.skip("OCR models are not installed")
    document = read_document(path)
    assert document.source_type == "ocr"
    assert _people(extract(document)) == spec.people
