"""Scanned letters read by OCR: lines, the roster table, seal, skew, upside-down pages,
image files, and the offline model check.

Scans are generated (tests/builders/scan_builder.py); each one is read once per
module and shared by the tests that look at it, because one OCR read takes
seconds. Geometry and pre-processing are also tested on their own, without
the models.
"""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest

SKIP_REASON = "OCR extra not installed (pip install '.[ocr]')"
np = pytest.importorskip("numpy", reason=SKIP_REASON)
pytest.importorskip("cv2", reason=SKIP_REASON)

from pipeline.document import Document, Paragraph, Table  # noqa: E402
from pipeline.errors import LettersError  # noqa: E402
from pipeline.reading import ocr_reader  # noqa: E402
from pipeline.reading.ocr import engine as ocr_engine  # noqa: E402
from pipeline.reading.ocr.boxes import Box, PageBoxes, group_lines  # noqa: E402
from pipeline.reading.ocr.layout import build_blocks  # noqa: E402
from pipeline.reading.ocr.preprocess import estimate_skew, rotate_points, suppress_red  # noqa: E402
from tests.builders.spec import LetterSpec, make_id  # noqa: E402

pytestmark = pytest.mark.slow  # real child processes, OCR or a whole install: seconds each

needs_models = pytest.mark.skipif(not ocr_reader.available(), reason=SKIP_REASON)

PEOPLE = [
    ("王伟", make_id("610102", "19900101", "123")),
    ("李娜", make_id("610113", "19951231", "246")),
    ("阿卜杜拉·麦麦提", make_id("650103", "19860624", "845")),
    ("欧阳晓燕", make_id("610404", "20010309", "062")),
    ("高轩", make_id("610102", "19920901", "504")),
]
SPEC = LetterSpec(people=PEOPLE, stated_count=len(PEOPLE), date=dt.date(2021, 6, 4))


def _scan(tmp_path_factory: pytest.TempPathFactory, name: str, **kw: object) -> Path:
    from tests.builders import pdf_builder

    try:
        pdf_builder.find_cjk_font()
    except pdf_builder.NoCJKFont as exc:
        pytest.skip(str(exc))
    from tests.builders.scan_builder import build_scan

    return build_scan(SPEC, tmp_path_factory.mktemp("scans") / name, **kw)


def roster(doc: Document) -> list[list[str]]:
    """Rows of every table, header rows included, as plain text."""
    return [[c.text for c in row] for t in doc.tables() for row in t.rows]


def people_rows(doc: Document) -> list[tuple[str, str]]:
    rows = roster(doc)
    return [(r[1], r[2]) for r in rows if r and r[0].isdigit()]


def texts(doc: Document) -> list[str]:
    return [p.text.replace(" ", "") for p in doc.paragraphs()]


# --- the model check --------------------------------------------------------------------


@needs_models
def test_models_ship_inside_the_installed_package():
    folder = ocr_engine.model_dir()
    assert folder is not None and "site-packages" in str(folder)
    for name in ocr_engine.MODEL_FILES.values():
        assert (folder / name).stat().st_size > 500_000
    assert ocr_reader.available()
    ocr_reader.check_models()  # no error


def test_missing_models_are_a_clear_error_naming_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(ocr_engine, "model_dir", lambda: tmp_path)
    assert not ocr_reader.available()
    with pytest.raises(ocr_reader.OcrModelsMissing) as err:
        ocr_reader.check_models()
    assert isinstance(err.value, LettersError)
    assert "pip install" in err.value.message_zh and "OCR" in err.value.message_zh
    assert ocr_engine.MODEL_FILES["rec"] in str(err.value)


@needs_models
def test_the_engine_refuses_to_download(monkeypatch):
    ocr_engine.get_engine()
    from rapidocr.utils.download_file import DownloadFile, DownloadFileInput

    params = DownloadFileInput(file_url="https://example.invalid/m.onnx", save_path="/tmp/x", logger=None)  # type: ignore[arg-type]
    with pytest.raises(ocr_reader.OcrModelsMissing):
        DownloadFile.run(params)


