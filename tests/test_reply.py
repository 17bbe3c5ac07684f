"""The reply letter (附件3): golden text read back from the .docx and the PDF, the template's
layout and start-up check, the PDF font choice, and the read-back verification."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import RGBColor, Twips

from pipeline.domain.letter import Kind
from pipeline.domain.reply import ReplyContext
from pipeline.domain.result import PersonResult, Verdict
from pipeline.reply import (
    TEMPLATE_VARIABLES,
    ReplyContentError,
    ReplyFontError,
    ReplyMismatch,
    ReplyTemplateError,
    check_reply_setup,
    check_template,
    render_reply,
    template_path,
    verify_reply,
)
from pipeline.reply import docx as docx_module
from pipeline.reply import fonts as reply_fonts
from pipeline.reply import layout as L
from pipeline.reply.fields import reply_fields
from pipeline.reply.make_template import build
from pipeline.reply.pdf import write_pdf
from pipeline.reply.verify import docx_content, pdf_content, squeeze
from pipeline.settings import Settings
from tests.builders.docx_builder import libreoffice_convert
from tests.builders.spec import make_id
from tests.needs import needs_soffice

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "letter_templates" / "reply.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

INCOMING_88 = (
    "你单位6月4日来函（陕人社函〔2026〕88号）收悉。"
    "我们对来函中相关人员的社会信用记录进行了查询，查询结果附后。"
)
CONCLUSION = "本查询结果客观反映查询时间点信息主体社会信用记录状况，供依法依规参考使用。"
CLEAR = "不属于失信联合惩戒对象"
RESULT_FORM = re.compile(r"^(不属于失信联合惩戒对象|属于失信联合惩戒对象(（[^（）]+）)?)$")

PEOPLE = [
    ("王伟", make_id("610102", "19900101", "123"), Verdict.CLEAR, []),
    ("李娜", make_id("610113", "19951231", "246"), Verdict.LISTED, ["失信被执行人"]),
    ("阿卜杜拉·麦麦提", make_id("650103", "19860624", "845"), Verdict.CLEAR, []),
]


def people(n: int) -> list[tuple[str, str, Verdict, list[str]]]:
    """n distinct people; every 7th is listed."""
    out = []
    for i in range(n):
        born = f"19{70 + i % 30:02d}{1 + i % 12:02d}{1 + i % 28:02d}"
        listed = i % 7 == 3
        out.append(
            (
                f"测试{i + 1}号",
                make_id("610102", born, f"{i % 1000:03d}"),
                Verdict.LISTED if listed else Verdict.CLEAR,
                ["失信被执行人"] if listed else [],
            )
        )
    return out


QUERY_TIME = "查询时间点：2026年6月8日10时05分（名单数据更新至2026年6月7日）"


def make_ctx(
    kind: Kind = Kind.PUBLIC_INSTITUTION,
    *,
    letter_doc_number: str | None = "陕人社函〔2026〕88号",
    addressee: str = "陕西省人力资源和社会保障厅",
    roster=PEOPLE,
    contact_name: str = "王明",
    lists_consulted: list[str] | None = None,
) -> ReplyContext:
    return ReplyContext(
        kind=kind,
        reply_doc_number="陕信用函〔2026〕15号",
        addressee=addressee,
        letter_date=dt.date(2026, 6, 4),
        letter_doc_number=letter_doc_number,
        results=[
            PersonResult(seq=i, name=name, id_number=idn, verdict=verdict, lists=list(lists))
            for i, (name, idn, verdict, lists) in enumerate(roster, start=1)
        ],
        office_name="陕西省信息中心（陕西省信用办）",
        issue_date=dt.date(2026, 6, 8),
        contact_name=contact_name,
        contact_phone="029-63918210",
        lists_consulted=lists_consulted if lists_consulted is not None else ["失信被执行人"],
        checked_at=dt.datetime(2026, 6, 8, 10, 5),
        lists_as_of=dt.datetime(2026, 6, 7, 18, 30),
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(base_dir=REPO)


def rows_of(ctx: ReplyContext) -> list[tuple[str, str, str, str]]:
    return [(str(r.seq), r.name, r.id_number, r.result_text_zh()) for r in ctx.results]


# --- golden text -------------------------------------------------------------------


def test_docx_golden(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, rows = docx_content(rendered.docx)
    assert paragraphs == [
        "陕信用函〔2026〕15号",
        "",
        "关于反馈事业单位聘用人选\n社会信用记录查询结果的函",
        "",
        "陕西省人力资源和社会保障厅：",
        INCOMING_88,
        CONCLUSION,
        "联系人：王明，电话：029-63918210",
        "",
        "附件：社会信用记录查询结果",
        "",
        "",
        "陕西省信息中心（陕西省信用办）",
        "2026年6月8日",
        "附件",
        "",
        "社会信用记录查询结果",
        QUERY_TIME,
        "",
    ]
    assert rows == [
        ("1", "王伟", PEOPLE[0][1], CLEAR),
        ("2", "李娜", PEOPLE[1][1], "属于失信联合惩戒对象（失信被执行人）"),
        ("3", "阿卜杜拉·麦麦提", PEOPLE[2][1], CLEAR),
    ]
    verify_reply(rendered, ctx)


def test_pdf_golden(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    pages, rows = pdf_content(rendered.pdf)
    assert len(pages) == 2
    assert squeeze(pages[0]) == squeeze(
        "陕信用函〔2026〕15号 关于反馈事业单位聘用人选社会信用记录查询结果的函"
        "陕西省人力资源和社会保障厅：" + INCOMING_88 + CONCLUSION + "联系人：王明，电话：029-63918210"
        "附件：社会信用记录查询结果 陕西省信息中心（陕西省信用办） 2026年6月8日 — 1 —"
    )
    # page 2: label, heading, table (wrapped cells interleave in page text: compared by table rows)
    assert squeeze(pages[1]).startswith(
        "附件社会信用记录查询结果" + QUERY_TIME + "序号姓名身份证号码查询结果"
    )
    assert squeeze(pages[1]).endswith("—2—")
    assert rows == [
        ("1", "王伟", PEOPLE[0][1], CLEAR),
        ("2", "李娜", PEOPLE[1][1], "属于失信联合惩戒对象（失信被执行人）"),
        ("3", "阿卜杜拉·麦麦提", PEOPLE[2][1], CLEAR),
    ]


def test_no_doc_number_no_parenthesis(settings, tmp_path):
    ctx = make_ctx(letter_doc_number=None)
    rendered = render_reply(ctx, settings, tmp_path)
    expected = "你单位6月4日来函收悉。我们对来函中相关人员的社会信用记录进行了查询，查询结果附后。"
    paragraphs, _ = docx_content(rendered.docx)
    assert expected in paragraphs
    assert not any("来函（" in p for p in paragraphs)
    pages, _ = pdf_content(rendered.pdf)
    assert squeeze(expected) in squeeze(pages[0])
    assert "来函（" not in squeeze(pages[0])
    verify_reply(rendered, ctx)


@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        (Kind.CIVIL_SERVANT, ["关于反馈公务员录用、调任人选", "社会信用记录查询结果的函"]),
        (Kind.PUBLIC_INSTITUTION, ["关于反馈事业单位聘用人选", "社会信用记录查询结果的函"]),
    ],
)
def test_title_by_kind(settings, tmp_path, kind, lines):
    ctx = make_ctx(kind)
    assert ctx.title == "".join(lines)
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, _ = docx_content(rendered.docx)
    assert paragraphs[2] == "\n".join(lines)  # one paragraph, a line break after 人选
    title = Document(str(rendered.docx)).paragraphs[2]
    assert title.style.name == "公文标题"
    with pdfplumber.open(rendered.pdf) as pdf:
        text_lines = pdf.pages[0].extract_text().splitlines()
        assert pdf.metadata["Title"] == ctx.title
    assert text_lines[1:3] == lines


def test_no_contact_configured_drops_the_line(settings, tmp_path):
    ctx = make_ctx(contact_name="")
    ctx.contact_phone = ""
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, _ = docx_content(rendered.docx)
    assert paragraphs[6:9] == [CONCLUSION, "", "附件：社会信用记录查询结果"]
    assert "联系人" not in "".join(pdf_content(rendered.pdf)[0])


# --- many people, the PDF read back ---------------------------------------------------


@pytest.mark.slow
def test_300_people_across_pages(settings, tmp_path):
    ctx = make_ctx(roster=people(300))
    rendered = render_reply(ctx, settings, tmp_path)
    _, docx_rows = docx_content(rendered.docx)
    assert docx_rows == rows_of(ctx)
    pages, pdf_rows = pdf_content(rendered.pdf)
    assert pdf_rows == [tuple(squeeze(c) for c in row) for row in rows_of(ctx)]
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        assert f"— {number} —" in text  # every page numbered
        if number > 1:
            assert "序号 姓名 身份证号码 查询结果" in text  # header repeated on every table page
    verify_reply(rendered, ctx)


def test_pdf_names_and_ids_read_back_in_order(settings, tmp_path):
    ctx = make_ctx(roster=people(60))
    rendered = render_reply(ctx, settings, tmp_path)
    with pdfplumber.open(rendered.pdf) as pdf:
        words = [w["text"] for page in pdf.pages for w in page.extract_words()]
    ids = [w for w in words if re.fullmatch(r"\d{17}[\dX]", w)]
    names = [w for w in words if w.startswith("测试")]
    assert ids == [r.id_number for r in ctx.results]
    assert names == [r.name for r in ctx.results]


def test_pdf_embeds_a_truetype_subset(settings, tmp_path):
    rendered = render_reply(make_ctx(), settings, tmp_path)
    data = rendered.pdf.read_bytes()
    assert b"/FontFile2" in data  # embedded TrueType outlines
    with pdfplumber.open(rendered.pdf) as pdf:
        page = pdf.pages[0]
        assert (round(page.width), round(page.height)) == (595, 842)  # A4
        body = next(c for c in page.chars if c["text"] == "你")
        assert round(body["size"]) == L.BODY_PT
        assert round(body["x0"] - L.MARGIN_LEFT_MM * L.PT_PER_MM) == 2 * L.BODY_PT  # 左空二字
        first = min(c["top"] for c in page.chars)
        assert first == pytest.approx(L.MARGIN_TOP_MM * L.PT_PER_MM, abs=L.BODY_PT)
        title = next(c for c in page.chars if c["text"] == "馈")
        assert round(title["size"]) == L.TITLE_PT


def test_fonts_are_mapped_and_subset_without_copying_glyf(settings):
    """Memory (issue 4): the CJK files stay in the page cache and subsetting slices glyphs out,
    giving the same subset as reportlab's own copy of the table."""
    import mmap

    from reportlab.pdfbase.ttfonts import TTFont

    path = check_reply_setup(settings).body_path
    face = reply_fonts.open_font("MappedTest", path).face
    assert isinstance(face._ttf_data, mmap.mmap)
    assert not isinstance(face.get_table("glyf"), bytes)
    subset = [ord(c) for c in "附件社会信用记录查询结果王伟李娜0123456789X"]
    assert face.makeSubset(subset) == TTFont("CopiedTest", str(path)).face.makeSubset(subset)


