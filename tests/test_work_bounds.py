"""Hostile files cost bounded work: sizes are checked as declared, before rendering or decoding."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import CorruptFile
from pipeline.reading import read_document
from pipeline.reading.docx_reader import package as docx_package
from pipeline.reading.limits import MAX_RENDER_PIXELS, render_scale
from tests.builders.bundle_builder import roster_xlsx
from tests.builders.docx_builder import build_docx
from tests.service_letters import spec_for


def _one_page_pdf(path: Path, width: float, height: float) -> Path:
    """A minimal PDF (a few hundred bytes) whose only page declares the given size and holds nothing."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.0f} {height:.0f}] >>".encode(),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())
    return path


def test_a_tiny_pdf_declaring_a_14400_pt_page_is_refused_before_rendering(tmp_path: Path) -> None:
    """Regression: a 724-byte PDF with one 14400 x 14400 pt page took more than 6 GB in 9 s (OCR rendered it
    at 250 dpi: 2.5 gigapixels)."""
    path = _one_page_pdf(tmp_path / "huge.pdf", 14400, 14400)
    assert path.stat().st_size < 1000
    from pipeline.reading import ocr_reader

    if not ocr_reader.available():
        pytest.skip("OCR models are not installed (the page goes to OCR)")
    with pytest.raises(CorruptFile) as refused:
        read_document(path)
    assert "页面尺寸异常" in refused.value.message_zh and "508" in refused.value.message_zh  # 508 cm


def test_a_page_refused_by_its_size_loads_no_ocr_models(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: the OCR models (two seconds) were loaded before the first page was measured, so
    every refused file paid for them."""
    from pipeline.reading import ocr_reader

    if not ocr_reader.available():
        pytest.skip("OCR models are not installed (the page goes to OCR)")
    loads: list[int] = []
    monkeypatch.setattr(ocr_reader, "get_engine", lambda: loads.append(1))
    with pytest.raises(CorruptFile):
        read_document(_one_page_pdf(tmp_path / "huge.pdf", 14400, 14400))
    assert loads == []


@pytest.mark.parametrize("size", [(200_000, 2), (2, 200_000), (24, 24), (4000, 150)])
def test_an_image_of_no_page_shape_is_refused_with_its_reason(tmp_path: Path, size: tuple[int, int]) -> None:
    """Regression: a 200000 x 2 PNG (small, and under the pixel bound) reached OpenCV's resize with
    a zero-pixel side and ended as 系统内部错误 instead of with a reason for the clerk."""
    from PIL import Image

    path = tmp_path / "strip.png"
    Image.new("L", size, 255).save(path)
    with pytest.raises(CorruptFile) as refused:
        read_document(path)
    assert f"图片的尺寸异常（{size[0]} × {size[1]} 像素）" in refused.value.message_zh


def test_a_long_fax_roll_is_still_a_page() -> None:
    """The shape bound leaves real pages alone: three A4 fax pages on one roll (1:4.2) are read."""
    from pipeline.reading.limits import check_page_shape

    check_page_shape(1728, 3 * 2200)
    check_page_shape(1080, 1080 * 19)  # a long phone screenshot


def test_a_large_but_real_page_is_rendered_under_the_pixel_budget() -> None:
    a3 = (841.9, 1190.6)
    assert render_scale(*a3, 250 / 72) == pytest.approx(250 / 72)  # A3 at 250 dpi: 17 Mpx, as asked
    a0 = (2383.9, 3370.4)
    scale = render_scale(*a0, 250 / 72)
    assert a0[0] * a0[1] * scale * scale <= MAX_RENDER_PIXELS * 1.0001


def test_a_docx_whose_parts_inflate_past_the_total_bound_is_refused(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: ten 150 MB header parts, each under the 200 MB part limit, took more than 6 GB: the
    total inflated size of the parts read is bounded, not only each part."""
    path = build_docx(spec_for(171), tmp_path / "a.docx")
    with zipfile.ZipFile(path) as zf:
        body = zf.getinfo("word/document.xml").file_size
    monkeypatch.setattr(docx_package, "_MAX_TOTAL_BYTES", body + 100)  # the body fits, not body and the rest
    with pytest.raises(CorruptFile) as refused:
        read_document(path)
    assert "内容过大" in refused.value.message_zh
    monkeypatch.setattr(docx_package, "_MAX_TOTAL_BYTES", 128 * 1024 * 1024)
    read_document(path)  # the real bound reads a real letter


def test_a_png_past_the_pixel_bound_is_refused_by_its_header_without_an_english_warning(
    tmp_path: Path,
) -> None:
    """Regression: a 237 Mpx PNG took 2.6 GB and printed an English DecompressionBombWarning (PIL only
    warns up to twice its limit). 12000 x 11000 = 132 Mpx, written 1-bit so the test stays small."""
    from PIL import Image

    path = tmp_path / "bomb.png"
    Image.new("1", (12000, 11000), 1).save(path, optimize=True)
    from pipeline.reading import ocr_reader

    if not ocr_reader.available():
        pytest.skip("OCR models are not installed (images go to OCR)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        with pytest.raises(CorruptFile) as refused:
            read_document(path)
    assert "图片像素数异常（12000 × 11000）" in refused.value.message_zh


def test_an_xlsx_shared_strings_bomb_is_refused_before_openpyxl_reads_it(tmp_path: Path) -> None:
    """Regression: an XLSX whose shared strings inflate to gigabytes took 2.35 GB and 162 s."""
    sheet = roster_xlsx(spec_for(172).people, tmp_path / "名单.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(sheet) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        dst.writestr("xl/sharedStrings.xml", strings + b"A" * (70 * 1024 * 1024) + b"</t></si></sst>")
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(CorruptFile) as refused:
        read_document(bomb)
    assert "内容过大" in refused.value.message_zh
