"""One case page, read once by the case core: the console and `letters review show` show the same
facts, each look is recorded once, and the deadline says how it was counted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pipeline.cases.actions import Action
from pipeline.cases.case_page import case_page
from pipeline.cli import main
from pipeline.domain.deadlines import DeadlineFlag
from pipeline.errors import NotAllowed
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import AuditEvent, CaseDelay, CaseTracking
from tests.builders.spec import bad_check_digit
from tests.review_office import account, as_user, drop
from tests.service_letters import spec_for


def _waiting(service, n: int) -> int:  # type: ignore[no-untyped-def]
    spec = spec_for(n)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    return drop(service, f"w{n}.docx", spec)


def _looks(ctx, case_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        rows = s.execute(select(AuditEvent.actor, AuditEvent.reason).where(AuditEvent.case_id == case_id))
        return [(actor, reason) for actor, reason in rows if reason.startswith(("查看", "领取"))]


def test_the_case_page_is_one_read_with_one_recorded_look(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = _waiting(service, 701)
    page = case_page(ctx, case_id, account("王芳"))
    assert page.detail.id == case_id and page.detail.people[0].id_invalid
    assert {Action.CORRECT, Action.CLAIM} <= page.allowed and Action.RELEASE not in page.allowed
    assert "仍有需处理的问题" in page.why_not[Action.RELEASE]
    assert page.held_by is None  # looking takes nothing
    assert _looks(ctx, case_id) == [("王芳（wangfang）", "查看案件（含查询对象个人信息）")]
    with pytest.raises(NotAllowed):  # an administrator manages accounts, not letters
        case_page(ctx, case_id, account("管理员甲"))
    assert len(_looks(ctx, case_id)) == 1  # the refused look is not recorded


def test_a_case_is_taken_by_a_claim_or_a_first_edit_and_freed_by_a_reviewer(office) -> None:  # type: ignore[no-untyped-def]
    """Regression: opening a case locked it for 15 minutes, so one clerk glancing at 13 cases locked
    all 13 away from the other, and the read-only page still offered 延期办理."""
    from pipeline.cases import drafts, holds, review
    from pipeline.commands.fields import parse_fields
    from pipeline.errors import InvalidRequest

    ctx, service = office
    glanced = [_waiting(service, 710 + n) for n in range(3)]
    for case_id in glanced:
        case_page(ctx, case_id, account("王芳"))
    assert all(Action.CORRECT in case_page(ctx, c, account("赵处长")).allowed for c in glanced)

    claimed = glanced[0]
    holds.claim(ctx, claimed, account("王芳"))
    other = case_page(ctx, claimed, account("赵处长"))
    assert other.held_by == "王芳（wangfang）"
    assert not {Action.CORRECT, Action.DELAY, Action.CLAIM} & other.allowed  # read only, no 延期 either
    assert Action.CLAIM not in case_page(ctx, claimed, account("王芳")).allowed  # hers already
    with pytest.raises(NotAllowed):  # only a reviewer frees another's claim
        holds.release_claim(ctx, claimed, account("赵处长"))
    assert holds.release_claim(ctx, claimed, account("周复核")) == "王芳（wangfang）"
    assert case_page(ctx, claimed, account("赵处长")).held_by is None

    edited = glanced[1]
    body = {"fields": {"addressee": "陕西省信用办"}, "deleted": [], "added": [], "results": {}}
    drafts.save_draft(ctx, edited, account("赵处长"), body)  # his first edit in the console
    assert case_page(ctx, edited, account("王芳")).held_by == "赵处长（zhao）"  # took it
    with pytest.raises(InvalidRequest, match="held by"):
        review.correct(ctx, edited, parse_fields(["addressee=省信用办"]), account("王芳"))
    assert holds.hand_back(ctx, edited, account("赵处长")) and not holds.hand_back(
        ctx, edited, account("王芳")
    )
    with ctx.db.sessions() as s:
        said = [e.reason for e in audit.events_for(s, claimed) + audit.events_for(s, edited)]
    assert "领取办理（其他人员暂为只读）" in said and "释放领取（原由王芳（wangfang）领取）" in said
    assert "放弃领取（其他人员可以办理）" in said


def test_the_deadline_says_how_it_was_counted_and_a_delay_moves_it(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = _waiting(service, 702)
    with write_transaction(ctx.db.sessions) as s:
        tracking = s.get(CaseTracking, case_id)
        assert tracking is not None
        received = dt.date(2026, 6, 5)  # a Friday: Saturday and Sunday are not counted
        tracking.due_date = ctx.calendar.due_date(received)
        from pipeline.storage.models import Case

        case = s.get(Case, case_id)
        assert case is not None
        case.received_at = dt.datetime(2026, 6, 5, 9, 30)
    page = case_page(ctx, case_id, account("孙审计"), today=dt.date(2026, 6, 10))
    deadline = page.deadline
    assert deadline is not None and deadline.counted == dt.date(2026, 6, 10) and deadline.left == 0
    assert deadline.flag is DeadlineFlag.DUE_TODAY
    assert deadline.explanation_zh() == (
        "2026年06月05日收到，自次日起3个工作日，至2026年06月10日（6月6日（周六）、6月7日（周日）不计）"
        "；今日到期（今日办结不算超期）"
    )
    with write_transaction(ctx.db.sessions) as s:
        s.add(CaseDelay(case_id=case_id, new_due_date=dt.date(2026, 6, 17), reason="来函单位同意", by="王芳（wangfang）", at=dt.datetime(2026, 6, 9)))  # fmt: skip
    delayed = case_page(ctx, case_id, account("孙审计"), today=dt.date(2026, 6, 11)).deadline
    assert delayed is not None and delayed.due == dt.date(2026, 6, 17) and delayed.flag is DeadlineFlag.NONE
    assert delayed.explanation_zh().endswith(
        "；经与来函单位沟通延期至2026年06月17日（来函单位同意，王芳（wangfang））；还剩4个工作日"
    )
    late = case_page(ctx, case_id, account("孙审计"), today=dt.date(2026, 6, 18)).deadline
    assert (
        late is not None
        and late.flag is DeadlineFlag.OVERDUE
        and late.explanation_zh().endswith("；已超期1个工作日")
    )


def test_a_failed_file_shows_no_deadline_anywhere(office) -> None:  # type: ignore[no-untyped-def]
    """Regression: a duplicate or failed file owes no answer, but its case page said 期限 … while
    the queue said —."""
    from pipeline.cases.queue import QueueFilter, Which, queue
    from tests.test_web_pages import write_unreadable

    ctx, service = office
    path = write_unreadable(service.folders.inbox / "bad.doc", 1)
    case_id = service.handle_file(path)
    assert case_id is not None
    assert case_page(ctx, case_id, account("王芳")).deadline is None
    (row,) = queue(ctx, QueueFilter(which=Which.FAILED), account("王芳")).rows
    assert row.case.id == case_id and row.case.deadline is None and row.case.due is None and row.turn is None


def test_review_show_signs_in_and_prints_the_console_s_view(
    office, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    """Regression: `letters review show` printed names from any shell with no sign-in and no record
    of the look; it now signs in, records the look and formats the case core's one read model."""
    ctx, service = office
    case_id = _waiting(service, 703)
    with pytest.raises(SystemExit):
        main(["review", "show", str(case_id)])
    capsys.readouterr()
    assert main(["review", "show", str(case_id), *as_user("王芳")]) == 0
    out = capsys.readouterr().out
    assert "期限计算：" in out and "您可以：" in out and "更正" in out
    assert ("王芳（wangfang）", "查看案件（含查询对象个人信息）") in _looks(ctx, case_id)
    assert not any(
        reason.startswith("开始办理") for _, reason in _looks(ctx, case_id)
    )  # the CLI holds nothing
    assert main(["review", "show", str(case_id), *as_user("管理员甲")]) == 12