@pytest.mark.slow
def test_replies_rendered_on_two_threads_at_once_read_back(settings, tmp_path):
    """The watcher renders on several threads sharing one font object; each PDF must be whole."""
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> None:
        ctx = make_ctx(roster=people(12 + n))
        verify_reply(render_reply(ctx, settings, tmp_path / str(n)), ctx)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(6)))


# --- escaping and what a reply may say ------------------------------------------------


def test_autoescape_unit_and_name_with_markup_characters(settings, tmp_path):
    roster = [("A&B<张>", make_id("610102", "19900101", "321"), Verdict.CLEAR, [])]
    ctx = make_ctx(addressee="西安市A&B<研究>院", roster=roster)
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, rows = docx_content(rendered.docx)
    assert "西安市A&B<研究>院：" in paragraphs
    assert rows == [("1", "A&B<张>", roster[0][1], CLEAR)]
    pages, pdf_rows = pdf_content(rendered.pdf)
    assert "西安市A&B<研究>院：" in pages[0]
    assert pdf_rows == [("1", "A&B<张>", roster[0][1], CLEAR)]
    verify_reply(rendered, ctx)


def test_control_characters_never_reach_the_docx(settings, tmp_path):
    ctx = make_ctx(addressee="西安市\x0b人社局\x07")
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, _ = docx_content(rendered.docx)
    assert "西安市 人社局：" in paragraphs


