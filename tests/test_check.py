"""The check: listed / clear / name_mismatch / possible as of the check time, per list and kind."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from pipeline.checking import check_people, outcome_from_json, outcome_to_json
from pipeline.checking.match import in_force, masked_fits
from pipeline.domain.letter import Kind, Letter, Person
from pipeline.domain.result import Verdict
from pipeline.records import import_list
from pipeline.records import store as store_module
from pipeline.settings import Settings
from pipeline.storage import Database
from tests.builders.spec import make_id

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 9, 0)
HEADER = ["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"]
WANG = make_id("610102", "19900101", "123")
LI = make_id("610113", "19951231", "246")
ZHAO = make_id("610402", "19760724", "307")
MA = make_id("610115", "19550302", "946")


def load(db: Database, settings: Settings, tmp_path: Path, name: str, rows: list[list[str]], now=NOW) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = tmp_path / f"{name}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    import_list(db.sessions, path, settings, list_name=name, now=now)


def rec(name: str, ident: str, listed: str = "2020-01-02", removed: str = "", category: str = "失信被执行人"):
    return [name, ident, category, "法院", "(2020)陕01执1号", listed, removed]


def check(
    db: Database, settings: Settings, people: list[tuple[str, str]], kind=Kind.PUBLIC_INSTITUTION, now=NOW
):
    letter = Letter(kind=kind, people=[Person(n, i) for n, i in people])
    with db.sessions() as session:
        return check_people(session, letter, settings, now)


def verdicts(outcome) -> list[str]:
    return [r.verdict.value for r in outcome.results]


def test_listed_clear_and_removed(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(
        db,
        settings,
        tmp_path,
        "失信被执行人",
        [rec("王伟", WANG), rec("李娜", LI, removed="2025-01-01"), rec("马蓉", MA, listed="2026-07-01")],
    )
    outcome = check(db, settings, [("王伟", WANG), ("李娜", LI), ("赵强", ZHAO), ("马蓉", MA)])
    assert verdicts(outcome) == ["listed", "clear", "clear", "clear"]  # removed; not yet listed
    assert outcome.results[0].lists == ["失信被执行人"]
    assert outcome.results[0].result_text_zh() == "属于失信联合惩戒对象（失信被执行人）"
    assert outcome.problems == []
    assert outcome.checked_at == NOW
    assert [(s.list_name, s.row_count) for s in outcome.snapshots] == [("失信被执行人", 3)]


def test_the_check_time_decides(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG, listed="2026-06-04", removed="2026-06-10")])
    assert verdicts(check(db, settings, [("王伟", WANG)], now=NOW - dt.timedelta(days=1))) == ["clear"]
    assert verdicts(check(db, settings, [("王伟", WANG)], now=NOW)) == ["listed"]  # listed that day
    assert verdicts(check(db, settings, [("王伟", WANG)], now=NOW + dt.timedelta(days=5))) == ["listed"]
    assert verdicts(check(db, settings, [("王伟", WANG)], now=NOW + dt.timedelta(days=6))) == ["clear"]


def test_an_old_removed_record_does_not_hide_a_current_one(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(
        db,
        settings,
        tmp_path,
        "L",
        [rec("王伟", WANG, "2015-01-01", "2016-01-01"), rec("王伟", WANG, "2020-01-01")],
    )
    assert verdicts(check(db, settings, [("王伟", WANG)])) == ["listed"]


def test_name_mismatch(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG), rec("阿卜杜拉·麦麦提", LI)])
    outcome = check(db, settings, [("王卫", WANG), ("阿卜杜拉•麦麦提", LI), ("王 伟", WANG)])
    assert verdicts(outcome) == ["name_mismatch", "listed", "listed"]  # dots and spaces compare equal
    assert outcome.needs_person == [outcome.results[0]]


def test_possible_only_through_a_masked_record(db: Database, settings: Settings, tmp_path: Path) -> None:
    masked = WANG[:10] + "****" + WANG[14:]
    other_digits = WANG[:10] + "****" + ("0000" if WANG[14:] != "0000" else "1111")
    load(
        db,
        settings,
        tmp_path,
        "L",
        [rec("王伟", masked), rec("李娜", other_digits), rec("赵强", LI[:6] + "*" * 8 + LI[14:])],
    )
    outcome = check(db, settings, [("王伟", WANG), ("李娜", WANG), ("钱多", LI), ("赵强", LI)])
    # same name + visible digits; visible digits differ; digits fit but another name; fits fully
    assert verdicts(outcome) == ["possible", "clear", "clear", "possible"]


@pytest.mark.parametrize("layouts", ["looked up exactly", "compared row by row"])
def test_masked_records_are_found_by_their_layout_or_row_by_row(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layouts: str
) -> None:
    """A list's masked IDs are found by hiding each asked ID the list's ways and looking it up
    exactly; a list with too many masking layouts is compared row by row. Both give one answer."""
    if layouts == "compared row by row":
        monkeypatch.setattr(store_module, "MAX_PATTERNS", 0)
    rows = [rec("王伟", WANG[:10] + "****" + WANG[14:]), rec("王伟", "*" * 6 + WANG[6:]),
            rec("李娜", LI[:14] + "***" + LI[17]), rec("李娜", LI[:7] + "*" * 11)]  # fmt: skip
    load(db, settings, tmp_path, "L", rows)
    outcome = check(db, settings, [("王伟", WANG), ("李娜", LI), ("王伟", LI), ("李娜", ZHAO)])
    assert verdicts(outcome) == ["possible", "possible", "clear", "clear"]
    assert [r.line for r in outcome.results[0].records] == [2, 3]
    assert [r.line for r in outcome.results[1].records] == [4, 5]
    stores = store_module.RecordStores(db.engine)
    with db.sessions() as session:
        found = stores.patterns(session, outcome.snapshots[0].snapshot_id)
    assert (found is None) == (layouts == "compared row by row")


def test_a_removed_masked_record_is_not_possible(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG[:10] + "****" + WANG[14:], removed="2021-01-01")])
    assert verdicts(check(db, settings, [("王伟", WANG)])) == ["clear"]


def test_an_exact_hit_wins_over_a_masked_one(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG), rec("王伟", WANG[:10] + "****" + WANG[14:])])
    assert verdicts(check(db, settings, [("王伟", WANG)])) == ["listed"]


def test_lists_consulted_per_kind(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "国家", [rec("王伟", WANG, category="失信被执行人")])
    load(db, settings, tmp_path, "省级", [rec("李娜", LI, category="重大税收违法失信主体")])
    per_kind = dataclasses.replace(settings, lists_civil_servant=["国家"], lists_public_institution=["省级"])
    people = [("王伟", WANG), ("李娜", LI)]
    cs = check(db, per_kind, people, kind=Kind.CIVIL_SERVANT)
    pi = check(db, per_kind, people, kind=Kind.PUBLIC_INSTITUTION)
    assert verdicts(cs) == ["listed", "clear"] and [s.list_name for s in cs.snapshots] == ["国家"]
    assert verdicts(pi) == ["clear", "listed"] and [s.list_name for s in pi.snapshots] == ["省级"]
    assert pi.results[1].lists == ["重大税收违法失信主体"]
    everything = check(db, settings, people)  # default: every list
    assert verdicts(everything) == ["listed", "listed"]
    assert sorted(s.list_name for s in everything.snapshots) == ["国家", "省级"]


def test_a_list_without_category_is_named_by_the_list(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "拖欠农民工工资名单", [rec("王伟", WANG, category="")])
    assert check(db, settings, [("王伟", WANG)]).results[0].lists == ["拖欠农民工工资名单"]


def test_no_list_imported_is_a_problem(db: Database, settings: Settings) -> None:
    outcome = check(db, settings, [("王伟", WANG)])
    assert outcome.problems and outcome.problems[0].startswith("失信名单未导入或已过期")
    assert outcome.snapshots == []


def test_a_configured_list_never_imported_is_a_problem(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "省级", [rec("王伟", WANG)])
    cs = dataclasses.replace(settings, lists_civil_servant=["国家"])
    outcome = check(db, cs, [("李娜", LI)], kind=Kind.CIVIL_SERVANT)
    assert outcome.problems == ["失信名单未导入或已过期：名单“国家”尚未导入"]
    assert outcome.snapshots == []


def test_a_stale_list_is_a_problem(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "新", [rec("王伟", WANG)], now=NOW - dt.timedelta(days=1))
    load(db, settings, tmp_path, "旧", [rec("李娜", LI)], now=NOW - dt.timedelta(days=7, minutes=1))
    outcome = check(db, settings, [("赵强", ZHAO)])
    assert len(outcome.problems) == 1 and "“旧”" in outcome.problems[0] and "已超过7天" in outcome.problems[0]
    assert outcome.problems[0].startswith("失信名单未导入或已过期")
    fresh = check(db, dataclasses.replace(settings, freshness_days=30), [("赵强", ZHAO)])
    assert fresh.problems == []


def test_outcome_round_trips_through_json(db: Database, settings: Settings, tmp_path: Path) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG)])
    outcome = check(db, settings, [("王伟", WANG), ("李娜", LI)])
    data = outcome_to_json(outcome)
    assert data["checked_at"] == "2026-06-04T09:00:00"
    assert data["snapshots"][0]["list_name"] == "L"
    assert outcome_from_json(data) == outcome


def test_a_large_roster_uses_batched_queries(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db, settings, tmp_path, "L", [rec("王伟", WANG)])
    people = [("王伟", WANG)] + [
        ("某人", make_id("610102", f"198001{day:02d}", f"{n:03d}"))
        for day in range(1, 13)
        for n in range(1000)
    ]
    queries: list[int] = []  # values per query sent to the list's store
    real = store_module._chunks

    def counted(values, *size):  # type: ignore[no-untyped-def]
        for chunk in real(values, *size):
            queries.append(len(chunk))
            yield chunk

    monkeypatch.setattr(store_module, "_chunks", counted)
    outcome = check(db, settings, people)
    assert len(outcome.results) == len(people) and outcome.results[0].verdict == Verdict.LISTED
    # 3 ID batches; the list hides no ID, so there is no masked layout to look up
    assert queries == [5000, 5000, 2001]


def test_matching_rules() -> None:
    day = dt.date(2026, 6, 4)
    assert in_force(None, None, day)
    assert in_force(day, None, day) and not in_force(day + dt.timedelta(1), None, day)
    assert not in_force(None, day, day) and in_force(None, day + dt.timedelta(1), day)
    assert masked_fits("6101021990****1234", "610102199001011234")
    assert not masked_fits("6101021990****1235", "610102199001011234")
    assert not masked_fits("6101021990****1234", "61010219900101123")


def test_a_list_whose_store_is_gone_fails_the_check_instead_of_answering_clear(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Found while moving records into snapshot stores: a store removed from under a snapshot in
    force (a restore without data/lists/, a hand-deleted file) read as an empty list, so every
    person would have been answered 不属于."""
    from pipeline.errors import ListStoreMissing
    from pipeline.records.store import RecordStores

    load(db, settings, tmp_path, "L", [rec("王伟", WANG)])
    stores = RecordStores(db.engine)
    with db.sessions() as session:
        (snapshot_id,) = [i for i in range(1, 5) if stores.exists(session, i)]
    stores.drop(snapshot_id)
    with pytest.raises(ListStoreMissing) as info:
        check(db, settings, [("王伟", WANG)])
    assert "数据文件缺失" in info.value.message_zh


def test_the_stores_in_force_are_read_ahead_once_and_a_missing_one_is_skipped(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """After a restart the first check against a cold national list waited 7 s on random disk
    reads; the service reads the stores in force once, in order, at start-up."""
    from pipeline.inbox.run import warm_lists
    from pipeline.records.catalog import layers_in_force
    from pipeline.records.store import RecordStores

    load(db, settings, tmp_path, "A", [rec("王伟", WANG)])
    load(db, settings, tmp_path, "B", [rec("李娜", LI)])
    stores = RecordStores(db.engine)
    with db.sessions() as session:
        ids = layers_in_force(session)
    assert len(ids) == 2
    if db.engine.dialect.name != "sqlite":
        assert stores.warm(ids) == 0  # PostgreSQL keeps its own cache
        return
    sizes = [Path(stores.target(i).location).stat().st_size for i in ids]
    assert stores.warm(ids) == sum(sizes)
    stores.drop(ids[0])
    assert stores.warm(ids) == sizes[1]
    warm_lists(db).join(timeout=10)  # the service's start-up thread: finishes, raises nothing