# --- a seal-stamped, slightly turned two-page scan ----------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Document:
    if not ocr_reader.available():
        pytest.skip("OCR extra not installed")
    path = _scan(tmp_path_factory, "letter.pdf", rotate_deg=0.7, seal=True, noise=6.0, seed=1)
    real_connect = socket.socket.connect

    def no_network(self, address):  # the read must work with the network gone
        if isinstance(address, tuple):
            raise OSError("network disabled in this test")
        return real_connect(self, address)

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", no_network)
    try:
        return ocr_reader.read_scan(path)
    finally:
        mp.undo()


@needs_models
def test_scan_is_an_ocr_document_with_the_scan_note(scanned):
    assert scanned.source_type == "ocr"
    assert scanned.is_ocr
    assert ocr_reader.NOTE_FROM_SCAN in scanned.notes
    assert scanned.page_count == 2


@needs_models
def test_scan_roster_names_and_ids_are_exact(scanned):
    rows = roster(scanned)
    assert rows[0] == ["序号", "姓名", "身份证号码"]
    assert people_rows(scanned) == PEOPLE
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]


@needs_models
def test_scan_lines_in_reading_order(scanned):
    lines = texts(scanned)

    def at(fragment: str) -> int:
        return next(i for i, t in enumerate(lines) if fragment in t)

    assert at("陕人社函") < at("关于申请查询") < at("省信息中心") < at("按照《公务员法》")
    assert (
        at("按照《公务员法》") < at("联系人：张建国") < at("陕西省人力资源和社会保障厅") < at("2021年6月4日")
    )
    assert "本次共需查询5人。" in lines
    assert "联系人：张建国，电话：029-63918210" in lines


@needs_models
def test_seal_does_not_hide_the_signing_unit_and_date(scanned):
    lines = texts(scanned)
    assert "陕西省人力资源和社会保障厅" in lines
    assert "2021年6月4日" in lines


@needs_models
def test_scan_provenance_is_page_bbox_in_points_and_confidence(scanned):
    table = next(scanned.tables())
    for row in table.rows[1:]:
        for cell in row:
            assert cell.location.page == 2
            x0, top, x1, bottom = cell.location.bbox
            assert 0 <= x0 < x1 <= 596 and 0 <= top < bottom <= 843
            assert 0.5 < cell.confidence <= 1.0
    title = next(p for p in scanned.paragraphs() if "关于申请查询" in p.text)
    assert title.location.page == 1 and title.location.bbox[1] < 300
    assert 0 < title.confidence <= 1.0
    assert title.font_size and 14 < title.font_size < 28


@needs_models
def test_page_numbers_go_to_the_footers(scanned):
    assert len(scanned.footers) == 2
    assert not any("—" in t and len(t) <= 5 for t in texts(scanned))


# --- upside down, turned, image files --------------------------------------------------------


@needs_models
@pytest.mark.slow
def test_upside_down_scan_is_turned(tmp_path_factory):
    path = _scan(tmp_path_factory, "flipped.pdf", upside_down=True, one_page=True, seed=2)
    doc = ocr_reader.read_scan(path)
    assert people_rows(doc) == PEOPLE
    assert any("倒置" in n for n in doc.notes)
    lines = texts(doc)
    assert lines.index(next(t for t in lines if "陕人社函" in t)) < lines.index("2021年6月4日")


