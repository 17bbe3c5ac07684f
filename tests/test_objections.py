"""异议: an objection letter through the inbox, its chain's clocks (province and city), the national
result, and the letters to the national centre and to the unit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import docx
import pytest

from pipeline.cases import objections
from pipeline.domain.deadlines import DeadlineFlag
from pipeline.domain.objection import Level, Stage, chain_clock
from pipeline.errors import InvalidRequest, NotAllowed
from pipeline.storage import audit
from pipeline.storage.models import Case
from pipeline.workdays import WorkCalendar
from tests.review_office import account, drop, state
from tests.service_letters import LISTED, spec_for


def objection_spec(n: int, cited: str | None, people: list[tuple[str, str]], *, title: bool = True):  # type: ignore[no-untyped-def]
    """An employer's objection letter: its own 文号, the reply it cites, the persons, the reason."""
    spec = spec_for(n)
    cite = f"（{cited}）" if cited else ""
    return dataclasses.replace(
        spec,
        doc_number=f"陕人社函〔2026〕{n}号",
        title="关于对社会信用记录查询结果提出异议的函" if title else "关于有关人员情况的函",
        body=f"你中心出具的社会信用记录查询结果复函{cite}收悉。查询对象对查询结果提出异议，"
        "称其已履行法院判决、已于2026年移出失信被执行人名单，现提出异议申请，请予复核。",
        people=people,
        attachment_line="附件：异议人员名单",
    )


