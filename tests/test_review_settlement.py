"""A correction settles only what it corrects; what no field fixes is confirmed; a wrong ID can be
answered 未予查询 so the rest of the roster is not held hostage."""

from __future__ import annotations

import dataclasses

import docx
import pytest

from pipeline.cli import main
from pipeline.commands.fields import parse_fields
from pipeline.storage import audit
from pipeline.storage.models import Case
from tests.builders.spec import bad_check_digit
from tests.review_office import as_user, drop, release, state
from tests.service_letters import spec_for


def case(ctx, case_id: int) -> Case:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        found = s.get(Case, case_id)
        assert found is not None
        return found


def codes(ctx, case_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code.value for r in case(ctx, case_id).review_reasons()]


def test_correcting_one_field_leaves_a_count_that_disagrees_to_be_confirmed(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: any correction cleared every letter-level problem (letter.problems = []), so
    correcting the unit of a letter that says 共4人 but lists 3 sent the reply."""
    ctx, service = office
    spec = dataclasses.replace(spec_for(11), stated_count=4, doc_number=None)
    case_id = drop(service, "count.docx", spec)
    assert "count_mismatch" in codes(ctx, case_id)
    assert main(["review", "correct", str(case_id), "--field", "addressee=省信用办", *as_user("王芳")]) == 10
    assert state(ctx, case_id) == "waiting_review" and codes(ctx, case_id) == ["count_mismatch"]
    assert main(["review", "approve", str(case_id), *as_user("李科长")]) == 2  # approval does not settle it
    assert "核实后确认" in capsys.readouterr().err
    assert main(["review", "confirm", str(case_id), "seq_gap", *as_user("李科长")]) == 2  # not this case's
    assert main(["review", "confirm", str(case_id), "count_mismatch", *as_user("李科长")]) == 10
    assert release(ctx, case_id, "李科长") == 0
    assert state(ctx, case_id) == "replied"
    with ctx.db.sessions() as s:
        events = audit.events_for(s, case_id)
    confirmed = [e for e in events if e.reason.startswith("人工确认")]
    assert len(confirmed) == 1 and confirmed[0].actor == "李科长（like）" and "共4人" in confirmed[0].reason
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    assert "已确认的问题" in capsys.readouterr().out


def test_a_fixed_field_stops_blocking_and_nothing_else_does(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    spec = dataclasses.replace(spec_for(12), stated_count=5)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "two.docx", spec)
    assert sorted(codes(ctx, case_id)) == ["count_mismatch", "id_invalid"]
    assert main(["review", "correct", str(case_id), "--field", f"2.id_number={good}", *as_user("王芳")]) == 10
    assert codes(ctx, case_id) == ["count_mismatch"]


@pytest.mark.slow
def test_a_wrong_id_is_answered_not_checked_and_the_rest_are_answered(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, service = office
    spec = spec_for(13)
    name, good = spec.people[2]
    spec.people[2] = (name, bad_check_digit(good))
    case_id = drop(service, "wrong-id.docx", spec)
    assert codes(ctx, case_id) == ["id_invalid"]
    assert main(["review", "correct", str(case_id), "--field", "1.result=not_checked", *as_user("王芳")]) == 2
    assert "没有错误" in capsys.readouterr().err  # a valid ID is always checked
    assert (
        main(["review", "correct", str(case_id), "--field", "3.result=not_checked", *as_user("王芳")]) == 10
    )
    assert release(ctx, case_id, "王芳") == 0
    done = case(ctx, case_id)
    assert done.state == "replied"
    assert [r["verdict"] for r in done.check_json["results"]] == ["clear", "clear", "not_checked"]  # type: ignore[index]
    reply = ctx.settings.path(ctx.settings.outbox) / done.outputs["docx"]  # type: ignore[index]
    rows = [[c.text for c in row.cells] for row in docx.Document(str(reply)).tables[-1].rows]
    assert rows[3][1] == name and rows[3][-1] == "身份证号码有误，未予查询"
    assert rows[1][-1] == "不属于失信联合惩戒对象"
    with ctx.db.sessions() as s:
        (event,) = [e for e in audit.events_for(s, case_id) if e.reason.startswith("人工更正")]
    assert event.actor == "王芳（wangfang）" and "未予查询" in event.reason


def test_a_row_that_is_no_person_is_deleted_and_a_missed_one_added(office) -> None:  # type: ignore[no-untyped-def]
    """Extraction took a heading as a person and missed the last row: the clerk fixes the roster itself."""
    ctx, service = office
    spec = dataclasses.replace(spec_for(14), stated_count=3)
    kept = spec.people[:3]
    spec.people[:] = [kept[0], ("联系人", "029-88886666"), kept[1]]
    case_id = drop(service, "roster.docx", spec)
    assert "id_invalid" in codes(ctx, case_id) and "count_mismatch" not in codes(ctx, case_id)
    name, number = kept[2]
    # 2 is deleted and 3 decided in one request: numbers mean the rows as the clerk saw them.
    fields = ["delete=2", f"add={name}，{number.lower()}", "3.name=" + kept[1][0]]
    argv = [item for f in fields for item in ("--field", f)]
    assert main(["review", "correct", str(case_id), *argv, *as_user("王芳")]) == 10
    assert release(ctx, case_id, "王芳") == 0
    done = case(ctx, case_id)
    assert done.state == "replied"
    people = done.letter_json["people"]  # type: ignore[index]
    assert [(p["name"], p["id_number"]) for p in people] == [tuple(p) for p in kept]
    with ctx.db.sessions() as s:
        (event,) = [e for e in audit.events_for(s, case_id) if e.reason.startswith("人工更正")]
    assert "删除第2人：联系人" in event.reason and f"增加第3人：{name}" in event.reason
    assert number not in event.reason  # masked in the audit log too


def test_roster_changes_refuse_what_they_cannot_mean(office, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    spec = spec_for(15)
    name, good = spec.people[0]
    spec.people[0] = (name, bad_check_digit(good))
    case_id = drop(service, "refuse.docx", spec)
    for fields, said in (
        (["delete=9"], "没有第9人"),
        (["delete=x"], "delete 后应写"),
        (["add=只有姓名"], "add=姓名,身份证号码"),
        (["delete=1", "1.result=not_checked"], "已删除"),
    ):
        argv = [item for f in fields for item in ("--field", f)]
        assert main(["review", "correct", str(case_id), *argv, *as_user("王芳")]) == 2
        assert said in capsys.readouterr().err
    assert state(ctx, case_id) == "waiting_review"
    assert main(["review", "correct", str(case_id), "--field", "delete=1", *as_user("王芳")]) == 10
    assert release(ctx, case_id, "王芳") == 0
    assert len(case(ctx, case_id).letter_json["people"]) == len(spec.people) - 1  # type: ignore[index]


def test_a_corrected_letter_keeps_where_its_values_were_read(office) -> None:  # type: ignore[no-untyped-def]
    """Regression: letter_from_json dropped every source, so after one correction the console could
    no longer show any value on the original, and an OCR-repaired ID lost what the scan printed."""
    ctx, service = office
    spec = spec_for(16)
    name, good = spec.people[0]
    spec.people[0] = (name, bad_check_digit(good))
    case_id = drop(service, "sources.pdf", spec)
    before = case(ctx, case_id).letter_json
    assert main(["review", "correct", str(case_id), "--field", "addressee=省信用办", *as_user("王芳")]) == 10
    after = case(ctx, case_id).letter_json
    assert after["sources"] == before["sources"] and after["sources"]  # type: ignore[index]
    assert [p["sources"] for p in after["people"]] == [p["sources"] for p in before["people"]]  # type: ignore[index]
    assert after["people"][0]["id_as_printed"] == bad_check_digit(good)  # type: ignore[index]


def test_a_conclusion_on_a_letter_changed_meanwhile_is_refused(office) -> None:  # type: ignore[no-untyped-def]
    """Regression: approve loaded the letter, another person's correction landed, and the approval
    then replied with the letter it had loaded, silently undoing the correction."""
    from pipeline.cases import review
    from pipeline.errors import InvalidRequest
    from tests.review_office import account

    ctx, service = office
    case_id = drop(service, "race.docx", spec_for(17, kind="civil_servant", hit=True))
    stale_letter, stale_tag = review._waiting_letter(ctx, case_id)
    review.correct(ctx, case_id, parse_fields(["addressee=陕西省信用办"]), account("王芳"))
    with pytest.raises(InvalidRequest, match="changed since it was loaded"):
        review._conclude(
            ctx, case_id, stale_letter, account("周复核"), event="", approving=True, changed=False,
            now=__import__("datetime").datetime.now(), tag=stale_tag,
        )  # fmt: skip
    assert state(ctx, case_id) == "waiting_review"
    assert (
        review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id)).state
        == "replied"
    )
    assert case(ctx, case_id).letter_json["addressee"] == "陕西省信用办"  # type: ignore[index]


def test_a_reply_names_its_query_time_and_how_current_the_lists_were(office) -> None:  # type: ignore[no-untyped-def]
    """The conclusion says the result reflects 查询时间点: the reply now says which moment that was."""
    import datetime as dt

    ctx, service = office
    case_id = drop(service, "clean.docx", spec_for(18))
    done = case(ctx, case_id)
    assert done.state == "replied"
    reply = ctx.settings.path(ctx.settings.outbox) / done.outputs["docx"]  # type: ignore[index]
    lines = [p.text for p in docx.Document(str(reply)).paragraphs if p.text.startswith("查询时间点：")]
    today = dt.date.today()
    assert len(lines) == 1 and lines[0].startswith(f"查询时间点：{today.year}年{today.month}月{today.day}日")
    assert lines[0].endswith(
        f"（名单数据更新至{today.year}年{today.month}月{today.day}日）"
    )  # imported today


def test_the_office_profile_signs_every_letter_with_its_seal_wording(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    ctx.settings.office_name, ctx.settings.seal_wording = "西安市信用办", "（印章）"
    done = case(ctx, drop(service, "signed.docx", spec_for(19)))
    reply = ctx.settings.path(ctx.settings.outbox) / done.outputs["docx"]  # type: ignore[index]
    assert "西安市信用办（印章）" in [p.text for p in docx.Document(str(reply)).paragraphs]
