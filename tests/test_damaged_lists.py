"""Damaged list exports never turn a listed person "clear" (issue: urgent list findings).

A stray quote that makes the CSV parser swallow hundreds of rows, or an export
cut off early, once replaced the list in force with a smaller one; a listed
person from the lost rows was then answered 不属于失信联合惩戒对象. Such a
snapshot is now held until an administrator confirms it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.checking import check_people
from pipeline.domain.letter import Kind, Letter, Person
from pipeline.domain.result import Verdict
from pipeline.inbox.files import StabilityTracker
from pipeline.inbox.lists import import_waiting_lists
from pipeline.records import Confirmation, ListFileError, import_list, list_status
from pipeline.records.guard import ParseFigures, hold_reasons
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.models import Snapshot
from tests.review_office import _Passwords, account, add_people, as_user
from tests.service_letters import person
from tests.test_records import HEADER, parsing  # noqa: F401  (fixture)

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 0)
ROWS = 5016
STRAY_AT = 4401  # physical line of the row with the stray quote (header is line 1)


def people(n: int = ROWS) -> list[tuple[str, str]]:
    return [person(seed) for seed in range(n)]


def list_lines(roster: list[tuple[str, str]]) -> list[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for i, (name, ident) in enumerate(roster):
        writer.writerow(
            [name, ident, "失信被执行人", "西安市中级人民法院", f"(2020)陕01执{i}号", "2020-01-02", ""]
        )
    return buffer.getvalue().splitlines(keepends=True)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def with_stray_quote(lines: list[str], line: int, column: int) -> list[str]:
    """One `"` opening field `column` of physical line `line`, never closed: the rest is one field."""
    damaged = list(lines)
    cells = damaged[line - 1].rstrip("\n").split(",")
    cells[column] = '"' + cells[column]
    damaged[line - 1] = ",".join(cells) + "\n"
    return damaged


def verdict_of(db: Database, settings: Settings, who: tuple[str, str]) -> Verdict:
    letter = Letter(kind=Kind.PUBLIC_INSTITUTION, people=[Person(*who)])
    with db.sessions() as session:
        return check_people(session, letter, settings, NOW + dt.timedelta(hours=1)).results[0].verdict


def current_snapshot(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(Snapshot.id).where(Snapshot.is_current))


def audit_reasons(db: Database) -> list[tuple[str, str]]:
    with db.sessions() as session:
        return [(e.actor, e.reason) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


@pytest.fixture
def in_force(db: Database, settings: Settings, tmp_path: Path) -> int:
    """The full 5,016-row list in force."""
    result = import_list(
        db.sessions, write(tmp_path / "full.csv", list_lines(people())), settings, list_name="L", now=NOW
    )
    assert result.in_force and result.rows_imported == ROWS
    return result.snapshot_id


@pytest.mark.slow
@pytest.mark.usefixtures("parsing")
@pytest.mark.parametrize("column", [1, 4], ids=["quote-in-id", "quote-in-last-text-column"])
def test_stray_quote_in_list_export_keeps_old_snapshot_and_listed_person(
    db: Database, settings: Settings, tmp_path: Path, in_force: int, column: int
) -> None:
    damaged = write(tmp_path / "damaged.csv", with_stray_quote(list_lines(people()), STRAY_AT, column))
    result = import_list(db.sessions, damaged, settings, list_name="L", now=NOW + dt.timedelta(minutes=5))
    assert result.held and not result.in_force
    assert any("引号未成对" in reason for reason in result.held)
    assert current_snapshot(db) == in_force
    lost = people()[STRAY_AT + 100]  # a row the quote swallowed
    assert verdict_of(db, settings, lost) is Verdict.LISTED
    # The report names the merged lines; the swallowed record itself is never imported.
    assert result.rejected_report is not None
    report = list(csv.reader(io.StringIO(result.rejected_report.read_text(encoding="utf-8-sig"))))
    merged = [row for row in report[1:] if row[0] == str(STRAY_AT)]
    assert merged and f"第{STRAY_AT}至{ROWS + 1}行" in merged[0][1]
    assert result.rows_imported == STRAY_AT - 2


def test_stray_quote_on_first_import_is_held_too(db: Database, settings: Settings, tmp_path: Path) -> None:
    damaged = write(tmp_path / "damaged.csv", with_stray_quote(list_lines(people(300)), 120, 1))
    result = import_list(db.sessions, damaged, settings, list_name="L", now=NOW)
    assert result.held
    assert current_snapshot(db) is None
    assert verdict_of(db, settings, people(300)[5]) is Verdict.CLEAR  # nothing in force …
    with db.sessions() as session:  # … and the check says the list is missing, so no "clear" reply goes out
        letter = Letter(kind=Kind.PUBLIC_INSTITUTION, people=[Person(*people(300)[5])])
        assert check_people(session, letter, settings, NOW).problems


@pytest.mark.slow
@pytest.mark.usefixtures("parsing")
def test_truncated_list_export_keeps_old_snapshot(
    db: Database, settings: Settings, tmp_path: Path, in_force: int
) -> None:
    cut = write(tmp_path / "cut.csv", list_lines(people())[:151])
    result = import_list(db.sessions, cut, settings, list_name="L", now=NOW + dt.timedelta(minutes=5))
    assert result.held and result.rows_imported == 150
    assert any("减少4866条" in reason for reason in result.held)
    assert current_snapshot(db) == in_force
    assert verdict_of(db, settings, people()[3000]) is Verdict.LISTED
    with db.sessions() as session:
        (status,) = list_status(session, settings.freshness_days, NOW)
    assert status.rows == ROWS and status.held_rows == 150
    assert "待管理员确认" in status.line_zh(NOW)


def test_held_snapshot_is_put_in_force_only_by_an_administrators_confirmation(
    db: Database, settings: Settings, tmp_path: Path, in_force: int
) -> None:
    cut = write(tmp_path / "cut.csv", list_lines(people())[:151])
    held = import_list(db.sessions, cut, settings, list_name="L", now=NOW)
    again = import_list(db.sessions, cut, settings, list_name="L", now=NOW)  # no confirmation: still held
    assert again.held and again.unchanged and again.snapshot_id == held.snapshot_id
    assert current_snapshot(db) == in_force
    done = import_list(
        db.sessions,
        cut,
        settings,
        now=NOW,
        confirm=Confirmation(account("管理员甲"), "法院撤销了大批记录，已电话核实"),
    )
    assert done.confirmed and done.in_force and done.snapshot_id == held.snapshot_id
    assert current_snapshot(db) == held.snapshot_id
    assert verdict_of(db, settings, people()[3000]) is Verdict.CLEAR
    actors_reasons = audit_reasons(db)
    assert any(a == "管理员甲（admin）" and "已电话核实" in r and "暂缓原因" in r for a, r in actors_reasons)
    assert any("暂缓待管理员确认" in r for _, r in actors_reasons)


def test_newer_held_snapshot_replaces_an_older_held_one(
    db: Database, settings: Settings, tmp_path: Path, in_force: int
) -> None:
    first = import_list(
        db.sessions, write(tmp_path / "a.csv", list_lines(people())[:151]), settings, list_name="L"
    )
    second = import_list(
        db.sessions, write(tmp_path / "b.csv", list_lines(people())[:201]), settings, list_name="L"
    )
    assert first.held and second.held
    with db.sessions() as session:
        waiting = session.scalars(select(Snapshot.id).where(Snapshot.staged_reason.is_not(None))).all()
    assert waiting == [second.snapshot_id]


def test_a_small_explained_change_goes_in_force(
    db: Database, settings: Settings, tmp_path: Path, in_force: int
) -> None:
    lines = list_lines(people())
    lines[10] = lines[10].replace(people()[9][1], "12345")  # one row now rejected, one fewer record
    result = import_list(db.sessions, write(tmp_path / "b.csv", lines), settings, list_name="L")
    assert result.in_force and result.rows_rejected == 1


def test_unexplained_loss_rule_can_be_turned_off(
    db: Database, settings: Settings, tmp_path: Path, in_force: int
) -> None:
    fewer = write(tmp_path / "b.csv", list_lines(people())[:-3])  # three people left the list
    assert import_list(db.sessions, fewer, settings, list_name="L").held
    relaxed = Settings(**{**settings.__dict__, "list_unexplained_loss": False})
    four_fewer = write(tmp_path / "c.csv", list_lines(people())[:-4])
    assert import_list(db.sessions, four_fewer, relaxed, list_name="L").in_force


def test_a_multi_line_address_is_not_a_swallowed_row(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = list_lines(people(20))
    cells = lines[5].rstrip("\n").split(",")
    cells[3] = '"西安市\n中级人民法院"'
    lines[5] = ",".join(cells) + "\n"
    result = import_list(db.sessions, write(tmp_path / "a.csv", lines), settings, list_name="L")
    assert result.in_force and result.rows_imported == 20


def test_guard_holds_when_the_parse_does_not_reach_the_last_line() -> None:
    figures = ParseFigures(
        previous=None, imported=10, rejected=0, merged_lines=0, lines_in_file=20, lines_read=11
    )
    (reason,) = hold_reasons(figures, shrink_share=0.05, unexplained_loss=True)
    assert "有9行未被读取" in reason
    fine = ParseFigures(
        previous=100, imported=101, rejected=0, merged_lines=0, lines_in_file=102, lines_read=102
    )
    assert hold_reasons(fine, shrink_share=0.05, unexplained_loss=True) == []


def test_reject_report_neutralises_formula_cells(db: Database, settings: Settings, tmp_path: Path) -> None:
    lines = list_lines(people(10))
    hostile = [
        '=HYPERLINK("http://x.invalid","点此")',
        "+cmd|'/C calc'!A0",
        "@SUM(A1)",
        "-1+2",
        "",
        "2020-01-02",
        "",
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(hostile)
    lines.append(buffer.getvalue())
    result = import_list(db.sessions, write(tmp_path / "a.csv", lines), settings, list_name="L")
    assert result.rejected_report is not None
    (row,) = list(csv.reader(io.StringIO(result.rejected_report.read_text(encoding="utf-8-sig"))))[1:]
    assert row[2:6] == ['\'=HYPERLINK("http://x.invalid","点此")', "'+cmd|'/C calc'!A0", "'@SUM(A1)", "'-1+2"]


@pytest.mark.parametrize(
    "content",
    [b"\x8f\x12\x00\xff" * 5000, b"PK\x03\x04" + b"\x00garbage" * 500],
    ids=["random-bytes", "broken-zip"],
)
def test_random_bytes_xlsx_is_refused_with_a_reason(
    db: Database, settings: Settings, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_bytes(content)
    with pytest.raises(ListFileError) as caught:
        import_list(db.sessions, path, settings)
    assert caught.value.exit_code == 7
    assert "Excel" in caught.value.message_zh


def test_random_bytes_xlsx_in_drop_folder_is_moved_not_retried(db: Database, settings: Settings) -> None:
    folder = settings.path(settings.lists_dir)
    folder.mkdir(parents=True)
    (folder / "失信被执行人_20261128.xlsx").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 500)
    tracker = StabilityTracker(0)
    assert import_waiting_lists(settings, db, tracker) == []
    assert not (folder / "失信被执行人_20261128.xlsx").exists()
    (note,) = (folder / "导入失败").glob("*.原因.txt")
    assert "不是有效的 Excel" in note.read_text(encoding="utf-8")


def test_held_list_in_drop_folder_goes_to_failed_with_its_reason(
    db: Database, settings: Settings, in_force: int
) -> None:
    folder = settings.path(settings.lists_dir)
    folder.mkdir(parents=True)
    write(folder / "L_20261201.csv", list_lines(people())[:151])
    assert import_waiting_lists(settings, db, StabilityTracker(0)) == []
    (parked,) = [p for p in (folder / "导入失败").iterdir() if p.suffix == ".csv"]
    note = parked.with_name(parked.name + ".原因.txt").read_text(encoding="utf-8")
    assert "未启用" in note and "减少4866条" in note and "--confirm-shrink" in note
    assert current_snapshot(db) == in_force
    # The parked file confirms by its bytes, whatever it is called now.
    done = import_list(db.sessions, parked, settings, confirm=Confirmation(account("管理员甲"), "核实无误"))
    assert done.confirmed and done.list_name == "L"


def test_records_import_cli_exits_8_when_held_and_confirms_with_reason(
    cli_folder: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (in part): `--confirm-shrink --by 张` put a shrunk list in force on any typed
    name; the confirmation now signs in, and the core requires the administrator's role."""
    tmp_path = cli_folder
    from pipeline.cases.context import open_context
    from pipeline.cli import main

    full = write(tmp_path / "L.csv", list_lines(people(400)))
    assert main(["records", "import", str(full), "--quiet"]) == 0
    ctx = open_context()
    add_people(ctx)
    ctx.close()
    monkeypatch.setattr("sys.stdin", _Passwords())
    cut = write(tmp_path / "L_cut.csv", list_lines(people(400))[:101])
    capsys.readouterr()
    assert main(["records", "import", str(cut), "--list", "L", "--quiet"]) == 8
    captured = capsys.readouterr()
    assert "未启用，原名单继续有效" in captured.out and "减少300条" in captured.out
    assert "--confirm-shrink" in captured.err
    assert main(["records", "import", str(cut), "--list", "L", "--quiet", "--confirm-shrink"]) == 2
    assert "--reason" in capsys.readouterr().err
    confirm = ["records", "import", str(cut), "--quiet", "--confirm-shrink", "--reason", "核实"]
    assert main(confirm) == 2 and "管理员账号登录" in capsys.readouterr().err
    assert main([*confirm, *as_user("王芳")]) == 12  # a clerk: the lists are the administrator's
    assert "该操作需要“管理员”角色" in capsys.readouterr().err
    assert main(["records", "status"]) == 0 and "L：400条" in capsys.readouterr().out
    assert main([*confirm, *as_user("管理员甲")]) == 0
    assert "已按确认启用" in capsys.readouterr().out
    assert main(["records", "status"]) == 0
    assert "L：100条" in capsys.readouterr().out