@needs_models
@pytest.mark.slow
def test_sideways_photo_is_turned_and_boxes_point_at_the_file_as_stored(tmp_path_factory):
    path = _scan(tmp_path_factory, "side.png", fmt="png", sideways=True, one_page=True, seed=8)
    doc = ocr_reader.read_scan(path)
    assert people_rows(doc) == PEOPLE
    assert any("横置" in n for n in doc.notes)
    ids = [row[2] for row in next(doc.tables()).rows[1:]]
    for cell in ids:  # the stored image is landscape: 842 x 595 pt at 200 dpi
        x0, top, x1, bottom = cell.location.bbox
        assert 0 <= x0 < x1 <= 843 and 0 <= top < bottom <= 596
        assert bottom - top > x1 - x0  # the ID stands upright in the stored image
    assert (
        ids[0].location.bbox[0] < ids[1].location.bbox[0]
    )  # turned counter-clockwise: rows run left to right


@needs_models
@pytest.mark.slow
def test_translucent_seal_over_the_print_on_a_coarse_scan(tmp_path_factory):
    path = _scan(tmp_path_factory, "over.pdf", seal_over=0.8, dpi=150, one_page=True, seed=7, jpeg_quality=60)
    doc = ocr_reader.read_scan(path)
    lines = texts(doc)
    assert "陕西省人力资源和社会保障厅" in lines
    assert "2021年6月4日" in lines
    assert people_rows(doc) == PEOPLE


@needs_models
@pytest.mark.slow
@pytest.mark.parametrize("degrees", [-2.0, 4.0])
def test_turned_scan_keeps_rows_and_lines_together(tmp_path_factory, degrees):
    path = _scan(tmp_path_factory, "turned.pdf", rotate_deg=degrees, one_page=True, seed=21)
    doc = ocr_reader.read_scan(path)
    assert people_rows(doc) == PEOPLE
    lines = texts(doc)
    assert "陕西省人力资源和社会保障厅" in lines
    assert "2021年6月4日" in lines  # no seal lettering left on the date's line


@needs_models
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_image_files(tmp_path_factory, fmt):
    path = _scan(tmp_path_factory, f"letter.{fmt}", fmt=fmt, one_page=True, seed=4)
    doc = ocr_reader.read_scan(path)
    assert doc.page_count == 1
    assert people_rows(doc) == PEOPLE
    table = next(doc.tables())
    assert all(c.location.bbox[2] <= 600 for row in table.rows for c in row if c.location.bbox)


@needs_models
@pytest.mark.slow
def test_multi_page_tiff(tmp_path_factory):
    path = _scan(tmp_path_factory, "letter.tiff", fmt="tiff", seed=5, noise=8.0)
    doc = ocr_reader.read_scan(path)
    assert doc.page_count == 2
    assert people_rows(doc) == PEOPLE


@needs_models
def test_dispatcher_sends_images_to_ocr(tmp_path_factory):
    from pipeline.reading import read_document

    path = _scan(tmp_path_factory, "letter.bmp", fmt="bmp", one_page=True, seed=6, seal=False, rotate_deg=0)
    doc = read_document(path)
    assert doc.is_ocr
    assert people_rows(doc) == PEOPLE


# --- pre-processing and layout without the models -----------------------------------------


def test_red_seal_is_whitened_and_black_print_under_it_kept():
    img = np.full((200, 200, 3), 240, np.uint8)
    img[90:110, 20:180] = (20, 20, 20)  # a black stroke
    yy, xx = np.mgrid[0:200, 0:200]
    seal = (yy - 100) ** 2 + (xx - 100) ** 2 < 70**2
    img[seal] = (img[seal] * (np.array([215, 30, 35]) / 255)).astype(np.uint8)  # red ink multiplied on
    out, red = suppress_red(img)
    assert red.mean() > 0.2
    assert out[50, 100].min() >= 250  # seal ink alone -> white
    assert out[100, 100].max() <= 40  # black under the seal stays black
    assert out[100, 25].max() <= 40  # and outside it


def test_page_without_red_is_only_greyed():
    img = np.full((50, 50, 3), 230, np.uint8)
    img[20:30] = 10
    out, red = suppress_red(img)
    assert not red.any()
    assert out[25, 25, 0] < 30 and out[0, 0, 0] > 200


