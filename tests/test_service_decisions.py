"""A named person settles a possible or name_mismatch verdict (`review correct … N.result=clear|listed`).

Runs through the CLI on real letters, on SQLite and (with LETTERS_TEST_PG_URL) PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases.context import ServiceContext
from pipeline.cli import main
from pipeline.domain.decision import apply_decisions, decide
from pipeline.domain.result import CheckOutcome, PersonResult, RecordRef, Verdict
from pipeline.inbox.intake import InboxIntake
from pipeline.records import import_list
from pipeline.reply.verify import docx_content
from pipeline.storage.case_models import AuditEvent, CaseDecision
from pipeline.storage.models import Case
from tests.builders.spec import LetterSpec, make_id
from tests.review_office import as_user, open_office, seen
from tests.service_letters import write_letter

pytest_plugins = ["tests.db_backends"]

LISTED = ("赵六", make_id("610402", "19760724", "307"))  # exact hit
MASKED = ("钱七", make_id("610103", "19850312", "214"))  # only a masked record fits: possible
OTHER = ("孙八", make_id("610104", "19900101", "555"))  # ID listed under 孙捌: name_mismatch
CLEAR = ("周九", make_id("610105", "19921111", "666"))
HEADER = ["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"]


def masked(id_number: str) -> str:
    return id_number[:10] + "****" + id_number[14:]


def write_list(folder: Path, name: str, rows: list[list[str]]) -> Path:
    path = folder / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def import_lists(ctx: ServiceContext, folder: Path, *, masked_category: str = "失信被执行人") -> None:
    executed = [
        [LISTED[0], LISTED[1], "失信被执行人", "西安市中级人民法院", "(2020)陕01执1号", "2020-01-02", ""],
        [
            MASKED[0],
            masked(MASKED[1]),
            masked_category,
            "西安市中级人民法院",
            "(2021)陕01执9号",
            "2021-03-04",
            "",
        ],
    ]
    tax = [
        [
            OTHER[0][0] + "捌",
            OTHER[1],
            "重大税收违法失信主体",
            "国家税务总局",
            "税稽〔2022〕1号",
            "2022-05-06",
            "",
        ]
    ]
    import_list(
        ctx.db.sessions, write_list(folder, "executed", executed), ctx.settings, list_name="失信被执行人"
    )
    import_list(
        ctx.db.sessions, write_list(folder, "tax", tax), ctx.settings, list_name="重大税收违法失信主体"
    )


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[tuple]:
    ctx, intake = open_office(tmp_path, monkeypatch, import_lists, db_url)
    yield ctx, intake
    ctx.close()


LETTER_NUMBERS = itertools.count(10)


def drop(service: InboxIntake, name: str, kind: str, people: list[tuple[str, str]]) -> int:
    number = next(LETTER_NUMBERS)
    spec = LetterSpec(kind=kind, doc_number=f"陕人社函〔2026〕{number}号", people=people)  # type: ignore[arg-type]
    case_id = service.handle_file(write_letter(service.folders.inbox / name, spec))
    assert case_id is not None
    return case_id


def case(ctx: ServiceContext, case_id: int) -> Case:
    with ctx.db.sessions() as s:
        row = s.get(Case, case_id)
        assert row is not None
        return row


def reply_rows(ctx: ServiceContext, case_id: int) -> list[tuple[str, ...]]:
    outputs = case(ctx, case_id).outputs or {}
    _, rows = docx_content(ctx.settings.path(ctx.settings.outbox) / outputs["docx"])
    return rows


def correct(case_id: int, field: str, by: str) -> int:
    return main(["review", "correct", str(case_id), "--field", field, *as_user(by)])


@pytest.mark.slow
def test_possible_settled_as_clear_by_a_named_person_is_replied(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, service = office
    case_id = drop(service, "possible.docx", "public_institution", [CLEAR, MASKED])
    assert case(ctx, case_id).state == "waiting_review"
    assert any("脱敏" in r.text for r in case(ctx, case_id).review_reasons())
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) == 2  # approval alone settles nothing
    capsys.readouterr()

    assert (
        main(["review", "correct", str(case_id), "--field", "2.result", "--value", "clear", *as_user("王芳")])
        == 10
    )  # a person once possibly listed, cleared by one person: a second person approves (the history rule)
    assert "更正人以外的复核人员" in capsys.readouterr().out
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) != 0
    assert main(["review", "approve", str(case_id), *as_user("周复核"), *seen(ctx, case_id)]) == 0
    assert "已生成复函" in capsys.readouterr().out
    stored = case(ctx, case_id)
    assert stored.state == "replied"
    assert [r[-1] for r in reply_rows(ctx, case_id)] == ["不属于失信联合惩戒对象"] * 2
    decided = stored.check_json["results"][1]["decided"]  # type: ignore[index]
    assert (
        decided["by"] == "王芳（wangfang）" and decided["was"] == "possible" and decided["verdict"] == "clear"
    )
    assert decided["records"][0]["list_name"] == "失信被执行人"

    with ctx.db.sessions() as s:
        rows = s.scalars(select(CaseDecision).where(CaseDecision.case_id == case_id)).all()
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
    assert [(r.seq, r.was, r.verdict, r.by) for r in rows] == [(2, "possible", "clear", "王芳（wangfang）")]
    assert rows[0].records[0]["line"] == 3  # the masked record's line in the list file
    event = next(e for e in events if e.actor == "王芳（wangfang）")
    assert "第2人（钱七" in event.reason and "人工核实为不属于失信联合惩戒对象" in event.reason
    assert "失信被执行人（快照" in event.reason and "第3行" in event.reason
    assert MASKED[1] not in event.reason  # ID masked in the audit log
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    shown = capsys.readouterr().out
    assert "人工核实：王芳" in shown and MASKED[1] not in shown
    assert main(["audit", "verify"]) == 0


@pytest.mark.slow
def test_name_mismatch_settled_as_listed_names_the_list(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    case_id = drop(service, "mismatch.docx", "public_institution", [OTHER, CLEAR])
    assert any("姓名不同" in r.text for r in case(ctx, case_id).review_reasons())
    assert correct(case_id, "1.result=listed", "王芳") == 10  # a verdict decided: a second person approves
    assert main(["review", "approve", str(case_id), *as_user("周复核"), *seen(ctx, case_id)]) == 0
    assert case(ctx, case_id).state == "replied"
    rows = reply_rows(ctx, case_id)
    assert rows[0][-1] == "属于失信联合惩戒对象（重大税收违法失信主体）"
    assert rows[1][-1] == "不属于失信联合惩戒对象"
    assert main(["audit", "verify"]) == 0


@pytest.mark.slow
def test_a_manual_hit_on_a_civil_servant_query_needs_another_approver(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, service = office
    case_id = drop(service, "cs.docx", "civil_servant", [MASKED, CLEAR])
    assert correct(case_id, "1.result=listed", "李科长") == 10
    assert "二次复审" in capsys.readouterr().out
    assert case(ctx, case_id).state == "waiting_review"
    assert main(["review", "approve", str(case_id), *as_user("李科长")]) == 2
    assert "更正人以外" in capsys.readouterr().err
    assert case(ctx, case_id).state == "waiting_review"
    assert main(["review", "approve", str(case_id), *as_user("周复核"), *seen(ctx, case_id)]) == 0
    assert case(ctx, case_id).state == "replied"
    assert reply_rows(ctx, case_id)[0][-1] == "属于失信联合惩戒对象（失信被执行人）"
    assert main(["audit", "verify"]) == 0


@pytest.mark.slow
def test_the_decider_of_a_hit_cannot_approve_it_after_someone_else_corrects(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, service = office
    case_id = drop(service, "cs2.docx", "civil_servant", [MASKED, CLEAR])
    assert correct(case_id, "1.result=listed", "李科长") == 10
    assert correct(case_id, "unit=陕西省人力资源和社会保障厅", "赵处长") == 10  # now 赵处长 is the corrector
    capsys.readouterr()
    assert main(["review", "approve", str(case_id), *as_user("李科长")]) == 2
    err = capsys.readouterr().err
    assert "李科长（like）" in err and ("人工核实结论" in err or "更正" in err)
    assert case(ctx, case_id).state == "waiting_review"


@pytest.mark.parametrize("seq", [1, 2], ids=["listed", "clear"])
def test_a_decision_on_a_settled_verdict_is_refused(
    office, capsys: pytest.CaptureFixture[str], seq: int
) -> None:
    ctx, service = office
    case_id = drop(service, "settled.docx", "civil_servant", [LISTED, CLEAR, MASKED])
    before = case(ctx, case_id)
    verdict = "clear" if seq == 1 else "listed"
    assert correct(case_id, f"{seq}.result={verdict}", "王芳") == 2
    err = capsys.readouterr().err
    assert "不能人工" in err and ("完全一致" if seq == 1 else "未匹配") in err
    after = case(ctx, case_id)
    assert after.state == "waiting_review" and after.reasons == before.reasons
    with ctx.db.sessions() as s:
        assert s.scalars(select(CaseDecision)).all() == []


def test_bad_result_values_are_refused_in_chinese(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    case_id = drop(service, "bad.docx", "public_institution", [MASKED])
    assert correct(case_id, "1.result=maybe", "王芳") == 2
    assert "clear" in capsys.readouterr().err
    assert correct(case_id, "5.result=clear", "王芳") == 2
    assert "没有第5人" in capsys.readouterr().err
    assert case(ctx, case_id).state == "waiting_review"


@pytest.mark.slow
def test_a_decision_lapses_when_the_list_changes(
    office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """On a civil-servant query the manual hit waits for approval; a re-import in between voids it."""
    ctx, service = office
    case_id = drop(service, "lapse.docx", "civil_servant", [MASKED, CLEAR])
    assert correct(case_id, "1.result=listed", "王芳") == 10
    capsys.readouterr()
    # The list is re-imported with different content (a new category on the same masked record).
    later = tmp_path / "later"
    later.mkdir()
    import_lists(ctx, later, masked_category="失信被执行人（更新）")
    assert main(["review", "approve", str(case_id), *as_user("李科长")]) == 2
    err = capsys.readouterr().err
    assert "脱敏" in err and "不再适用" in err
    assert case(ctx, case_id).state == "waiting_review"
    # A fresh decision on the new records works again, approved by a second person.
    assert correct(case_id, "1.result=clear", "李科长") == 10
    assert main(["review", "approve", str(case_id), *as_user("周复核"), *seen(ctx, case_id)]) == 0
    assert case(ctx, case_id).state == "replied"
    assert main(["audit", "verify"]) == 0


def test_a_decision_lapses_when_the_person_is_corrected(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    case_id = drop(service, "person.docx", "civil_servant", [MASKED, CLEAR])
    assert correct(case_id, "1.result=listed", "王芳") == 10
    capsys.readouterr()
    # Another valid ID that differs only in the masked digits: the same record still fits, the decision not.
    other = next(
        candidate
        for month in range(1, 13)
        for day in range(1, 29)
        if (candidate := make_id("610103", f"1985{month:02d}{day:02d}", "214")) != MASKED[1]
        and candidate[14:] == MASKED[1][14:]
    )
    assert correct(case_id, f"1.id_number={other}", "王芳") == 10
    out = capsys.readouterr().out
    assert "不再适用" in out and "脱敏" in out and "公务员录用、调任查询须二次复审" not in out
    assert case(ctx, case_id).state == "waiting_review"


# The pure function, without a database.

AT = dt.datetime(2026, 6, 4, 9, 0)
REC = RecordRef(snapshot_id=1, record_id=7, list_name="失信被执行人", line=3)


def outcome(*results: PersonResult) -> CheckOutcome:
    return CheckOutcome(checked_at=AT, results=list(results), snapshots=[])


def test_apply_decisions_only_touches_the_same_records() -> None:
    possible = PersonResult(1, "钱七", MASKED[1], Verdict.POSSIBLE, ["失信被执行人"], [REC])
    d = decide(possible, Verdict.LISTED, "王芳", AT)
    applied, dropped = apply_decisions(outcome(possible), [d])
    assert applied.results[0].verdict == Verdict.LISTED and applied.results[0].decided == d
    assert applied.results[0].result_text_zh() == "属于失信联合惩戒对象（失信被执行人）"
    assert dropped == [] and possible.verdict == Verdict.POSSIBLE  # input untouched

    moved = PersonResult(
        1, "钱七", MASKED[1], Verdict.POSSIBLE, ["失信被执行人"], [RecordRef(2, 9, "失信被执行人", 3)]
    )
    applied, dropped = apply_decisions(outcome(moved), [d])
    assert applied.results[0].verdict == Verdict.POSSIBLE and dropped == [d]

    now_listed = PersonResult(1, "钱七", MASKED[1], Verdict.LISTED, ["失信被执行人"], [REC])
    applied, dropped = apply_decisions(outcome(now_listed), [decide(possible, Verdict.CLEAR, "王芳", AT)])
    assert applied.results[0].verdict == Verdict.LISTED  # the check's own hit is never overridden


def test_decide_refuses_settled_verdicts() -> None:
    for verdict in (Verdict.LISTED, Verdict.CLEAR):
        with pytest.raises(ValueError):
            decide(PersonResult(1, "周九", CLEAR[1], verdict), Verdict.CLEAR, "王芳", AT)


def test_decisions_round_trip_through_the_stored_check() -> None:
    from pipeline.checking import outcome_from_json, outcome_to_json

    possible = PersonResult(1, "钱七", MASKED[1], Verdict.POSSIBLE, ["失信被执行人"], [REC])
    applied, _ = apply_decisions(outcome(possible), [decide(possible, Verdict.CLEAR, "王芳", AT)])
    data = json.loads(json.dumps(outcome_to_json(applied), ensure_ascii=False))
    assert outcome_from_json(data) == applied