def test_results_say_only_whether_listed(settings, tmp_path):
    """The notice forbids any credit information beyond the result: no authority, case, dates."""
    roster = [
        ("王伟", make_id("610102", "19900101", "123"), Verdict.CLEAR, []),
        ("李娜", make_id("610113", "19951231", "246"), Verdict.LISTED, ["失信被执行人", "失信被执行人"]),
        (
            "赵六",
            make_id("610113", "19800101", "111"),
            Verdict.LISTED,
            ["失信被执行人", "重大税收违法失信主体"],
        ),
        ("钱七", make_id("610113", "19800202", "222"), Verdict.LISTED, []),
    ]
    ctx = make_ctx(roster=roster, lists_consulted=[])
    rendered = render_reply(ctx, settings, tmp_path)
    paragraphs, rows = docx_content(rendered.docx)
    results = [row[3] for row in rows]
    assert results == [
        CLEAR,
        "属于失信联合惩戒对象（失信被执行人）",
        "属于失信联合惩戒对象（失信被执行人、重大税收违法失信主体）",
        "属于失信联合惩戒对象",
    ]
    assert all(RESULT_FORM.match(r) for r in results)
    text = "".join(paragraphs) + "".join("".join(row) for row in rows) + "".join(pdf_content(rendered.pdf)[0])
    for leak in ("法院", "案号", "执行依据", "认定", "列入日期", "移出", "文书"):
        assert leak not in text


