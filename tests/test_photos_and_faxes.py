"""Phone photos (perspective, shadow) and received faxes (1-bit, 200 x 100 dpi, transmission line)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cv2")

import numpy as np
from PIL import Image

from pipeline.extraction import extract
from pipeline.reading import ocr_reader, read_document
from pipeline.reading.ocr.images import page_picture, page_sizes, square_pixels
from pipeline.reading.ocr.photo import find_page
from tests.builders.scan_builder import build_fax, build_photo, build_scan
from tests.builders.spec import LetterSpec
from tests.service_letters import spec_for

pytestmark = pytest.mark.slow  # real child processes, OCR or a whole install: seconds each

needs_ocr = pytest.mark.skipif(not ocr_reader.available(), reason="OCR models are not installed")


def _people(letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


def _photo_spec() -> LetterSpec:
    return spec_for(51, people=8)


@needs_ocr
def test_a_photo_taken_at_a_steep_angle_in_shadow_reads_the_whole_roster(tmp_path: Path) -> None:
    """Seen at an angle, the roster's rows slant by different amounts: before the sheet was found and
    warped square, this photo gave 9 rows, 5 of them right, and rows without a name or an ID."""
    spec = _photo_spec()
    path = build_photo(spec, tmp_path / "photo.jpg", tilt=0.3, shadow=0.75, seed=9)
    letter = extract(read_document(path))
    assert _people(letter) == spec.people
    assert (letter.unit, letter.date) == (spec.unit, spec.date)
    assert (letter.contact.name, letter.contact.phone) == ("张建国", "029-63918210")


@needs_ocr
def test_a_photo_on_a_grey_desk_lit_from_one_side_is_cut_to_the_sheet(tmp_path: Path) -> None:
    """The lit desk is as bright as the paper: the brightness outline runs into the image corners and
    is not taken; the paper's edge is."""
    spec = _photo_spec()
    path = build_photo(spec, tmp_path / "photo.jpg", tilt=0.3, shadow=0.8, seed=11, desk=(150, 150, 150))
    rgb = np.asarray(Image.open(path).convert("RGB"))
    corners = find_page(rgb)
    assert corners is not None
    h, w = rgb.shape[:2]
    assert all(0.02 * w < x < 0.98 * w and 0.02 * h < y < 0.98 * h for x, y in corners)
    assert _people(extract(read_document(path))) == spec.people


def test_a_scan_whose_page_fills_the_image_is_not_warped(tmp_path: Path) -> None:
    path = build_scan(spec_for(52), tmp_path / "scan.png", fmt="png", one_page=True)
    assert find_page(np.asarray(Image.open(path).convert("RGB"))) is None


def test_the_console_shows_a_photo_as_it_was_read(tmp_path: Path) -> None:
    """The boxes of a photo's values are measured on the flattened sheet: the page image and its size
    in points come from that same picture, not from the photo with its desk."""
    path = build_photo(_photo_spec(), tmp_path / "photo.jpg", tilt=0.2, seed=5)
    picture = page_picture(path, 1)
    assert picture is not None
    with Image.open(path) as raw:
        assert picture.size != raw.size
    ((width, height),) = page_sizes(path)
    assert width == pytest.approx(595.3, abs=1) and height / width == pytest.approx(
        picture.height / picture.width, rel=1e-3
    )


def test_a_standard_resolution_fax_is_stretched_to_square_pixels(tmp_path: Path) -> None:
    path = build_fax(spec_for(53), tmp_path / "fax.tiff")
    with Image.open(path) as fax:
        assert fax.mode == "1" and fax.info["dpi"] == (200, 100)
        squared, dpi = square_pixels(fax)
        assert dpi == 200 and squared.size == (fax.width, fax.height * 2) and squared.mode == "L"
    assert page_sizes(path)[0] == pytest.approx((595.3, 841.9), abs=2)


@needs_ocr
def test_a_fax_reads_like_its_letter_and_its_transmission_line_is_not_the_letter(tmp_path: Path) -> None:
    """Read at 200 x 100 as if square, every line was half height and names lost characters; the
    machine's top line (its own date and number) is page furniture, not the letter's date."""
    spec = spec_for(54, people=6)
    document = read_document(build_fax(spec, tmp_path / "fax.tiff", seal=False))
    assert document.page_count == 2
    assert all("FAX" in h.text for h in document.headers) and len(document.headers) == 2
    assert not any("FAX" in b.text for b in document.paragraphs())
    letter = extract(document)
    assert _people(letter) == spec.people
    assert (letter.unit, letter.doc_number, letter.date) == (spec.unit, spec.doc_number, spec.date)


@needs_ocr
def test_a_fax_with_its_seal_still_gives_unit_and_roster(tmp_path: Path) -> None:
    spec = spec_for(55, people=6)
    letter = extract(read_document(build_fax(spec, tmp_path / "fax.tiff")))
    assert _people(letter) == spec.people and letter.unit == spec.unit
    assert letter.from_scan  # a fax always waits for a clerk's look (来自扫描件)
