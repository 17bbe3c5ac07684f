"""Importing credit-record lists: encodings, formats, rejected rows, snapshots."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from pipeline.records import ListFileError, default_list_name, import_list, list_status
from pipeline.records import parsing as parsing_module
from pipeline.records.columns import match_header
from pipeline.records.progress import ProgressBar
from pipeline.records.rows import Rejected, RowParser, parse_date, parse_id
from pipeline.records.store import RecordStores, StoredRecord
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.models import CreditList, Snapshot
from tests.builders.spec import bad_check_digit, make_id

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 0)
HEADER = ["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"]
WANG = make_id("610102", "19900101", "123")
LI = make_id("610113", "19951231", "246")
ZHANG = make_id("610402", "19880808", "135")
ZHAO = make_id("610402", "19760724", "307")


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def row(name: str, ident: str, listed: str = "2020-01-02", removed: str = "", category: str = "失信被执行人"):
    return [name, ident, category, "西安市中级人民法院", "(2020)陕01执1号", listed, removed]


def helpers() -> list[int]:
    """Parsing helper processes still running under this one."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{os.getpid()}\n" in text and b"pipeline.records.helper" in cmdline:
            found.append(int(status.parent.name))
    return found


@pytest.fixture(params=["in-process", "helper-process"])
def parsing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs a test both ways: small files parse in-process, large ones in a helper process."""
    if request.param == "helper-process":
        monkeypatch.setattr(parsing_module, "PARALLEL_MIN_BYTES", 0)
    yield request.param
    assert not helpers()  # the helper never outlives its import


def records(db: Database) -> list[StoredRecord]:
    """The records of the snapshots in force, read back from their stores."""
    with db.sessions() as session:
        stores = RecordStores(db.engine)
        found = []
        for snapshot in session.scalars(select(Snapshot).where(Snapshot.is_current).order_by(Snapshot.id)):
            found.extend(stores.scan(session, snapshot.id))
        return sorted(found, key=lambda r: r.line)


def stored(db: Database) -> int:
    """Records in every store that still exists, whatever its snapshot."""
    with db.sessions() as session:
        stores = RecordStores(db.engine)
        return sum(stores.count(session, i) for i in session.scalars(select(Snapshot.id)))


def test_import_utf8_csv(db: Database, settings: Settings, tmp_path: Path, parsing: str) -> None:
    path = write_csv(
        tmp_path / "失信被执行人.csv", [row("王伟", WANG), row("李娜", LI, removed="2024-05-01")]
    )
    result = import_list(db.sessions, path, settings, now=NOW)
    assert (result.list_name, result.rows_total, result.rows_imported, result.rows_rejected) == (
        "失信被执行人",
        2,
        2,
        0,
    )
    got = records(db)
    assert [(r.line, r.name, r.id_number, r.masked) for r in got] == [
        (2, "王伟", WANG, False),
        (3, "李娜", LI, False),
    ]
    assert got[0].category == "失信被执行人" and got[0].authority == "西安市中级人民法院"
    assert got[0].doc_ref == "(2020)陕01执1号"
    assert got[0].listed_on == dt.date(2020, 1, 2) and got[0].removed_on is None
    assert got[1].removed_on == dt.date(2024, 5, 1)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_import_bom_and_gbk_csv(
    db: Database, settings: Settings, tmp_path: Path, parsing: str, encoding: str
) -> None:
    path = write_csv(tmp_path / "list.csv", [row("阿卜杜拉·麦麦提", WANG), row("李娜", LI)], encoding)
    result = import_list(db.sessions, path, settings, list_name="名单", now=NOW)
    assert result.rows_imported == 2
    assert [r.name for r in records(db)] == ["阿卜杜拉·麦麦提", "李娜"]


def test_import_xlsx_with_title_rows_and_synonyms(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["陕西省失信被执行人名单（2026年6月）"])
    sheet.append([])
    sheet.append(
        ["序号", " 被执行人姓名 ", "证件号码", "失信类别", "执行法院", "案号", "发布时间", "撤销日期"]
    )
    sheet.append(
        [
            1,
            "王伟",
            WANG,
            "失信被执行人",
            "西安市中级人民法院",
            "(2020)陕01执1号",
            dt.datetime(2020, 3, 4),
            None,
        ]
    )
    sheet.append([2, "李娜", LI, None, None, None, "2019年5月6日", "2021/7/8"])
    sheet.append([3, "赵强", 610402197607243070, None, None, None, None, None])  # a number: precision lost
    path = tmp_path / "court.xlsx"
    book.save(path)
    result = import_list(db.sessions, path, settings, now=NOW)
    assert (result.rows_total, result.rows_imported, result.rows_rejected) == (3, 2, 1)
    got = records(db)
    assert [(r.line, r.name, r.listed_on, r.removed_on) for r in got] == [
        (4, "王伟", dt.date(2020, 3, 4), None),
        (5, "李娜", dt.date(2019, 5, 6), dt.date(2021, 7, 8)),
    ]


def test_header_is_found_despite_full_width_and_spaces() -> None:
    assert match_header(["序号", "姓　名", "身份证号码＊", "列入 日期"]) == {
        "name": 1,
        "id_number": 2,
        "listed_on": 3,
    }
    assert match_header(["姓名", "备注"]) is None


def test_broken_rows_are_reported_with_line_numbers(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            row("王伟", WANG),
            row("", LI),  # line 3: no name
            row("张三", bad_check_digit(ZHAO)),  # line 4
            row("李四", "61010219900230123X"),  # line 5: 30 February
            row("钱五", "12345"),  # line 6
            ["", "", "", "", "", "", ""],  # line 7: blank, not data
            row("孙六", LI, listed="去年"),  # line 8
            row("周七", LI, listed="2020-05-01", removed="2019-01-01"),  # line 9
            row("吴八", ""),  # line 10
        ],
    )
    result = import_list(db.sessions, path, settings, now=NOW)
    assert (result.rows_total, result.rows_imported, result.rows_rejected) == (8, 1, 7)
    report = result.rejected_report
    assert report is not None and report.parent == settings.path(settings.data_dir) / "imports"
    assert report.name.endswith("-list.rejected.csv")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0][:3] == ["行号", "原因", "姓名"]
    assert [(int(r[0]), r[1]) for r in lines[1:]] == [
        (3, "缺少姓名"),
        (4, "身份证号码校验位错误"),
        (5, "身份证号码中的出生日期不存在"),
        (6, "身份证号码位数不正确"),
        (8, "列入日期无法识别"),
        (9, "移出日期早于列入日期"),
        (10, "缺少身份证号码"),
    ]
    assert result.log_file is not None and stat.S_IMODE(result.log_file.stat().st_mode) == 0o600
    assert WANG not in result.log_file.read_text(encoding="utf-8")


def test_multi_line_cells_keep_true_line_numbers(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    path = write_csv(tmp_path / "list.csv", [row("王伟", WANG, category="失信\n被执行人"), row("", LI)])
    result = import_list(db.sessions, path, settings, now=NOW)
    assert result.rejected_report is not None
    lines = list(csv.reader(io.StringIO(result.rejected_report.read_text(encoding="utf-8-sig"))))
    assert lines[1][0] == "4"


def test_masked_ids_are_kept_masked(db: Database, settings: Settings, tmp_path: Path, parsing: str) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            row("段琳艳", "6101021958****018X"),
            row("陈媛", "610402＊＊＊＊＊＊＊＊3890"),
            row("坏", "61010219**"),
        ],
    )
    result = import_list(db.sessions, path, settings, now=NOW)
    assert (result.rows_imported, result.rows_masked, result.rows_rejected) == (2, 2, 1)
    assert [(r.id_number, r.masked) for r in records(db)] == [
        ("6101021958****018X", True),
        ("610402********3890", True),
    ]


def test_ids_are_normalised_like_extraction() -> None:
    full_width = " " + "".join(chr(ord(c) + 0xFEE0) for c in WANG) + "　"
    assert parse_id(full_width) == (WANG, False)
    spaced = f"{WANG[:6]} {WANG[6:14]} {WANG[14:]}"
    assert parse_id(spaced) == (WANG, False)
    x_id = make_id("610102", "19580101", "018")
    assert parse_id(x_id.lower()) == (x_id, False)
    with pytest.raises(Rejected, match="校验位"):
        parse_id(bad_check_digit(WANG))


def test_old_15_digit_ids_are_upgraded() -> None:
    number, masked = parse_id("610102900101123")
    assert len(number) == 18 and number.startswith("61010219900101123") and not masked


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-01-02", "2020-01-02"),
        ("2020/1/2", "2020-01-02"),
        ("2020.01.02", "2020-01-02"),
        ("2020年1月2日", "2020-01-02"),
        ("20200102", "2020-01-02"),
        ("2020-01-02 00:00:00", "2020-01-02"),
        ("", None),
        ("—", None),
    ],
)
def test_dates(text: str, iso: str | None) -> None:
    assert parse_date(text, "x") == iso


def test_row_parser_tolerates_short_rows_and_missing_columns() -> None:
    parse = RowParser({"name": 0, "id_number": 1})
    assert parse(["王伟", WANG]) == ("王伟", "王伟", WANG, False, None, None, None, None, None)
    parse = RowParser({"name": 0, "id_number": 1, "removed_on": 3})
    assert parse(["王 伟", WANG])[:3] == ("王伟", "王伟", WANG)


def test_reimporting_the_same_file_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    path = write_csv(tmp_path / "list.csv", [row("王伟", WANG)])
    first = import_list(db.sessions, path, settings, now=NOW)
    again = import_list(db.sessions, path, settings, now=NOW + dt.timedelta(days=1))
    assert again.unchanged and again.snapshot_id == first.snapshot_id
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1
        assert session.scalar(select(Snapshot.imported_at)) == NOW


def test_a_new_import_replaces_the_old_snapshot(db: Database, settings: Settings, tmp_path: Path) -> None:
    import_list(
        db.sessions, write_csv(tmp_path / "a.csv", [row("王伟", WANG)]), settings, list_name="L", now=NOW
    )
    second = import_list(
        db.sessions, write_csv(tmp_path / "b.csv", [row("李娜", LI)]), settings, list_name="L", now=NOW
    )
    assert [r.name for r in records(db)] == ["李娜"]
    with db.sessions() as session:
        snaps = session.execute(select(Snapshot.id, Snapshot.is_current).order_by(Snapshot.id)).all()
        assert [tuple(s) for s in snaps] == [(second.snapshot_id - 1, False), (second.snapshot_id, True)]
    # The replaced store stays one import longer: a check that began before the switch reads it.
    assert stored(db) == 2
    import_list(
        db.sessions, write_csv(tmp_path / "c.csv", [row("张伟", ZHANG)]), settings, list_name="L", now=NOW
    )
    assert [r.name for r in records(db)] == ["张伟"]
    assert stored(db) == 2  # the first store went with the third import


def test_lists_are_independent(db: Database, settings: Settings, tmp_path: Path) -> None:
    import_list(
        db.sessions, write_csv(tmp_path / "a.csv", [row("王伟", WANG)]), settings, list_name="A", now=NOW
    )
    import_list(
        db.sessions, write_csv(tmp_path / "b.csv", [row("李娜", LI)]), settings, list_name="B", now=NOW
    )
    assert sorted(r.name for r in records(db)) == ["李娜", "王伟"]


@pytest.mark.slow
def test_a_failing_import_leaves_the_old_snapshot(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    good = write_csv(tmp_path / "good.csv", [row("王伟", WANG)])
    import_list(db.sessions, good, settings, list_name="L", now=NOW)
    broken = tmp_path / "broken.csv"
    # valid rows first (inserted in batches), then bytes that are neither UTF-8 nor GB18030
    broken.write_bytes(("\n".join(",".join(row("李娜", LI)) for _ in range(30_000)) + "\n").encode("gbk"))
    broken.write_bytes(",".join(HEADER).encode("gbk") + b"\n" + broken.read_bytes() + b"\x81\x20,\n")
    with pytest.raises(ListFileError) as info:
        import_list(db.sessions, broken, settings, list_name="L", now=NOW)
    assert "无法识别的字符" in info.value.message_zh
    assert [r.name for r in records(db)] == ["王伟"]
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1
        assert stored(db) == 1
    assert not list((settings.path(settings.data_dir) / "imports").glob("*broken*"))


def test_a_file_without_valid_rows_is_refused(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    import_list(
        db.sessions, write_csv(tmp_path / "a.csv", [row("王伟", WANG)]), settings, list_name="L", now=NOW
    )
    with pytest.raises(ListFileError, match="no valid rows"):
        import_list(
            db.sessions, write_csv(tmp_path / "b.csv", [row("", LI)]), settings, list_name="L", now=NOW
        )
    assert [r.name for r in records(db)] == ["王伟"]


def test_a_file_without_header_is_refused(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    path = write_csv(tmp_path / "a.csv", [row("王伟", WANG)], header=["name", "id"])
    with pytest.raises(ListFileError) as info:
        import_list(db.sessions, path, settings, now=NOW)
    assert "未找到表头行" in info.value.message_zh


def test_legacy_xls_is_refused_with_advice(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(ListFileError) as info:
        import_list(db.sessions, path, settings, now=NOW)
    assert ".xlsx" in info.value.message_zh


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("失信被执行人.csv", "失信被执行人"),
        ("失信被执行人_20261128.csv", "失信被执行人"),
        ("税务(202611).xlsx", "税务"),
    ],
)
def test_default_list_name(file: str, name: str) -> None:
    assert default_list_name(Path(file)) == name


def test_status_reports_size_time_and_freshness(db: Database, settings: Settings, tmp_path: Path) -> None:
    import_list(
        db.sessions, write_csv(tmp_path / "a.csv", [row("王伟", WANG)]), settings, list_name="A", now=NOW
    )
    import_list(
        db.sessions,
        write_csv(tmp_path / "b.csv", [row("李娜", LI)]),
        settings,
        list_name="B",
        now=NOW - dt.timedelta(days=8),
    )
    with db.sessions() as session:
        rows = list_status(session, 7, NOW)
    assert [(r.name, r.rows, r.fresh) for r in rows] == [("A", 1, True), ("B", 1, False)]
    assert "已过期" in rows[1].line_zh(NOW)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CreditList)) == 2


def test_progress_bar_draws_on_request() -> None:
    out = io.StringIO()
    bar = ProgressBar("导入", out, enabled=True)
    bar(50, 100)
    bar(100, 100)
    bar.close()
    assert "100%" in out.getvalue() and out.getvalue().endswith("\n")
    silent = io.StringIO()
    ProgressBar("导入", silent)(1, 2)  # not a terminal: nothing
    assert silent.getvalue() == ""


@pytest.mark.slow
def test_memory_stays_flat_with_file_size(tmp_path: Path) -> None:
    """Python allocations during an import do not grow with the file (streaming, bounded batches)."""
    import tracemalloc

    from pipeline.storage import open_database

    def peak_for(rows: int) -> int:
        base = tmp_path / str(rows)
        settings = Settings(base_dir=base)
        path = base / "list.csv"
        base.mkdir()
        with path.open("w", encoding="utf-8") as fh:
            fh.write(",".join(HEADER) + "\n")
            for n in range(rows):
                ident = make_id("610102", f"19{50 + n % 50:02d}0101", f"{n % 1000:03d}")
                fh.write(f"人{n},{ident},失信被执行人,法院,(2020)陕01执{n}号,2020-01-02,\n")
        db = open_database(settings)
        try:
            tracemalloc.start()
            import_list(db.sessions, path, settings, now=NOW)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        finally:
            db.dispose()
        return peak

    small, large = peak_for(50_000), peak_for(150_000)
    # Bounded by the batches in flight (at most four of 10,000 rows, however the threads are timed);
    # holding the whole file would take about 90 MB here.
    assert large < 40_000_000 and large < small * 2.5, (small, large)


def test_records_commands(cli_folder: Path, capsys: pytest.CaptureFixture) -> None:
    tmp_path = cli_folder
    from pipeline.cli import main

    path = write_csv(tmp_path / "失信被执行人_20260601.csv", [row("王伟", WANG), row("", LI)])
    assert main(["records", "import", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "名单“失信被执行人”导入完成：数据行2，导入1" in out and "rejected.csv" in out
    assert WANG not in out
    assert main(["records", "import", str(path)]) == 0
    assert "未做任何更改" in capsys.readouterr().out
    assert main(["records", "status"]) == 0
    assert "失信被执行人：1条" in capsys.readouterr().out
    assert main(["records", "import", str(tmp_path / "missing.csv")]) == 7
    assert "找不到名单文件" in capsys.readouterr().err


def test_helper_process_reports_progress_and_counts_like_in_process(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [row("王伟", WANG) if i % 7 else row("", LI) for i in range(25_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    here = import_list(db.sessions, path, settings, list_name="A", now=NOW)
    monkeypatch.setattr(parsing_module, "PARALLEL_MIN_BYTES", 0)
    seen: list[tuple[int, int]] = []
    there = import_list(
        db.sessions, path, settings, list_name="B", now=NOW, progress=lambda d, t: seen.append((d, t))
    )
    assert (there.rows_total, there.rows_imported, there.rows_rejected, there.rows_masked) == (
        here.rows_total,
        here.rows_imported,
        here.rows_rejected,
        here.rows_masked,
    )
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert there.rejected_report is not None and here.rejected_report is not None
    assert there.rejected_report.read_bytes() == here.rejected_report.read_bytes()
    assert not helpers()


def test_a_database_failure_stops_the_helper_and_keeps_the_old_snapshot(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_list(
        db.sessions, write_csv(tmp_path / "a.csv", [row("王伟", WANG)]), settings, list_name="L", now=NOW
    )
    monkeypatch.setattr(parsing_module, "PARALLEL_MIN_BYTES", 0)

    def fail(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("pipeline.records.importer._Counts.add", fail)
    path = write_csv(tmp_path / "b.csv", [row("李娜", LI)] * 30_000)
    with pytest.raises(RuntimeError, match="disk full"):
        import_list(db.sessions, path, settings, list_name="L", now=NOW)
    assert not helpers()
    assert [r.name for r in records(db)] == ["王伟"]


def test_status_shows_the_categories_the_records_carry(
    db: Database, settings: Settings, tmp_path: Path, parsing: str
) -> None:
    """Regression: a 名单类别 column with 11 categories showed as one list under its file name."""
    rows = [
        row("王伟", WANG, category="失信被执行人"),
        row("李娜", LI, category="重大税收违法失信主体"),
        row("赵六", ZHAO, category="失信被执行人"),
        row("钱七", make_id("610102", "19800101", "771"), category=""),
    ]
    import_list(db.sessions, write_csv(tmp_path / "名单.csv", rows), settings, list_name="联合惩戒", now=NOW)
    with db.sessions() as session:
        (status,) = list_status(session, settings.freshness_days, NOW)
    assert status.categories == {"失信被执行人": 2, "重大税收违法失信主体": 1, "": 1}
    line = status.line_zh(NOW)
    assert "其中：失信被执行人2条、重大税收违法失信主体1条、未注明类别1条（共3类）" in line