@pytest.mark.parametrize("verdict", [Verdict.NAME_MISMATCH, Verdict.POSSIBLE])
def test_unchecked_result_is_never_rendered(settings, tmp_path, verdict):
    roster = [*PEOPLE[:1], ("孙八", make_id("610102", "19900101", "555"), verdict, [])]
    with pytest.raises(ReplyContentError) as exc:
        render_reply(make_ctx(roster=roster), settings, tmp_path)
    assert "第2人" in exc.value.message_zh and "待人工复核" in exc.value.message_zh
    assert roster[1][1] not in exc.value.message_zh and roster[1][1] not in str(exc.value)  # masked
    assert not (tmp_path / "reply.docx").exists()


def test_a_list_the_query_did_not_consult_is_never_named(settings, tmp_path):
    ctx = make_ctx(lists_consulted=["重大税收违法失信主体"])
    with pytest.raises(ReplyContentError) as exc:
        render_reply(ctx, settings, tmp_path)
    assert "失信被执行人" in exc.value.message_zh


# --- verification ---------------------------------------------------------------------


def _drop_docx_row(path: Path, index: int) -> None:
    doc = Document(str(path))
    table = doc.tables[0]
    table._tbl.remove(table.rows[index]._tr)
    doc.save(str(path))


def test_verify_catches_a_person_dropped_from_the_docx(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    _drop_docx_row(rendered.docx, 2)  # header is row 0: drops 李娜
    with pytest.raises(ReplyMismatch) as exc:
        verify_reply(rendered, ctx)
    assert "复函（Word）" in exc.value.message_zh and "第2行" in exc.value.message_zh
    assert PEOPLE[1][1] not in exc.value.message_zh  # IDs masked in messages


def test_verify_catches_a_person_dropped_from_the_pdf(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    fields = reply_fields(ctx)
    fields["results"] = fields["results"][:-1]
    write_pdf(fields, rendered.pdf, reply_fonts.find_fonts([]))
    with pytest.raises(ReplyMismatch) as exc:
        verify_reply(rendered, ctx)
    assert "复函（PDF）" in exc.value.message_zh and "2行" in exc.value.message_zh


def test_verify_catches_swapped_order_and_altered_result(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    doc = Document(str(rendered.docx))
    cell = doc.tables[0].rows[2].cells[3]
    cell.paragraphs[0].runs[0].text = CLEAR  # 李娜 is listed
    doc.save(str(rendered.docx))
    with pytest.raises(ReplyMismatch):
        verify_reply(rendered, ctx)

    swapped = make_ctx(roster=[PEOPLE[1], PEOPLE[0], PEOPLE[2]])
    rendered = render_reply(ctx, settings, tmp_path / "b")
    with pytest.raises(ReplyMismatch):
        verify_reply(rendered, swapped)


def test_verify_catches_a_wrong_incoming_sentence_or_doc_number(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    with pytest.raises(ReplyMismatch) as exc:
        verify_reply(rendered, make_ctx(letter_doc_number="陕人社函〔2026〕89号"))
    assert "来函句" in exc.value.message_zh
    other = make_ctx()
    other.reply_doc_number = "陕信用函〔2026〕16号"
    with pytest.raises(ReplyMismatch) as exc:
        verify_reply(rendered, other)
    assert "文号" in exc.value.message_zh


def test_verify_catches_an_id_printed_twice(settings, tmp_path):
    ctx = make_ctx()
    rendered = render_reply(ctx, settings, tmp_path)
    doc = Document(str(rendered.docx))
    doc.paragraphs[4].runs[0].text += PEOPLE[0][1]
    doc.save(str(rendered.docx))
    with pytest.raises(ReplyMismatch) as exc:
        verify_reply(rendered, ctx)
    assert "出现2次" in exc.value.message_zh


# --- the template ------------------------------------------------------------------


def _edited_template(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the template with one piece of document.xml replaced, as a clerk might in Word."""
    out = tmp_path / "letter_templates" / "reply.docx"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text
                data = text.replace(old, new).encode("utf-8")
            dst.writestr(info, data)
    return out


def test_shipped_template_passes_the_check(settings):
    assert template_path(settings) == TEMPLATE
    check_template(TEMPLATE)
    fonts = check_reply_setup(settings)
    assert fonts.body


def test_template_with_unknown_variable_is_refused(tmp_path):
    path = _edited_template(tmp_path, "{{ office_name }}", "{{ office_nmae }}")
    with pytest.raises(ReplyTemplateError) as exc:
        check_template(path)
    assert "office_nmae" in exc.value.message_zh and "未知的变量" in exc.value.message_zh
    # and render_reply refuses it too, leaving nothing behind
    settings = Settings(base_dir=tmp_path)
    with pytest.raises(ReplyTemplateError):
        render_reply(make_ctx(), settings, tmp_path / "work")
    assert not (tmp_path / "work" / "reply.docx").exists()


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("{{ office_name }}", "{{ office_name }", "写法有误"),  # unclosed
        ("{%tr endfor %}", "", "写法有误"),  # loop never closed
        ("{{ issue_date }}", "{{ issue_date|chinese }}", "chinese"),  # no such filter
        ("{{ r.result }}", "{{ r.verdict }}", "verdict"),  # rows have no such field: trial render
        ("{{ incoming }}", "你单位来函收悉。", "缺少必需的变量"),  # verify could not check it
    ],
)
def test_broken_template_is_refused(tmp_path, old, new, phrase):
    path = _edited_template(tmp_path, old, new)
    with pytest.raises(ReplyTemplateError) as exc:
        check_template(path)
    assert phrase in exc.value.message_zh


def test_missing_or_foreign_template_is_refused(tmp_path):
    with pytest.raises(ReplyTemplateError) as exc:
        check_template(tmp_path / "reply.docx")
    assert "不存在" in exc.value.message_zh
    bogus = tmp_path / "bogus.docx"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(ReplyTemplateError) as exc:
        check_template(bogus)
    assert "无法打开" in exc.value.message_zh


def test_every_variable_the_template_uses_is_known():
    from docxtpl import DocxTemplate

    used = DocxTemplate(TEMPLATE).get_undeclared_template_variables()
    assert used == set(TEMPLATE_VARIABLES)


def test_committed_template_is_what_the_script_generates():
    """Regenerate with: .venv/bin/python -m pipeline.reply.make_template"""
    assert build() == build()  # reproducible bytes
    fresh = zipfile.ZipFile(io.BytesIO(build()))
    committed = zipfile.ZipFile(TEMPLATE)
    assert sorted(fresh.namelist()) == sorted(committed.namelist())
    for name in fresh.namelist():
        assert fresh.read(name) == committed.read(name), f"{name} differs: rerun make_template"


def test_template_layout_follows_gbt_9704():
    with zipfile.ZipFile(TEMPLATE) as z:
        document = z.read("word/document.xml").decode()
        styles = z.read("word/styles.xml").decode()
        settings_xml = z.read("word/settings.xml").decode()
        fonts = z.read("word/fontTable.xml").decode()
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert '<w:pgSz w:w="11906" w:h="16838"/>' in document  # A4
    for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert f'w:{side}="{L.twips(mm)}"' in document
    assert f'w:linePitch="{L.DOCGRID_LINE_PITCH}"' in document
    # 22 lines in the 225 mm text block, 28 condensed 16 pt characters in the 156 mm line
    assert 22 * L.DOCGRID_LINE_PITCH / 20 <= L.TEXT_HEIGHT_MM * L.PT_PER_MM < 23 * L.DOCGRID_LINE_PITCH / 20
    char = L.BODY_PT + L.CONDENSE_TWIPS / 20
    assert 28 * char <= L.TEXT_WIDTH_MM * L.PT_PER_MM < 29 * char
    assert f'<w:spacing w:val="{L.CONDENSE_TWIPS}"/>' in styles
    assert 'w:eastAsia="仿宋_GB2312"' in styles and 'w:eastAsia="方正小标宋简体"' in styles
    assert "asciiTheme" not in styles.split("</w:docDefaults>")[0]  # no theme font overrides the names
    assert '<w:sz w:val="32"/>' in styles and '<w:sz w:val="44"/>' in styles
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert "<w:evenAndOddHeaders/>" in settings_xml
    assert len(footers) == 2
    for footer in footers:
        assert "PAGE" in footer and "— " in footer and " —" in footer
    assert "{%tr for r in results %}" in document and "<w:tblHeader/>" in document
    assert "w:pageBreakBefore" in document  # the attachment starts a new page


# --- fonts ----------------------------------------------------------------------------


def test_no_font_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(reply_fonts, "BODY_CANDIDATES", ())
    with pytest.raises(ReplyFontError) as exc:
        reply_fonts.find_fonts([str(tmp_path / "missing.ttf")])
    assert "fonts-wqy-zenhei" in exc.value.message_zh and "letters.toml" in exc.value.message_zh
    assert "missing.ttf" in exc.value.message_zh


def test_cff_fonts_are_skipped(tmp_path, monkeypatch):
    otf = tmp_path / "NotoSerifCJK.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 60)
    ttc = tmp_path / "NotoSansCJK.ttc"
    ttc.write_bytes(b"ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10OTTO" + b"\0" * 40)
    assert reply_fonts.outline_kind(otf) == "cff"
    assert reply_fonts.outline_kind(ttc) == "cff"
    monkeypatch.setattr(reply_fonts, "BODY_CANDIDATES", ())
    with pytest.raises(ReplyFontError) as exc:
        reply_fonts.find_fonts([str(otf), str(ttc)])
    assert "CFF" in exc.value.message_zh


def test_rare_character_uses_a_fallback_font_or_is_refused(settings, tmp_path):
    fonts = reply_fonts.find_fonts([])
    rare = "𠇔"  # CJK Extension B: in AR PL UMing, not in every font
    if fonts.face_for(rare) is None:
        pytest.skip("no installed font has U+201D4")
    roster = [(f"王{rare}", make_id("610102", "19900101", "777"), Verdict.CLEAR, [])]
    ctx = make_ctx(roster=roster)
    rendered = render_reply(ctx, settings, tmp_path / "ok")
    verify_reply(rendered, ctx)
    assert pdf_content(rendered.pdf)[1][0][1] == f"王{rare}"

    missing = "\U0002ebf0"  # CJK Extension I (Unicode 15.1): no Debian font has it yet
    assert fonts.face_for("\U0002a6a5") is not None  # 𪚥 (Extension B): the extension faces have it now
    if fonts.face_for(missing) is not None:
        pytest.skip("an installed font has U+2EBF0")
    roster = [(f"王{missing}", make_id("610102", "19900101", "777"), Verdict.CLEAR, [])]
    with pytest.raises(ReplyFontError) as exc:
        render_reply(make_ctx(roster=roster), settings, tmp_path / "bad")
    assert "U+2EBF0" in exc.value.message_zh and "人工办理" in exc.value.message_zh


def test_configured_font_comes_first(tmp_path):
    installed = [p for p in reply_fonts.BODY_CANDIDATES if p.is_file()]
    if len(installed) < 2:
        pytest.skip("needs two CJK fonts installed")
    chosen = reply_fonts.find_fonts([str(installed[-1])])
    assert chosen.body_path == installed[-1]


# --- LibreOffice ----------------------------------------------------------------------


@needs_soffice
def test_libreoffice_opens_the_reply(settings, tmp_path):
    ctx = make_ctx(roster=people(40))
    rendered = render_reply(ctx, settings, tmp_path / "work")
    converted = libreoffice_convert(rendered.docx, tmp_path / "lo", "pdf")
    with pdfplumber.open(converted) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
        size = (round(pdf.pages[0].width), round(pdf.pages[0].height))
    assert size == (595, 842)
    first = squeeze(pages[0])
    assert first.startswith("陕信用函〔2026〕15号关于反馈事业单位聘用人选社会信用记录查询结果的函")
    assert squeeze(INCOMING_88) in first and squeeze(CONCLUSION) in first
    assert "—1—" in first
    assert "附件" in pages[1] and "社会信用记录查询结果" in pages[1]
    flat = squeeze("".join(pages[1:]))
    positions = [flat.find(r.id_number) for r in ctx.results]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    for number, text in enumerate(pages, start=1):
        assert f"—{number}—" in squeeze(text)


# --- the template is code: it runs in the sandbox ------------------------------------

_RCE = "cycler.__init__.__globals__.os.popen('touch {marker}').read()"


@pytest.mark.parametrize(
    "payload",
    [
        "{{{{ office_name.__class__.__mro__[1].__subclasses__() }}}}",
        "{{{{ " + _RCE + " }}}}",
        '{{% if addressee == "从不出现" %}}{{{{ '
        + _RCE
        + " }}}}{{% endif %}}",  # a branch no trial render takes
        "{{{{ office_name|attr('__class__') }}}}",
        "{{{{ office_name['__class__'] }}}}",
    ],
    ids=["subclasses", "popen", "hidden-branch", "attr-filter", "item"],
)
def test_reply_template_code_execution_is_refused_at_start_up(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = _edited_template(tmp_path, "{{ office_name }}", payload.format(marker=marker))
    with pytest.raises(ReplyTemplateError) as exc:
        check_template(path)
    assert "不安全的写法" in exc.value.message_zh and "reply.docx" in exc.value.message_zh
    assert not marker.exists()


def test_reply_template_sandbox_refuses_what_only_a_real_letter_reaches(tmp_path):
    """Built from pieces the start-up check cannot read; the sandbox stops it when the branch runs."""
    marker = tmp_path / "pwned"
    hidden = (
        '{% if addressee == "某单位" %}'
        '{{ [office_name]|map(attribute="_" ~ "_class_" ~ "_")|first }}'
        f"{marker}{{% endif %}}"
    )
    path = _edited_template(tmp_path, "{{ office_name }}", hidden)
    check_template(path)  # nothing visible to refuse, and the sample addressee never takes the branch
    fields = {**docx_module._SAMPLE, "addressee": "某单位"}
    with pytest.raises(ReplyTemplateError) as exc:
        docx_module.render_docx(path, fields, tmp_path / "out.docx")
    assert "不安全的写法" in exc.value.message_zh
    assert not marker.exists() and not (tmp_path / "out.docx").exists()


def test_template_environment_is_sandboxed_with_autoescape():
    from jinja2.sandbox import SandboxedEnvironment

    from pipeline.templating import template_env

    env = template_env()
    assert isinstance(env, SandboxedEnvironment) and env.autoescape
    assert set(env.globals) <= {"range"}
    assert env.from_string("{{ x }}").render(x="A&B<c>") == "A&amp;B&lt;c&gt;"


def test_incoming_date_carries_the_year_when_it_differs_from_the_reply(settings, tmp_path):
    """Regression: a 2026 reply said 你单位6月14日来函（陕财函〔2022〕100号） for a 2022 letter."""
    late = make_ctx()
    late.letter_date = dt.date(2025, 12, 28)
    late.issue_date = dt.date(2026, 1, 4)
    assert late.incoming.startswith("你单位2025年12月28日来函（陕人社函〔2026〕88号）收悉。")
    assert make_ctx().incoming.startswith("你单位6月4日来函（")  # same year: month and day only
    rendered = render_reply(late, settings, tmp_path)
    verify_reply(rendered, late)
    paragraphs = [p.text for p in Document(rendered.docx).paragraphs]
    assert any(p.startswith("你单位2025年12月28日来函") for p in paragraphs)


# --- the attachment table follows its content ---------------------------------------------


def test_table_columns_widen_for_long_names_and_keep_the_text_width():
    assert L.table_columns_mm(["王伟", "李娜"]) == L.TABLE_COLUMNS_MM
    wide = L.table_columns_mm(["王伟", "阿卜杜拉·麦麦提"])
    assert wide[1] > L.TABLE_COLUMNS_MM[1] and L.fits("阿卜杜拉·麦麦提", wide[1])
    assert sum(wide) == pytest.approx(L.TEXT_WIDTH_MM)
    longest = L.table_columns_mm(["阿卜杜拉·麦麦提·阿不都热合曼·买买提明"])
    assert longest[1] == L.name_column_max_mm() and L.fits("不属于失信联合惩戒对象", longest[3])


def test_cell_lines_break_only_at_sensible_points():
    assert L.cell_lines("王伟", 30) == ["王伟"]
    assert L.cell_lines("阿卜杜拉·麦麦提·阿不都热合曼·买买提明", L.name_column_max_mm()) == [
        "阿卜杜拉·麦麦提·",
        "阿不都热合曼·",
        "买买提明",
    ]
    lines = L.cell_lines("属于失信联合惩戒对象（失信被执行人、重大税收违法失信主体）", 60)
    assert lines[0] == "属于失信联合惩戒对象" and lines[1].startswith("（")
    assert "".join(lines) == "属于失信联合惩戒对象（失信被执行人、重大税收违法失信主体）"


def test_long_name_never_breaks_mid_word_in_the_attachment_table(settings, tmp_path):
    """Regression: 阿卜杜拉·麦麦 / 提 in both files' attachment table."""
    ctx = make_ctx()  # its third person is 阿卜杜拉·麦麦提
    rendered = render_reply(ctx, settings, tmp_path)
    verify_reply(rendered, ctx)
    with pdfplumber.open(str(rendered.pdf)) as pdf:
        rows = [row for page in pdf.pages for table in page.extract_tables() for row in table]
    (name_cell,) = [row[1] for row in rows if row[1] and "阿卜杜拉" in row[1]]
    assert name_cell == "阿卜杜拉·麦麦提"  # one line: pdfplumber joins wrapped lines with \n
    doc = Document(str(rendered.docx))
    table = doc.tables[-1]
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert widths == [L.twips(w) for w in L.table_columns_mm([p[0] for p in PEOPLE])]
    assert all(cell.width == Twips(w) for cell, w in zip(table.rows[3].cells, widths, strict=True))


def test_reply_template_cell_widths_are_in_twips():
    """Regression: the template's cells said w:tcW 1, 3 and 5 twips (python-docx took ints as EMU)."""
    with zipfile.ZipFile(TEMPLATE) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    widths = {int(w) for w in re.findall(r'<w:tcW w:type="dxa" w:w="(\d+)"/>', xml)}
    assert widths == {L.twips(w) for w in L.TABLE_COLUMNS_MM}


# --- the optional masthead (GB/T 9704 信函格式) ---------------------------------------------


def test_masthead_is_printed_in_red_only_when_set(settings, tmp_path):
    plain = render_reply(make_ctx(), settings, tmp_path / "plain")
    assert "陕西省信息中心（陕西省信用办）" not in Document(str(plain.docx)).paragraphs[0].text
    ctx = make_ctx()
    ctx.masthead = "陕西省信息中心（陕西省信用办）"
    rendered = render_reply(ctx, settings, tmp_path / "masthead")
    verify_reply(rendered, ctx)
    doc = Document(str(rendered.docx))
    first = doc.paragraphs[0]
    assert first.text == ctx.masthead and first.style.name == "发文机关标志"
    assert first.style.font.color.rgb == RGBColor(0xE6, 0x00, 0x12)
    rule = doc.paragraphs[1]._p.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:val")) == "thickThinSmallGap" and rule.get(qn("w:color")) == "E60012"
    assert doc.paragraphs[2].text == ctx.reply_doc_number
    with pdfplumber.open(str(rendered.pdf)) as pdf:
        page = pdf.pages[0]
        top_words = page.extract_text().splitlines()[0]
        red_lines = [ln for ln in page.lines if ln["stroking_color"] and ln["stroking_color"][0] > 0.8]
    assert top_words == ctx.masthead
    assert sorted(round(ln["linewidth"], 1) for ln in red_lines) == [L.RULE_THIN_PT, L.RULE_THICK_PT]