def _quad(x0: float, y0: float, x1: float, h: float, deg: float) -> np.ndarray:
    t = np.radians(deg)
    dx, dy = (x1 - x0) * np.cos(t), (x1 - x0) * np.sin(t)
    return np.array([[x0, y0], [x0 + dx, y0 + dy], [x0 + dx, y0 + dy + h], [x0, y0 + h]], np.float32)


def test_skew_is_measured_from_long_lines():
    quads = np.stack(
        [_quad(100, 100 + 60 * i, 1500, 40, 1.2) for i in range(8)] + [_quad(100, 900, 140, 40, 30)]
    )
    assert estimate_skew(quads) == pytest.approx(1.2, abs=0.05)
    straight = rotate_points(quads[:8], 1.2, (800, 800))
    assert np.ptp(straight[:, :2, 1], axis=1).max() < 0.5  # top edges horizontal again


def _box(text: str, x0: float, y0: float, x1: float, h: float = 40, score: float = 0.99) -> Box:
    return Box(text, score, 1, x0, y0, x1, y0 + h, (x0 * 0.3, y0 * 0.3, x1 * 0.3, (y0 + h) * 0.3))


def test_boxes_overlapping_vertically_make_one_line_read_left_to_right():
    boxes = [
        _box("电话：029-1234", 900, 105, 1300),
        _box("联系人：张三", 300, 100, 700),
        _box("附件", 300, 200, 420),
    ]
    lines = group_lines(boxes)
    assert [ln.text() for ln in lines] == ["联系人：张三 电话：029-1234", "附件"]


def test_table_is_rebuilt_from_header_positions():
    page = PageBoxes(
        1,
        2000,
        2800,
        0.3,
        [
            _box("关于申请查询的函", 500, 200, 1500),
            _box("序号", 250, 500, 330),
            _box("姓名", 500, 500, 600),
            _box("身份证号码", 1100, 500, 1300),
            _box("1", 280, 580, 300),
            _box("王伟", 500, 582, 600),
            _box("610102199001011231", 950, 578, 1450),
            _box("2", 280, 660, 300),
            _box("阿卜杜拉·麦麦提", 420, 660, 760),
            _box("610113199512312465", 950, 658, 1450, score=0.7),
            _box("3李娜", 270, 740, 600),  # OCR merged two cells
            _box("65010319860624845X", 950, 740, 1450),
            _box("特此函达。", 250, 900, 500),
        ],
    )
    blocks, _, footers = build_blocks([page])
    assert (
        isinstance(blocks[0], Paragraph) and isinstance(blocks[1], Table) and isinstance(blocks[2], Paragraph)
    )
    rows = [[c.text for c in r] for r in blocks[1].rows]
    assert rows == [
        ["序号", "姓名", "身份证号码"],
        ["1", "王伟", "610102199001011231"],
        ["2", "阿卜杜拉·麦麦提", "610113199512312465"],
        ["3", "李娜", "65010319860624845X"],
    ]
    assert blocks[1].rows[2][2].confidence == 0.7
    assert blocks[1].rows[1][1].location.bbox == (150.0, 174.6, 180.0, 186.6)
    assert blocks[2].text == "特此函达。"
    assert footers == []


def test_table_continues_on_the_next_page_without_header():
    def page(number: int, boxes: list[Box]) -> PageBoxes:
        for b in boxes:
            b.page = number
        return PageBoxes(number, 2000, 2800, 0.3, boxes)

    first = page(1, [_box("姓名", 500, 2500, 600), _box("身份证号码", 1100, 2500, 1300)])
    first.boxes += [_box("王伟", 500, 2580, 600), _box("610102199001011231", 950, 2580, 1450)]
    first.boxes[-2].page = first.boxes[-1].page = 1
    second = page(2, [_box("李娜", 500, 200, 600), _box("610113199512312465", 950, 200, 1450)])
    second.boxes.append(_box("— 2 —", 950, 2650, 1050))
    second.boxes[-1].page = 2
    blocks, _, footers = build_blocks([first, second])
    tables = [b for b in blocks if isinstance(b, Table)]
    assert [[c.text for c in r] for t in tables for r in t.rows] == [
        ["姓名", "身份证号码"],
        ["王伟", "610102199001011231"],
        ["李娜", "610113199512312465"],
    ]
    assert [f.text for f in footers] == ["— 2 —"]


