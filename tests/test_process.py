"""One letter end to end: decisions, reply numbers, outbox files, cases, exit codes."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import stat
from pathlib import Path

import chinese_calendar
import docx
import pytest
from sqlalchemy import select

from pipeline.cases.handling import handle_letter
from pipeline.cases.intake import AnswerAgain
from pipeline.cases.named import NamedRun, process_named
from pipeline.cases.replying import issue_date, stage_reply
from pipeline.cli import main
from pipeline.domain.letter import Letter
from pipeline.domain.reasons import texts
from pipeline.errors import ExitCode, InvalidRequest, LettersError, NotAllowed
from pipeline.outbox import reply_stem, sanitise
from pipeline.records import import_list
from pipeline.settings import Settings
from pipeline.storage import Database, open_database
from pipeline.storage.models import Case, CaseState
from pipeline.storage.numbers import allocated_numbers
from tests.builders.docx_builder import build_docx
from tests.builders.spec import LetterSpec, bad_check_digit, make_id
from tests.review_office import account

pytest_plugins = ["tests.db_backends"]

REPO = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 6, 4, 10, 0)  # a Thursday, a working day
HEADER = ["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"]
WANG = make_id("610102", "19900101", "123")
LI = make_id("610113", "19951231", "246")
ZHAO = make_id("610402", "19760724", "307")
STEM = "2021-06-04_陕西省人力资源和社会保障厅_陕人社函〔2021〕88号_复函"


@pytest.fixture
def office(settings: Settings) -> Settings:
    return dataclasses.replace(settings, templates=REPO / "letter_templates", contact_name="王明")


@pytest.fixture
def sqlite_office(tmp_path: Path) -> Settings:
    return Settings(base_dir=tmp_path, templates=REPO / "letter_templates")


@pytest.fixture
def sqlite_db(sqlite_office: Settings):
    database = open_database(sqlite_office)
    yield database
    database.dispose()


def load_list(
    db: Database, settings: Settings, rows: list[list[str]], *, imported: dt.datetime = NOW
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = settings.base_dir / f"list-{len(rows)}-{imported:%H%M%S%f}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    import_list(db.sessions, path, settings, list_name="失信被执行人", now=imported - dt.timedelta(hours=1))


def letter_file(tmp_path: Path, name: str = "letter.docx", **spec) -> Path:
    people = spec.pop("people", [("王伟", WANG), ("李娜", LI), ("赵强", ZHAO)])
    return build_docx(LetterSpec(people=people, **spec), tmp_path / name)


def process_file(
    path: Path,
    settings: Settings,
    db: Database,
    *,
    outbox: Path | None = None,
    now: dt.datetime = NOW,
    again: AnswerAgain | None = None,
) -> NamedRun:
    """`letters process` as a library call, at a fixed time."""
    if outbox is not None:
        settings = dataclasses.replace(settings, outbox=outbox)
    return process_named(path, settings, db, clock=lambda: now, again=again)


def cases(db: Database) -> list[Case]:
    with db.sessions() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_clean_institution_letter_is_replied(db: Database, office: Settings, tmp_path: Path) -> None:
    load_list(db, office, [["王伟", WANG, "失信被执行人", "法院", "(2020)陕01执1号", "2020-01-02", ""]])
    outbox = tmp_path / "outbox"
    result = process_file(
        letter_file(tmp_path, kind="public_institution"), office, db, outbox=outbox, now=NOW
    )
    assert result.state == CaseState.REPLIED and result.exit_code == 0, result.reasons
    assert result.reply_doc_number == "陕信用函〔2026〕1号"
    # Staff collect replies from the outbox; the result JSON (full IDs) stays in data/results.
    assert sorted(p.name for p in outbox.iterdir()) == [f"{STEM}.docx", f"{STEM}.pdf"]
    assert all(mode(p) == 0o600 for p in outbox.iterdir())
    results = office.path(office.data_dir) / "results"
    assert result.outputs["json"] == results / f"{STEM}_结果.json"
    assert mode(result.outputs["json"]) == 0o600 and mode(results) == 0o700
    data = json.loads(result.outputs["json"].read_text(encoding="utf-8"))
    assert data["reply_doc_number"] == "陕信用函〔2026〕1号" and data["issue_date"] == "2026-06-04"
    assert [r["verdict"] for r in data["check"]["results"]] == ["listed", "clear", "clear"]
    assert data["check"]["checked_at"] == "2026-06-04T10:00:00"
    text = "\n".join(p.text for p in docx.Document(str(result.outputs["docx"])).paragraphs)
    assert "你单位2021年6月4日来函（陕人社函〔2021〕88号）收悉。" in text  # a 2021 letter answered in 2026
    (case,) = cases(db)
    assert case.state == "replied" and case.reply_doc_number == "陕信用函〔2026〕1号"
    assert case.outputs == {k: v.name for k, v in result.outputs.items()}
    assert case.kind == "public_institution" and case.unit == "陕西省人力资源和社会保障厅"
    assert case.doc_number == "陕人社函〔2021〕88号" and case.letter_json["people"][0]["id_number"] == WANG
    assert case.check_json["snapshots"][0]["list_name"] == "失信被执行人"


def test_a_civil_servant_hit_waits_for_second_review(db: Database, office: Settings, tmp_path: Path) -> None:
    load_list(db, office, [["王伟", WANG, "失信被执行人", "法院", "", "2020-01-02", ""]])
    outbox = tmp_path / "outbox"
    result = process_file(letter_file(tmp_path), office, db, outbox=outbox, now=NOW)
    assert result.state == CaseState.WAITING_REVIEW and result.exit_code == ExitCode.WAITING_REVIEW == 10
    assert texts(result.reasons) == [
        "第1人（王伟）：查询结果为失信联合惩戒对象，公务员录用、调任查询须二次复审、复核、复查"
    ]
    assert not outbox.exists() or not list(outbox.iterdir())
    (case,) = cases(db)
    assert (
        case.state == "waiting_review"
        and case.review_reasons() == result.reasons
        and case.reply_doc_number is None
    )
    assert case.check_json["results"][0]["verdict"] == "listed"
    with db.sessions() as session:
        assert allocated_numbers(session, "陕信用函", 2026) == []  # no number used up


def test_a_clear_civil_servant_letter_is_replied(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    load_list(
        sqlite_db,
        sqlite_office,
        [["某人", make_id("610102", "19800101", "001"), "", "", "", "2020-01-01", ""]],
    )
    result = process_file(letter_file(tmp_path), sqlite_office, sqlite_db, outbox=tmp_path / "out", now=NOW)
    assert result.state == CaseState.REPLIED, result.reasons


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (
            [["王卫", WANG, "", "", "", "2020-01-02", ""]],
            "第1人（王伟）：身份证号码在失信名单中，但名单登记的姓名不同，需人工核实",
        ),
        (
            [["李娜", LI[:10] + "****" + LI[14:], "", "", "", "2020-01-02", ""]],
            "第2人（李娜）：与失信名单中一条脱敏身份证号码记录的姓名和可见号码相符，需人工核实",
        ),
    ],
)
def test_name_mismatch_and_possible_wait(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path, rows: list, reason: str
) -> None:
    load_list(sqlite_db, sqlite_office, rows)
    result = process_file(letter_file(tmp_path, kind="public_institution"), sqlite_office, sqlite_db, now=NOW)
    assert result.state == CaseState.WAITING_REVIEW and texts(result.reasons) == [reason]


def test_a_stale_list_never_yields_a_reply(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    load_list(
        sqlite_db,
        sqlite_office,
        [["某人", WANG, "", "", "", "2020-01-02", ""]],
        imported=NOW - dt.timedelta(days=9),
    )
    result = process_file(letter_file(tmp_path, people=[("李娜", LI)]), sqlite_office, sqlite_db, now=NOW)
    assert result.state == CaseState.WAITING_REVIEW
    assert len(result.reasons) == 1 and result.reasons[0].text.startswith("失信名单未导入或已过期")


def test_no_list_at_all_never_yields_a_reply(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    result = process_file(letter_file(tmp_path), sqlite_office, sqlite_db, now=NOW)
    assert result.state == CaseState.WAITING_REVIEW
    assert texts(result.reasons) == ["失信名单未导入或已过期：尚未导入任何失信名单"]


def test_blocking_letter_problems_wait(sqlite_db: Database, sqlite_office: Settings, tmp_path: Path) -> None:
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    path = letter_file(tmp_path, people=[("王伟", bad_check_digit(WANG)), ("李娜", LI)])
    result = process_file(path, sqlite_office, sqlite_db, now=NOW)
    assert result.state == CaseState.WAITING_REVIEW
    assert texts(result.reasons) == ["第1人（王伟）：身份证号码校验位错误"]
    assert cases(sqlite_db)[0].review_reasons() == result.reasons


def test_an_unreadable_letter_fails_with_its_message(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "letter.docx"
    path.write_bytes(b"")
    result = process_file(path, sqlite_office, sqlite_db, now=NOW)
    assert result.state == CaseState.FAILED and result.exit_code == 3
    assert result.error == "文件为空（0 字节），请确认文件是否完整。"
    (case,) = cases(sqlite_db)
    assert case.state == "failed" and case.error == result.error and case.original_name == "letter.docx"


def test_the_same_letter_twice_is_answered_once(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    """Regression: the same bytes through `letters process` twice made two official replies."""
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    path = letter_file(tmp_path, kind="public_institution", people=[("李娜", LI)])
    outbox = tmp_path / "outbox"
    first = process_file(path, sqlite_office, sqlite_db, outbox=outbox, now=NOW)
    second = process_file(path, sqlite_office, sqlite_db, outbox=outbox, now=NOW)
    assert first.state == CaseState.REPLIED
    assert second.state == CaseState.DUPLICATE and second.exit_code == ExitCode.DUPLICATE == 11
    assert second.duplicate_of == first.case_id and second.reply_doc_number is None
    assert sorted(p.name for p in outbox.iterdir()) == [f"{STEM}.docx", f"{STEM}.pdf"]
    assert path.exists()  # a named file is the person's: never moved


def test_again_answers_the_same_letter_a_second_time_on_a_clerks_word(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    path = letter_file(tmp_path, kind="public_institution", people=[("李娜", LI)])
    outbox = tmp_path / "outbox"
    first = process_file(path, sqlite_office, sqlite_db, outbox=outbox, now=NOW)
    with pytest.raises(NotAllowed):  # a reviewer alone is not a clerk
        process_file(path, sqlite_office, sqlite_db, now=NOW, again=AnswerAgain(account("周复核"), "未收到"))
    with pytest.raises(InvalidRequest):  # a reason is part of the decision
        process_file(path, sqlite_office, sqlite_db, now=NOW, again=AnswerAgain(account("王芳"), "  "))
    decision = AnswerAgain(account("王芳"), "来函单位称原复函未收到")
    second = process_file(path, sqlite_office, sqlite_db, outbox=outbox, now=NOW, again=decision)
    assert (first.reply_doc_number, second.reply_doc_number) == ("陕信用函〔2026〕1号", "陕信用函〔2026〕2号")
    with sqlite_db.sessions() as session:
        from pipeline.storage import audit

        (event,) = [e for e in audit.events_for(session, second.case_id) if e.to_state == "received"]
    assert event.actor == "王芳（wangfang）"
    assert (
        event.reason
        == "再次答复：来函单位称原复函未收到（与第1号案件内容相同，王芳（wangfang）决定再次答复）"
    )
    assert second.outputs["docx"].name == f"{STEM}(2).docx"
    assert second.outputs["json"].name == f"{STEM}_结果(2).json"
    assert json.loads(first.outputs["json"].read_text(encoding="utf-8"))["reply_doc_number"].endswith("1号")
    assert not [p for p in outbox.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_render_failure_leaves_a_gap_never_a_reused_number(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    path = letter_file(tmp_path, kind="public_institution", people=[("李娜", LI)])
    import pipeline.reply

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline.reply, "render_reply", boom)
    failed = process_file(path, sqlite_office, sqlite_db, outbox=tmp_path / "out", now=NOW)
    assert (
        failed.state == CaseState.FAILED and failed.exit_code == 1 and cases(sqlite_db)[0].state == "failed"
    )
    monkeypatch.undo()
    again = process_file(path, sqlite_office, sqlite_db, outbox=tmp_path / "out", now=NOW)
    assert again.reply_doc_number == "陕信用函〔2026〕2号"
    with sqlite_db.sessions() as session:
        assert allocated_numbers(session, "陕信用函", 2026) == ["陕信用函〔2026〕1号", "陕信用函〔2026〕2号"]


def test_a_broken_template_uses_no_number(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    broken = dataclasses.replace(sqlite_office, templates=tmp_path / "no-templates")
    path = letter_file(tmp_path, kind="public_institution", people=[("李娜", LI)])
    with pytest.raises(
        LettersError
    ) as raised:  # refused before the letter is taken, as the watcher refuses to start
        process_file(path, broken, sqlite_db, now=NOW)
    assert raised.value.exit_code == ExitCode.CONFIG == 6 and cases(sqlite_db) == []
    with sqlite_db.sessions() as session:
        assert allocated_numbers(session, "陕信用函", 2026) == []


def test_handle_letter_leaves_the_outbox_to_the_case_core(
    sqlite_db: Database, sqlite_office: Settings, tmp_path: Path
) -> None:
    load_list(sqlite_db, sqlite_office, [["某人", ZHAO, "", "", "", "2020-01-02", ""]])
    path = letter_file(tmp_path, kind="public_institution", people=[("李娜", LI)])
    work = tmp_path / "staging"
    work.mkdir()
    result = handle_letter(path, sqlite_office, sqlite_db.sessions, work, case_id=None, now=NOW)
    assert result.state == CaseState.REPLIED
    assert sorted(p.name for p in work.iterdir()) == [f"{STEM}.docx", f"{STEM}.pdf", f"{STEM}_结果.json"]
    assert not (tmp_path / "outbox").exists() and cases(sqlite_db) == []


def test_issue_date_is_a_working_day(sqlite_office: Settings) -> None:
    assert issue_date(sqlite_office, dt.date(2026, 6, 4)) == dt.date(2026, 6, 4)
    assert issue_date(sqlite_office, dt.date(2026, 6, 6)) == dt.date(2026, 6, 8)  # Saturday -> Monday
    national_day = issue_date(sqlite_office, dt.date(2026, 10, 1))
    assert national_day > dt.date(2026, 10, 1) and chinese_calendar.is_workday(national_day)
    assert not any(chinese_calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, national_day.day))


def test_file_names_are_safe_on_windows_shares() -> None:
    assert sanitise('a/b\\c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert sanitise("CON") == "_CON" and sanitise("单位. ") == "单位"
    letter = Letter(unit="西安市/雁塔区:人社局", doc_number=None, date=None)
    assert reply_stem(letter, dt.date(2026, 6, 8)) == "2026-06-08_西安市_雁塔区_人社局_无文号_复函"
    assert len(reply_stem(Letter(unit="长" * 300), dt.date(2026, 6, 8))) <= 120


def test_publish_never_overwrites(tmp_path: Path) -> None:
    from pipeline.cases import publisher

    staging = tmp_path / "staging"
    (staging / "docx").mkdir(parents=True)
    (staging / "docx" / "复函.docx").write_bytes(b"new")
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "复函.docx").write_bytes(b"old")
    recorded = []
    name = publisher.publish(staging, {"docx": (outbox, 0o600)}, {}, recorded.append)["docx"]
    assert name == "复函(2).docx" and recorded == [{"docx": name}]
    assert (outbox / name).read_bytes() == b"new" and mode(outbox / name) == 0o600
    assert (outbox / "复函.docx").read_bytes() == b"old"
    assert sorted(p.name for p in outbox.iterdir()) == ["复函(2).docx", "复函.docx"]


def test_cli_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    monkeypatch.setenv("LETTERS_TEMPLATES", str(REPO / "letter_templates"))
    for key in ("LETTERS_CONFIG", "LETTERS_DATABASE_URL", "LETTERS_BASE_DIR"):
        monkeypatch.delenv(key, raising=False)
    path = letter_file(tmp_path)
    assert main(["process", str(path), "--outbox", str(tmp_path / "out")]) == 10
    out = capsys.readouterr().out
    assert "需人工复核" in out and "失信名单未导入或已过期" in out
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    assert main(["process", str(empty)]) == 3
    assert "文件为空" in capsys.readouterr().err
    assert (tmp_path / "data" / "letters.db").exists() and mode(tmp_path / "data" / "letters.db") == 0o600
    # Regression: `letters process` cases had no tracking row, no archive copy and no audit events.
    assert main(["process", str(path)]) == 11 and "此前已办理" in capsys.readouterr().out
    assert main(["process", str(path), "--again"]) == 2  # a second answer needs a signed-in clerk
    assert "--again --reason 原因 --user 用户名" in capsys.readouterr().err
    assert main(["audit", "verify"]) == 0
    archived = sorted((tmp_path / "archive").rglob("*-letter.docx"))
    assert [p.read_bytes() for p in archived] == [path.read_bytes()] and path.exists()
    assert main(["cases"]) == 0
    listed = capsys.readouterr().out
    assert "待人工复核" in listed and "处理失败" in listed and "重复" in listed


def test_identical_duplicate_rows_are_answered_row_by_row(
    db: Database, office: Settings, tmp_path: Path
) -> None:
    """Regression: the same row printed twice blocked the letter; now it is a note and both rows are answered."""
    load_list(db, office, [["王伟", WANG, "失信被执行人", "法院", "(2020)陕01执1号", "2020-01-02", ""]])
    people = [("王伟", WANG), ("李娜", LI), ("王伟", WANG)]
    path = letter_file(tmp_path, kind="public_institution", people=people)
    result = process_file(path, office, db, outbox=tmp_path / "outbox", now=NOW)
    assert result.state == CaseState.REPLIED, result.reasons
    table = docx.Document(str(result.outputs["docx"])).tables[-1]
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[1] for r in rows] == ["王伟", "李娜", "王伟"]
    letter = json.loads(result.outputs["json"].read_text(encoding="utf-8"))["letter"]
    assert any("重复行" in n for n in letter["notes"]) and letter["problems"] == []


def test_a_reply_that_fails_its_content_check_uses_no_number(
    db: Database, office: Settings, tmp_path: Path
) -> None:
    """Regression: two people with one ID were caught only when the reply was rendered, burning a 文号."""
    from pipeline.domain.letter import Kind, Person
    from pipeline.domain.result import CheckOutcome, PersonResult, Verdict
    from pipeline.reply import ReplyContentError

    letter = Letter(
        kind=Kind.PUBLIC_INSTITUTION,
        unit="陕西省人力资源和社会保障厅",
        date=dt.date(2026, 6, 1),
        people=[Person("王伟", WANG), Person("王卫", WANG)],
    )
    outcome = CheckOutcome(
        checked_at=NOW,
        results=[
            PersonResult(1, "王伟", WANG, Verdict.CLEAR, []),
            PersonResult(2, "王卫", WANG, Verdict.CLEAR, []),
        ],
        snapshots=[],
        problems=[],
    )
    with pytest.raises(ReplyContentError):
        stage_reply(letter, outcome, office, db.sessions, tmp_path, case_id=None, now=NOW)
    with db.sessions() as session:
        assert allocated_numbers(session, "陕信用函", 2026) == []


def test_reply_file_mode_is_a_setting_and_the_result_json_stays_private(
    db: Database, office: Settings, tmp_path: Path
) -> None:
    """Staff collect replies under their own accounts: the replies' mode is set; the JSON stays 0600."""
    load_list(db, office, [["王伟", WANG, "失信被执行人", "法院", "(2020)陕01执1号", "2020-01-02", ""]])
    shared = dataclasses.replace(office, reply_file_mode="0640")
    result = process_file(letter_file(tmp_path, kind="public_institution"), shared, db, now=NOW)
    assert mode(result.outputs["docx"]) == mode(result.outputs["pdf"]) == 0o640
    assert mode(result.outputs["json"]) == 0o600
    assert result.outputs["docx"].parent == shared.path(shared.outbox)
    from pipeline.errors import ConfigError
    from pipeline.settings import load_settings

    for bad in ("0248", "0040", "rw-r-----"):
        with pytest.raises(ConfigError):
            load_settings(env={}, base_dir=tmp_path, config=tmp_path / "none.toml", reply_file_mode=bad)


def test_masthead_setting_prints_the_office_or_its_masthead_name(
    db: Database, office: Settings, tmp_path: Path
) -> None:
    load_list(db, office, [["王伟", WANG, "失信被执行人", "法院", "(2020)陕01执1号", "2020-01-02", ""]])
    red = dataclasses.replace(office, masthead=True)
    result = process_file(letter_file(tmp_path, kind="public_institution"), red, db, now=NOW)
    assert docx.Document(str(result.outputs["docx"])).paragraphs[0].text == office.office_name
    named = dataclasses.replace(office, masthead=True, masthead_name="陕西省信用办")
    again = process_file(
        letter_file(tmp_path, "b.docx", kind="public_institution", doc_number="陕人社函〔2021〕89号"),
        named,
        db,
        now=NOW,
    )
    assert docx.Document(str(again.outputs["docx"])).paragraphs[0].text == "陕西省信用办"