def previewed(ctx, obj: int, who: str = "王芳") -> str:  # type: ignore[no-untyped-def]
    """The tag of the letter the objection's stage sends, as a person previewing it gets it."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as work:
        pdf, tag, _ = objections.preview_letter(ctx, obj, account(who), Path(work))
        assert pdf.read_bytes().startswith(b"%PDF")
    return tag


def cli_preview(obj: int, capsys) -> str:  # type: ignore[no-untyped-def]
    from pipeline.cli import main
    from tests.review_office import as_user

    assert main(["objections", "preview", str(obj), *as_user("王芳")]) == 0
    return re.search(r"预览标识：(\w+)", capsys.readouterr().out)[1]  # type: ignore[index]


@pytest.fixture
def answered(office):  # type: ignore[no-untyped-def]
    """A replied query with one hit (LISTED) and two clear people."""
    ctx, service = office
    case_id = drop(service, "query.docx", spec_for(701, hit=True))
    with ctx.db.sessions() as s:
        original = s.get(Case, case_id)
        assert original is not None and original.state == "replied"
        number = original.reply_doc_number
    return ctx, service, case_id, number


def test_a_clock_counts_three_working_days_and_says_which_days_it_skipped() -> None:
    calendar = WorkCalendar(None)
    clock = chain_clock(calendar, "书面告知", dt.date(2026, 9, 30))  # 国庆 inside the chain
    national_day = [dt.date(2026, 10, d) for d in range(1, 8)]
    assert set(national_day) <= set(clock.skipped) and clock.due > dt.date(2026, 10, 7)
    assert clock.due == calendar.add_workdays(dt.date(2026, 9, 30), 3)
    assert "10月1日（周四）" in clock.how_counted_zh()
    assert clock.flag(clock.due) is DeadlineFlag.DUE_TODAY
    assert clock.flag(clock.due + dt.timedelta(days=1)) is DeadlineFlag.OVERDUE
    assert clock.flag(clock.due).label_zh == "今日到期"


@pytest.mark.slow
def test_a_provincial_objection_runs_its_chain_to_the_letter_to_the_unit(answered) -> None:  # type: ignore[no-untyped-def]
    ctx, service, original, number = answered
    obj = drop(service, "objection.docx", objection_spec(702, number, [LISTED]))
    assert state(ctx, obj) == "objection"
    view = objections.view(ctx, obj)
    assert view.original_case_id == original and view.stage is Stage.APPLY and view.level is Level.PROVINCE
    assert [p["was"] for p in view.people] == ["listed"] and "已履行" in (view.reason or "")
    (clock,) = view.clocks
    assert clock.due == ctx.calendar.add_workdays(dt.date.today(), 3)
    with pytest.raises(InvalidRequest):  # the result before the application: refused
        objections.record_result(ctx, obj, account("王芳"), changes={}, received_on=dt.date.today())
    apply_number = objections.apply(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    out = ctx.settings.path(ctx.settings.outbox)
    applied = docx.Document(str(out / objections.view(ctx, obj).outputs["apply_docx"]))
    text = "\n".join(p.text for p in applied.paragraphs)
    assert "国家公共信用信息中心：" in text and number in text and apply_number in text
    # Regression: the unit's own words ran into the office's sentence unquoted ("我单位" then meant
    # the wrong office); they are a quotation now.
    said = next(p for p in text.split("\n") if "有异议" in p)
    assert "有异议，来函称：“" in said and said.rstrip().endswith("”。") and "已履行" in said
    assert [c.text for c in applied.tables[-1].rows[1].cells][1:] == [
        LISTED[0],
        LISTED[1],
        "属于失信联合惩戒对象",
    ]
    with pytest.raises(NotAllowed):
        objections.record_result(ctx, obj, account("孙审计"), changes={}, received_on=dt.date.today())
    objections.record_result(
        ctx, obj, account("李科长"), changes={LISTED[1]: "clear"}, received_on=dt.date.today()
    )
    view = objections.view(ctx, obj)
    assert (
        view.stage is Stage.NOTIFY and len(view.clocks) == 2 and view.clocks[0].done_by == "王芳（wangfang）"
    )
    notice = objections.notify(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    assert state(ctx, obj) == "replied"
    told = docx.Document(str(out / objections.view(ctx, obj).outputs["notice_docx"]))
    text = "\n".join(p.text for p in told.paragraphs)
    assert f"{spec_for(702).unit}：" in text and notice in text and "予以更正" in text
    assert (
        told.tables[-1].rows[1].cells[3].text.replace("\n", "")
        == "不属于失信联合惩戒对象（原为属于失信联合惩戒对象）"
    )
    with ctx.db.sessions() as s:
        on_original = [e.reason for e in audit.events_for(s, original)]
        on_objection = [(e.actor, e.reason) for e in audit.events_for(s, obj)]
    assert any("更正查询结果" in r and LISTED[0] in r for r in on_original)  # the original case shows it
    assert (
        "李科长（like）",
        next(r for a, r in on_objection if r.startswith("收到国家公共信用信息中心")),
    ) in on_objection
    assert LISTED[1] not in " ".join(r for _, r in on_objection)  # masked in the audit log


def test_a_city_objection_is_told_within_three_working_days_of_receipt(answered) -> None:  # type: ignore[no-untyped-def]
    ctx, service, _, number = answered
    ctx.settings.office_level = "city"
    obj = drop(service, "objection.docx", objection_spec(703, number, [LISTED]))
    view = objections.view(ctx, obj)
    assert view.stage is Stage.NOTIFY and [c.name_zh for c in view.clocks] == ["书面告知异议申请单位"]
    with pytest.raises(InvalidRequest):
        objections.apply(ctx, obj, account("王芳"), seen="")  # a city office has no national step
    objections.record_result(ctx, obj, account("王芳"), changes={}, received_on=dt.date.today())
    objections.notify(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    out = ctx.settings.path(ctx.settings.outbox)
    text = "\n".join(
        p.text for p in docx.Document(str(out / objections.view(ctx, obj).outputs["notice_docx"])).paragraphs
    )
    assert "经复核" in text and f"维持原查询结果（{number}）" in text


def test_an_objection_not_linked_waits_for_a_clerk_and_a_delay_needs_a_communication(answered) -> None:  # type: ignore[no-untyped-def]
    ctx, service, original, _ = answered
    spec = objection_spec(704, None, [("无关者", spec_for(999).people[0][1])])
    spec = dataclasses.replace(spec, unit="某某单位")
    obj = drop(service, "unlinked.docx", spec)
    assert objections.view(ctx, obj).stage is Stage.LINK
    with pytest.raises(InvalidRequest):
        objections.link(ctx, obj, obj, account("王芳"))
    objections.link(ctx, obj, original, account("王芳"))
    view = objections.view(ctx, obj)
    assert view.stage is Stage.APPLY and view.original_case_id == original
    with pytest.raises(InvalidRequest, match="no communication"):
        objections.delay(
            ctx,
            obj,
            account("王芳"),
            until=dt.date.today(),
            contacted_who="",
            contacted_at=dt.datetime.now(),
            how="电话",
            reason="x",
        )
    until = ctx.calendar.add_workdays(dt.date.today(), 8)
    objections.delay(
        ctx,
        obj,
        account("王芳"),
        until=until,
        contacted_who="人社厅张建国",
        contacted_at=dt.datetime.now() - dt.timedelta(hours=1),
        how="电话",
        reason="等待补充材料",
    )
    (clock,) = objections.view(ctx, obj).clocks
    assert clock.due == until and "电话与人社厅张建国沟通" in clock.how_counted_zh()


def test_a_query_letter_that_tells_its_people_how_to_object_is_still_a_query(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    spec = dataclasses.replace(spec_for(705), extra_body=["查询对象如对查询结果有异议，可依规提出异议申请。"])
    case_id = drop(service, "query.docx", spec)
    assert state(ctx, case_id) == "replied"
    objection = drop(
        service, "titled-only.docx", objection_spec(706, None, spec_for(706).people[:1], title=False)
    )
    assert state(ctx, objection) != "objection"  # no title of its own and no reply cited: not an objection


def test_the_objection_reason_is_the_letters_own_words_without_its_attachment_line() -> None:
    from pipeline.extraction.objection import find_objection

    body = "你中心复函（陕信用函〔2026〕9号）收悉。\n查询对象称其已履行判决，对查询结果提出异议。\n附件：异议人员名单\n联系人：张三，电话：029-1"
    claim = find_objection("关于对查询结果提出异议的函", body, "陕人社函〔2026〕3号")
    assert claim is not None and claim.cited == ["陕信用函〔2026〕9号"]
    assert claim.reason == "查询对象称其已履行判决，对查询结果提出异议。"
    assert find_objection("关于申请查询人选社会信用记录的函", "如有异议请联系。", None) is None


@pytest.mark.slow
def test_an_objection_from_the_command_line(answered, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cli import main
    from tests.review_office import as_user

    ctx, service, _, number = answered
    obj = drop(service, "objection.docx", objection_spec(707, number, [LISTED]))
    assert main(["objections"]) == 12  # the list names people: a signed-in look
    assert "--user" in capsys.readouterr().err
    assert main(["objections", *as_user("孙审计")]) == 0
    listed = capsys.readouterr().out
    assert f"{obj:>5}  待向国家公共信用信息中心申请异议复核" in listed and LISTED[1] not in listed
    assert main(["objections", "apply", str(obj), "--seen", "0" * 32, *as_user("王芳")]) == 2  # not previewed
    assert "须预览" in capsys.readouterr().err
    assert main(["objections", "apply", str(obj), "--seen", cli_preview(obj, capsys), *as_user("王芳")]) == 0
    assert "异议复核申请函：陕信用函" in capsys.readouterr().out
    argv = ["objections", "result", str(obj), "--received", f"{dt.date.today()}", *as_user("李科长")]
    assert main(argv) == 0 and "维持原查询结果" in capsys.readouterr().out
    assert main(["objections", "notify", str(obj), "--seen", cli_preview(obj, capsys), *as_user("王芳")]) == 0
    assert state(ctx, obj) == "replied"
    assert main(["objections", "result", str(obj), "--received", "昨天", *as_user("王芳")]) == 2


@pytest.mark.slow
def test_the_report_counts_objections_apart_from_queries(answered) -> None:  # type: ignore[no-untyped-def]
    from pipeline.reports.build import report_figures
    from pipeline.reports.period import Period

    ctx, service, _, number = answered
    obj = drop(service, "objection.docx", objection_spec(708, number, [LISTED]))
    objections.apply(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    objections.record_result(
        ctx, obj, account("李科长"), changes={LISTED[1]: "clear"}, received_on=dt.date.today()
    )
    objections.notify(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    today = dt.date.today()
    f = report_figures(ctx, Period(today, today + dt.timedelta(days=1), "今天", "t"))
    assert (f.received, f.answered) == (1, 1)  # the query alone: the objection is not a query
    assert f.objections == 1 and f.objection_results == {"更正查询结果": 1}
    assert (f.objection_steps_on_time, f.objection_steps_late) == (2, 0)


def test_an_objection_letter_template_edited_broken_is_refused_at_start_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from pipeline.errors import ReplyTemplateError
    from pipeline.reply import check_reply_setup
    from pipeline.settings import Settings
    from tests.test_reply import REPO, _edited_template

    broken = _edited_template(tmp_path, "{{ office_name }}", "{{ office_nam }}")  # a clerk's typo
    folder = broken.parent
    broken.rename(folder / "objection_notice.docx")
    shutil.copy(REPO / "letter_templates" / "reply.docx", folder / "reply.docx")
    shutil.copy(REPO / "letter_templates" / "objection_apply.docx", folder / "objection_apply.docx")
    settings = Settings(base_dir=tmp_path, templates=folder)
    with pytest.raises(ReplyTemplateError) as refused:
        check_reply_setup(settings)
    assert "objection_notice.docx" in refused.value.message_zh and "office_nam" in refused.value.message_zh


@pytest.mark.slow
def test_an_objection_clock_follows_a_holiday_added_after_it_opened(answered) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases.deadlines import keep_current
    from tests.test_deadlines import _holidays

    ctx, service, _, number = answered
    obj = drop(service, "objection.docx", objection_spec(709, number, [LISTED]))
    (before,) = objections.view(ctx, obj).clocks
    first_day = ctx.calendar.add_workdays(dt.date.today(), 1)
    _holidays(ctx.settings.path(ctx.settings.holidays_file), first_day)
    keep_current(ctx.db, ctx.calendar, ctx.settings.holidays_path())
    (after,) = objections.view(ctx, obj).clocks
    assert after.due == ctx.calendar.add_workdays(before.due, 1) and first_day in after.skipped


def test_an_objection_s_result_carries_to_the_original_case_and_the_reports(answered) -> None:  # type: ignore[no-untyped-def]
    """Regression: after an objection's review changed a person to 不属于, the original case still
    listed the old verdict and the month's report still counted the person as listed."""
    from pipeline.cases.case_page import case_page
    from pipeline.reports.build import report_figures
    from pipeline.reports.period import Period

    ctx, service, original, number = answered
    today = dt.date.today()
    period = Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1), "本期", "test")
    assert report_figures(ctx, period).hits == 1
    obj = drop(service, "objection.docx", objection_spec(708, number, [LISTED]))
    objections.apply(ctx, obj, account("王芳"), seen=previewed(ctx, obj))
    objections.record_result(ctx, obj, account("李科长"), changes={LISTED[1]: "clear"}, received_on=today)
    page = case_page(ctx, original, account("孙审计"))
    (person,) = [p for p in page.detail.people if p.id_number == LISTED[1]]
    assert person.verdict == "listed" and person.objected == ("未列入", obj)  # the verdict words of the page
    f = report_figures(ctx, period)
    assert (f.hits, f.changed_on_objection) == (0, 1)
    from pipeline.web.app import create_app
    from tests.test_web_pages import Desk

    html = Desk(create_app(ctx=ctx), "sun").get(f"/cases/{original}").get_data(as_text=True)
    row = html.split('<table class="roster">')[1].split(f"{LISTED[1]}")[1].split("</tr>")[0]
    assert '<s title="已被异议复核结果更正">' in row and f'href="/objections/{obj}"' in row