@pytest.mark.slow
def test_watch_keeps_old_list_when_a_cut_export_is_dropped_and_answers_listed(tmp_path: Path) -> None:
    """Through `letters watch`: a cut export in lists/ is held; a person from its lost rows is still listed."""

    from pipeline.inbox.run import Service
    from pipeline.settings import load_settings
    from pipeline.storage.models import Case
    from tests.builders.spec import LetterSpec
    from tests.service_helpers import wait_for
    from tests.service_letters import ROOT, write_letter

    settings = load_settings(
        env={},
        config=tmp_path / "none.toml",
        base_dir=tmp_path,
        stable_seconds=0.2,
        poll_seconds=0.2,
        templates=ROOT / "letter_templates",
    )
    svc = Service(settings)
    roster = people(600)
    import_list(
        svc.db.sessions, write(tmp_path / "full.csv", list_lines(roster)), settings, list_name="失信被执行人"
    )
    svc.start()
    try:
        lists = settings.path(settings.lists_dir)
        write(lists / "失信被执行人_20261201.csv", list_lines(roster)[:51])
        wait_for(lambda: list((lists / "导入失败").glob("*.原因.txt")), timeout=30, what="cut list held")
        lost = roster[300]
        spec = LetterSpec(kind="public_institution", doc_number="陕人社函〔2026〕9号", people=[lost])  # type: ignore[arg-type]
        write_letter(settings.path(settings.inbox) / "来函.docx", spec)

        def final() -> Case | None:
            with svc.db.sessions() as s:
                case = s.scalars(select(Case)).first()
            return case if case is not None and case.state not in ("received", "processing") else None

        case = wait_for(final, timeout=60, what="letter decided")
        (result,) = case.check_json["results"]
        assert result["verdict"] == "listed"
        assert case.check_json["snapshots"][0]["row_count"] == 600
        assert case.state == "replied"
        (pdf,) = settings.path(settings.outbox).glob("*.pdf")
        import pdfplumber

        with pdfplumber.open(pdf) as doc:
            text = "".join(page.extract_text() or "" for page in doc.pages)
        assert "属于失信联合惩戒对象" in text and "不属于" not in text
    finally:
        svc.stop()