def test_compound_heading_stays_one_column_and_merged_cells_are_cut_by_content():
    page = PageBoxes(
        1,
        2000,
        2800,
        0.3,
        [
            _box("序号 姓名", 250, 500, 600),  # two headings OCR read as one box
            _box("身份证号码", 950, 500, 1200),
            _box("报考职位", 1500, 500, 1700),
            _box("1 王  伟", 260, 580, 560),  # spaced-out name
            _box("610102 19900101 1231", 900, 580, 1450),  # ID printed in groups
            _box("科员", 1550, 580, 1650),
        ],
    )
    (table,), _, _ = build_blocks([page])
    assert [[c.text for c in r] for r in table.rows] == [
        ["序号", "姓名", "身份证号码", "报考职位"],
        ["1", "王 伟", "610102 19900101 1231", "科员"],  # one box keeps its text as read
    ]


def test_specks_at_the_edge_of_roster_cells_are_dropped():
    page = PageBoxes(
        1,
        2000,
        2800,
        0.3,
        [
            _box("序号", 250, 500, 330),
            _box("姓名", 500, 500, 600),
            _box("身份证号码", 1100, 500, 1300),
            _box(".1", 270, 580, 310),
            _box("曹刚敏.", 480, 580, 640),
            _box("610102199001011231,", 950, 580, 1460),
        ],
    )
    (table,), _, _ = build_blocks([page])
    assert [c.text for c in table.rows[1]] == ["1", "曹刚敏", "610102199001011231"]


@needs_models
def test_blank_pages_and_page_cap_are_told_to_the_clerk(tmp_path, monkeypatch):
    from PIL import Image

    from pipeline.reading.ocr import images

    blank = [Image.new("RGB", (1240, 1754), (250, 250, 250)) for _ in range(2)]
    path = tmp_path / "blank.tiff"
    blank[0].save(path, "TIFF", save_all=True, append_images=blank[1:], dpi=(150, 150))
    monkeypatch.setattr(images, "MAX_PAGES", 1)
    doc = ocr_reader.read_scan(path)
    assert doc.blocks == [] and doc.page_count == 1
    assert ocr_reader.NOTE_NO_TEXT in doc.notes
    assert "扫描件共2页，只识别了前1页，请人工核对其余页面" in doc.notes


@needs_models
def test_identical_pages_are_read_once(tmp_path_factory, monkeypatch):
    """Regression: an OFD whose two pages are one photo took two full OCR passes (4.4 s of the 5 s
    every real OFD must be read or refused in); a page identical to an earlier one reads the same."""
    from PIL import Image

    one = _scan(tmp_path_factory, "page.png", fmt="png", one_page=True, seed=7, seal=False, rotate_deg=0)
    twice = one.with_name("twice.tiff")
    page = Image.open(one)
    page.save(twice, save_all=True, append_images=[page.copy()], dpi=page.info.get("dpi", (200, 200)))
    calls = []
    real = ocr_reader._ocr_page
    monkeypatch.setattr(ocr_reader, "_ocr_page", lambda engine, p: calls.append(p.number) or real(engine, p))
    doc = ocr_reader.read_scan(twice)
    assert calls == [1] and doc.page_count == 2
    first = texts(doc)[0]
    assert texts(doc).count(first) == 2  # the second page's text is there, read from the first
    assert {p.location.page for p in doc.paragraphs()} == {1, 2}
