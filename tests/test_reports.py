"""定期通报: every figure of a report checked against a history built for it, and the files it makes."""

from __future__ import annotations

import datetime as dt
import warnings

import docx
import pytest
from sqlalchemy import update

from pipeline.cases import requests, review, spotchecks
from pipeline.cli import main
from pipeline.commands.fields import parse_fields
from pipeline.errors import UsageError
from pipeline.reports.build import build_report, report_figures
from pipeline.reports.period import Period, parse_period
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case
from tests.builders.spec import bad_check_digit
from tests.review_office import account, drop
from tests.service_letters import spec_for
from tests.test_web_pages import write_unreadable


def test_periods_are_months_quarters_and_years() -> None:
    assert parse_period("2026-11") == Period(
        dt.date(2026, 11, 1), dt.date(2026, 12, 1), "2026年11月", "2026-11"
    )
    assert parse_period("2026-12").end == dt.date(2027, 1, 1)
    assert parse_period("2026q4") == Period(
        dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026年第四季度", "2026Q4"
    )
    assert parse_period("2026Q1").end == dt.date(2026, 4, 1)
    assert parse_period("2026").label_zh == "2026年"
    for bad in ("2026-13", "26-11", "2026Q5", "十一月"):
        with pytest.raises(UsageError):
            parse_period(bad)


def _received_days_ago(ctx, case_id: int, days: int) -> dt.datetime:  # type: ignore[no-untyped-def]
    """Move a case's receipt back (and its due date with it): as if it had come `days` days ago."""
    when = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=days)
    with write_transaction(ctx.db.sessions) as s:
        s.execute(update(Case).where(Case.id == case_id).values(received_at=when))
        s.execute(
            update(CaseTracking)
            .where(CaseTracking.case_id == case_id)
            .values(due_date=ctx.calendar.due_date(when))
        )
    return when


@pytest.fixture
def history(office):  # type: ignore[no-untyped-def]
    """A known month: what each figure must be is written beside the letter that makes it."""
    ctx, service = office
    ctx.settings.spot_check_share = 1.0
    a = drop(service, "a.docx", spec_for(401))  # answered by itself, on the day: on time, drawn (automatic)
    b = drop(service, "b.docx", spec_for(402, kind="civil_servant", hit=True))  # a hit, 2 people clear
    review.correct(ctx, b, parse_fields(["addressee=陕西省信用办"]), account("王芳"))
    review.approve(ctx, b, account("周复核"), seen=review.reply_tag(ctx, b))  # drawn (a hit)
    spec = spec_for(403)
    spec.people[1] = (spec.people[1][0], bad_check_digit(spec.people[1][1]))
    c = drop(service, "c.docx", spec)
    _received_days_ago(ctx, c, 14)  # answered two weeks after receipt: late
    review.correct(ctx, c, parse_fields(["2.result=not_checked"]), account("王芳"))  # not_checked 1, people 3
    review.approve(ctx, c, account("王芳"), seen=review.reply_tag(ctx, c))  # released after its preview
    d = service.handle_file(write_unreadable(service.folders.inbox / "d.doc", 4))  # failed
    (service.folders.inbox / "e.docx").write_bytes(
        next(service.folders.archive.rglob("*a.docx")).read_bytes()
    )
    e = service.handle_file(service.folders.inbox / "e.docx")  # duplicate of a
    spec = spec_for(404)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    g = drop(service, "g.docx", spec)
    _received_days_ago(ctx, g, 14)
    with write_transaction(ctx.db.sessions) as s:
        requests.delay(
            s,
            ctx.calendar,
            g,
            until=ctx.calendar.next_workday(dt.date.today() + dt.timedelta(days=7)),  # whatever today is
            reason="来函单位补充材料",
            account=account("赵处长"),
        )
    review.correct(ctx, g, parse_fields(["1.result=not_checked"]), account("赵处长"))  # within its delay
    review.approve(ctx, g, account("赵处长"), seen=review.reply_tag(ctx, g))  # released after its preview
    spec = spec_for(405)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    h = drop(service, "h.docx", spec)  # still waiting
    spotchecks.record(ctx, a, account("赵处长"), agreed=True)
    spotchecks.record(ctx, b, account("赵处长"), agreed=False, finding="来函文号与原件不符")
    today = dt.date.today()
    period = Period(today - dt.timedelta(days=20), today + dt.timedelta(days=1), "本期", "test")
    return ctx, period, {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g, "h": h}