def test_people_checked_against_no_list_read_unchecked_not_clear(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: `review show` printed 未列入 for people never checked because no list existed."""
    from tests.review_office import open_office

    ctx, service = open_office(tmp_path, monkeypatch, lambda c, folder: None)  # no list imported
    try:
        case_id = drop(service, "nolist.docx", spec_for(704))
        page = case_page(ctx, case_id, account("孙审计"))
        assert page.detail.people and all(
            p.verdict_zh == "未核查（核查时尚无可用的失信名单）" for p in page.detail.people
        )
        assert any("名单" in r.text for r in page.detail.reasons)
    finally:
        ctx.close()


def test_the_second_reviewer_sees_what_each_hit_rests_on(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: the reviewer's 二次复审 screen showed only 序号, 姓名, 号码 and "失信联合惩戒对象";
    it shows each hit's list record (list, row, 认定部门, 文书号, dates, the list version's import
    time) as the clerk saw it."""
    from tests.test_web_pages import Desk

    ctx, service, app = web
    case_id = drop(service, "hit.docx", spec_for(705, kind="civil_servant", hit=True))
    page = case_page(ctx, case_id, account("周复核"))
    (hit,) = [p for p in page.detail.people if p.verdict == "listed"]
    (record,) = hit.matched
    assert record.name and record.line > 0 and record.imported_at is not None
    html = Desk(app, "zhou").get(f"/cases/{case_id}").get_data(as_text=True)
    roster = html.split('<table class="roster">')[1].split("</table>")[0]
    assert "核查依据与人工核实" in roster and f"第{record.line}行" in roster and "名单版本导入于" in roster
    assert "认定部门" in roster and "认定文书号" in roster and "列入日期" in roster


def test_the_preview_shows_the_verdicts_beside_the_reply(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: the verdict table was on page 2 of a scrolled reply; the preview lists every
    person's verdict beside it, under the send button."""
    from tests.test_web_pages import Desk

    ctx, service, app = web
    case_id = drop(service, "hit2.docx", spec_for(706, kind="civil_servant", hit=True))
    page = case_page(ctx, case_id, account("周复核"))
    (hit,) = [p for p in page.detail.people if p.verdict == "listed"]
    html = Desk(app, "zhou").get(f"/cases/{case_id}/preview").get_data(as_text=True)
    side = html.split('<section class="work">')[1]
    assert side.index("核对无误，发出复函") < side.index("查询结果一览")
    table = side.split('<table class="verdicts">')[1].split("</table>")[0]
    assert (
        table.count("<tr") == len(page.detail.people) + 1 and f'<tr class="late"><td>{hit.seq}</td>' in table
    )