@pytest.mark.slow
def test_every_figure_is_the_history(history) -> None:  # type: ignore[no-untyped-def]
    ctx, period, ids = history
    f = report_figures(ctx, period)
    # still open: h, and b, reopened for a 更正函 by its spot check
    # Regression: the duplicate e and the failed file d were counted as received letters (7) and drawn
    # as 未识别类别; they are counted apart.
    assert (f.received, f.answered, f.failed, f.duplicates, f.closed, f.still_open) == (5, 4, 1, 1, 0, 2)
    assert f.received_by_kind == {"事业单位聘用": 4, "公务员录用、调任": 1}
    assert f.answered_by_kind == {"事业单位聘用": 3, "公务员录用、调任": 1}
    assert (f.people, f.hits, f.not_checked) == (12, 1, 2)
    assert f.hits_by_list == {"失信被执行人": 1}
    assert (f.on_time, f.within_delay, f.late) == (2, 1, 1)
    assert sorted(f.workdays)[:2] == [0, 0] and f.worst_workdays == ctx.calendar.workdays_between(
        dt.date.today() - dt.timedelta(days=14), dt.date.today()
    )
    assert [(d.case_id, d.reason, d.by) for d in f.delays] == [
        (ids["g"], "来函单位补充材料", "赵处长（zhao）")
    ]
    assert (f.spot_drawn, f.spot_checked, f.spot_errors) == (2, 2, 1)
    assert f.spot_findings == [(ids["b"], "来函文号与原件不符")]
    assert f.workload == {"王芳（wangfang）": 2, "赵处长（zhao）": 3, "周复核（zhou）": 1}
    assert f.by_unit == [("陕西省人力资源和社会保障厅", 5, 4)]  # d and e are no letters received
    assert f.settled == {}  # no possible or name-mismatch result in this month
    assert f.objections == 0 and f.objection_results == {}


@pytest.mark.slow
def test_the_files_carry_the_figures_and_the_charts_draw_every_character(history, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from reportlab.pdfbase.ttfonts import TTFont

    ctx, period, _ = history
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)": a box
        files = build_report(ctx, period, tmp_path / "out")
    assert files.docx.stat().st_mode & 0o777 == 0o600
    text = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    cells = [c.text for t in docx.Document(str(files.docx)).tables for r in t.rows for c in r.cells]
    assert "本期社会信用记录查询工作情况通报" in text and "出具复函" in cells and "4件" in cells
    assert "经办工作量" not in text  # for 管理员 and 审计 only
    for chart in files.charts:
        face = TTFont("chart-font", str(chart.font))
        missing = {
            c for t in chart.texts for c in t if not c.isspace() and ord(c) not in face.face.charToGlyph
        }
        assert not missing, (chart.title, missing)
    import openpyxl

    book = openpyxl.load_workbook(files.xlsx)
    rows = {r[0]: r[1] for r in book["总体情况"].iter_rows(min_row=2, values_only=True)}
    assert rows["收到查询函（不含重复来函、处理失败的文件）"] == "5件" and rows["3个工作日内复函"].startswith(
        "2件"
    )
    import pdfplumber

    with pdfplumber.open(files.pdf) as pdf:
        words = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "本期社会信用记录查询工作情况通报" in words.replace("\n", "") and "抽查抽检发现的错误" in words
    from pipeline.domain.roles import Account, Role
    from pipeline.errors import NotAllowed

    clerk = Account("wangfang", "王芳", frozenset({Role.CLERK}))
    with pytest.raises(NotAllowed):  # the workload per person is for administrators and auditors
        build_report(ctx, period, tmp_path / "staff", workload_for=clerk)
    auditor = Account("sun", "孙审计", frozenset({Role.AUDITOR}))
    with_staff = build_report(ctx, period, tmp_path / "staff", workload_for=auditor)
    assert "经办工作量" in "\n".join(p.text for p in docx.Document(str(with_staff.docx)).paragraphs)


@pytest.mark.slow
def test_the_report_from_the_command_line(history, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", "--period", f"{dt.date.today():%Y-%m}", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "社会信用记录查询工作情况通报.docx" in out and ".xlsx" in out
    assert main(["report", "--period", "明年"]) == 2


HOSTILE_UNIT = '<a href="http://evil.example/">某局</a>&<b>'
FORMULA = '=HYPERLINK("http://evil.example/","点击")'


def test_units_reasons_and_findings_are_data_in_every_report_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Regression: a delay reason or a unit containing `<` made the month's report fail with 500 for
    everyone (reportlab read it as markup; `<a href>` became a live link in the PDF), and a unit
    `=HYPERLINK(…)` became a live formula in the .xlsx; a control character broke the .docx."""
    import io

    import openpyxl
    import pdfplumber

    from pipeline.reply.fonts import find_fonts
    from pipeline.reports.charts import charts as draw_charts
    from pipeline.reports.figures import Delay, Figures
    from pipeline.reports.render import docx_bytes, pdf_bytes, xlsx_bytes

    f = Figures(
        period=parse_period("2026-11"), received=2, answered=1, received_by_kind={"公务员录用": 2},
        by_unit=[(HOSTILE_UNIT, 1, 1), (FORMULA, 1, 0)], hits_by_list={"$x^2$名单": 1},
        delays=[Delay(7, "某\x0b局", dt.date(2026, 11, 20), "<script>alert(1)</script> 已电话沟通", "王芳（wangfang）")],
        spot_findings=[(9, "第1人姓名与原件不符 & <i>")],
    )  # fmt: skip
    fonts = find_fonts([])
    charts = draw_charts(f, fonts.body_path)
    made = dt.date(2026, 12, 1)

    text = "\n".join(c.text for t in docx.Document(io.BytesIO(docx_bytes(f, charts, "省信用办", workload=False, made=made))).tables for r in t.rows for c in r.cells)  # fmt: skip
    assert HOSTILE_UNIT in text and "某局" in text and "\x0b" not in text

    with pdfplumber.open(
        io.BytesIO(pdf_bytes(f, charts, "省<信用办>", fonts, workload=False, made=made))
    ) as pdf:
        words = "".join((p.extract_text() or "") for p in pdf.pages).replace("\n", "")
        links = [a for p in pdf.pages for a in (p.annots or []) if a.get("uri")]
    for piece in ("<script>alert(1)", "</script>", "& <i>", "<a", "evil.example", "省<信用办>"):
        assert piece in words, piece  # printed as text (table cells wrap it), not read as markup
    assert not links

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(f, workload=False)))
    cells = [c.value for row in book["按来函单位"].iter_rows() for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells and HOSTILE_UNIT in cells
    assert any("$x^2$名单" in t for chart in charts for t in chart.texts)


def test_the_report_compares_with_the_period_before_and_says_it_in_sentences(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A report a director signs: the period before beside each figure, 总体情况 in sentences,
    page numbers, long labels as rows and whole-number axes."""
    import io

    import pdfplumber

    from pipeline.reply.fonts import find_fonts
    from pipeline.reports.charts import charts as draw_charts
    from pipeline.reports.figures import Figures
    from pipeline.reports.render import docx_bytes, pdf_bytes, sections

    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2026Q1").previous().key == "2025Q4" and parse_period("2026").previous().key == "2025"
    before = Figures(period=parse_period("2026-10"), received=4)
    f = Figures(
        period=parse_period("2026-11"), received=6, answered=5, people=12, hits=1, on_time=4, late=1,
        duplicates=2, received_by_kind={"事业单位聘用": 6}, answered_by_kind={"事业单位聘用": 5},
        hits_by_list={"最高人民法院失信被执行人名单": 1, "重大税收违法失信主体名单": 1}, previous=before,
    )  # fmt: skip
    (overall, *_) = sections(f, workload=False)
    assert overall.header == ("项目", "本期", "上期") and overall.rows[0][1:] == ("6件", "4件")
    assert overall.lead.startswith("本期共收到社会信用记录查询函6件，出具复函5件")
    assert "另收到重复来函2件，未计入查询函" in overall.lead and "收到查询函增加2件" in overall.lead
    fonts = find_fonts([])
    charts = draw_charts(f, fonts.body_path)
    assert [c.across for c in charts] == [False, False, True]  # the list names are long: rows
    with pdfplumber.open(
        io.BytesIO(pdf_bytes(f, charts, "省信用办", fonts, workload=False, made=dt.date(2026, 12, 1)))
    ) as pdf:
        assert "— 1 —" in (pdf.pages[0].extract_text() or "")
    document = docx.Document(
        io.BytesIO(docx_bytes(f, charts, "省信用办", workload=False, made=dt.date(2026, 12, 1)))
    )
    assert 'w:instr="PAGE"' in document.sections[0].footer._element.xml


def test_the_report_closes_with_the_office_and_the_date_as_a_document_does() -> None:
    """GB/T 9704: 发文机关署名 and 成文日期 at the end, right-aligned (the date 右空四字), not a
    line under the title."""
    import io

    import pdfplumber

    from pipeline.reply.fonts import find_fonts
    from pipeline.reports.figures import Figures
    from pipeline.reports.render import docx_bytes, pdf_bytes

    f = Figures(period=parse_period("2026-11"), received=1)
    made = dt.date(2026, 12, 1)
    document = docx.Document(io.BytesIO(docx_bytes(f, [], "陕西省信用办", workload=False, made=made)))
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[-2:] == ["陕西省信用办", "2026年12月1日"] and "陕西省信用办" not in texts[1]
    with pdfplumber.open(
        io.BytesIO(pdf_bytes(f, [], "陕西省信用办", find_fonts([]), workload=False, made=made))
    ) as pdf:
        lines = (pdf.pages[-1].extract_text() or "").splitlines()
    assert lines[-3:-1] == ["陕西省信用办", "2026年12月1日"]  # then the page number
