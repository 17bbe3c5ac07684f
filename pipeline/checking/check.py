"""check_people: verdicts for a whole roster in a handful of batched queries.

A 10,000-person roster against twenty million records must take well under a second, so IDs
go to each snapshot's store in large IN batches, never one query per person; masked records
are first found by name from their covering index, and only those whose visible digits fit
are read. A list brought up to date by delta files is read layer by layer, newest first: a
row of a newer layer replaces the same record (ID, name, 认定文书号) of the layers below.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict

from sqlalchemy.orm import Session

from pipeline.checking.match import in_force, masked_fits
from pipeline.domain.decision import decision_from_json, decision_to_json, record_from_json, record_to_json
from pipeline.domain.letter import Letter
from pipeline.domain.names import name_key
from pipeline.domain.result import CheckOutcome, PersonResult, RecordRef, SnapshotRef, Verdict
from pipeline.errors import ListStoreMissing
from pipeline.records.catalog import current_lists, layers, stale_problems
from pipeline.records.store import RecordStores, StoredRecord
from pipeline.settings import Settings


def _newest(found: list[tuple[int, StoredRecord]], order: dict[int, int]) -> list[tuple[int, StoredRecord]]:
    """The rows no newer layer replaces: a record (ID, name, 认定文书号) listed again by a newer layer
    is that layer's row, however many rows of one layer share the key."""
    newest: dict[tuple[str, str, str | None], int] = {}
    for snapshot_id, row in found:
        key = (row.id_number, row.name_key, row.doc_ref)
        rank = order[snapshot_id]
        newest[key] = min(rank, newest.get(key, rank))
    return [
        hit for hit in found if order[hit[0]] == newest[(hit[1].id_number, hit[1].name_key, hit[1].doc_ref)]
    ]


def _lookup(
    session: Session,
    stores: RecordStores,
    stack: list[tuple[str, int]],
    ids: list[str],
    names: dict[str, list[str]],
) -> tuple[dict[str, list], dict[str, list]]:
    """(records by full ID, masked records by name) of every layer, as (snapshot id, record)."""
    exact: dict[str, list] = defaultdict(list)
    masked: dict[str, list] = defaultdict(list)
    asked = [(key, full) for key, fulls in names.items() for full in fulls]
    for list_name, snapshot_id in stack:
        if not stores.exists(session, snapshot_id):
            raise ListStoreMissing(
                f"list {list_name}: the store of snapshot {snapshot_id} is missing",
                f"名单“{list_name}”的数据文件缺失（快照{snapshot_id}），无法查询，请管理员重新导入该名单。",
            )
        for row in stores.by_id_number(session, snapshot_id, ids):
            exact[row.id_number].append((snapshot_id, row))
        for row in stores.by_record_id(
            session, snapshot_id, stores.masked_fitting(session, snapshot_id, asked)
        ):
            masked[row.name_key].append((snapshot_id, row))
    return exact, masked


def check_people(session: Session, letter: Letter, settings: Settings, now: dt.datetime) -> CheckOutcome:
    """Verdict per person as of `now`, the snapshots consulted, and list problems (stale/empty)."""
    # Tens of thousands of short-lived rows and tuples: without the pause, the cyclic collector
    # walks them again and again and costs more than the queries (a third of a 10,000-person check).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(session, letter, settings, now)
    finally:
        if enabled:
            gc.enable()


def _check(session: Session, letter: Letter, settings: Settings, now: dt.datetime) -> CheckOutcome:
    wanted = settings.lists_for(letter.kind.value) if letter.kind else []
    lists = current_lists(session, wanted)
    problems = stale_problems(lists, now, settings.freshness_days)
    refs = [
        SnapshotRef(item.name, item.snapshot.id, item.snapshot.imported_at, item.snapshot.rows_imported)
        for item in lists
        if item.snapshot is not None
    ]
    list_of: dict[int, str] = {}
    stack: list[tuple[str, int]] = []  # (list, snapshot) of every layer to read, newest first per list
    for item in lists:
        if item.snapshot is not None:
            for layer in layers(session, item.snapshot):
                list_of[layer.id] = item.name
                stack.append((item.name, layer.id))
    order = {snapshot_id: rank for rank, (_name, snapshot_id) in enumerate(stack)}  # newest first
    day = now.date()

    exact: dict[str, list] = {}
    masked: dict[str, list] = {}
    if stack and letter.people:
        asked = [p for p in letter.people if p.not_checked_by is None]
        ids = sorted({p.id_number for p in asked if len(p.id_number) == 18 and "*" not in p.id_number})
        names: dict[str, list[str]] = defaultdict(list)
        for person in asked:
            names[name_key(person.name)].append(person.id_number)
        stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
        by_id, by_name = _lookup(session, stores, stack, ids, names)

        def standing(found: list) -> list:  # the rows no newer layer replaced, in force that day
            return [
                hit for hit in _newest(found, order) if in_force(hit[1].listed_on, hit[1].removed_on, day)
            ]

        exact = {number: standing(found) for number, found in by_id.items()}
        masked = {key: standing(found) for key, found in by_name.items()}

    def labels(hits: list) -> list[str]:
        return list(dict.fromkeys(row.category or list_of[snapshot_id] for snapshot_id, row in hits))

    def record_refs(hits: list) -> list[RecordRef]:
        return [RecordRef(snapshot_id, row.id, list_of[snapshot_id], row.line) for snapshot_id, row in hits]

    results = []
    for seq, person in enumerate(letter.people, 1):
        if person.not_checked_by is not None:  # a wrong ID is never looked up: it could match someone else
            results.append(PersonResult(seq, person.name, person.id_number, Verdict.NOT_CHECKED))
            continue
        key = name_key(person.name)
        held: list = []
        verdict = Verdict.CLEAR
        records = exact.get(person.id_number, [])
        if records:
            same_name = [hit for hit in records if hit[1].name_key == key]
            verdict, held = (Verdict.LISTED, same_name) if same_name else (Verdict.NAME_MISMATCH, records)
        else:
            fits = [hit for hit in masked.get(key, []) if masked_fits(hit[1].id_number, person.id_number)]
            if fits:
                verdict, held = Verdict.POSSIBLE, fits
        results.append(
            PersonResult(seq, person.name, person.id_number, verdict, labels(held), record_refs(held))
        )
    return CheckOutcome(checked_at=now, results=results, snapshots=refs, problems=problems)


def outcome_to_json(outcome: CheckOutcome) -> dict:
    """The check as stored with a case: time, snapshots consulted, verdicts, problems."""
    return {
        "checked_at": outcome.checked_at.isoformat(timespec="seconds"),
        "snapshots": [
            {
                "list_name": s.list_name,
                "snapshot_id": s.snapshot_id,
                "imported_at": s.imported_at.isoformat(timespec="seconds"),
                "row_count": s.row_count,
            }
            for s in outcome.snapshots
        ],
        "results": [
            {
                "seq": r.seq,
                "name": r.name,
                "id_number": r.id_number,
                "verdict": r.verdict.value,
                "lists": r.lists,
                "records": [record_to_json(ref) for ref in r.records],
                "decided": decision_to_json(r.decided) if r.decided else None,
            }
            for r in outcome.results
        ],
        "problems": list(outcome.problems),
    }


def outcome_from_json(data: dict) -> CheckOutcome:
    """Inverse of outcome_to_json (the review console reads stored checks back)."""
    return CheckOutcome(
        checked_at=dt.datetime.fromisoformat(data["checked_at"]),
        results=[
            PersonResult(
                r["seq"],
                r["name"],
                r["id_number"],
                Verdict(r["verdict"]),
                list(r["lists"]),
                [record_from_json(ref) for ref in r.get("records", [])],
                decision_from_json(r["decided"]) if r.get("decided") else None,
            )
            for r in data["results"]
        ],
        snapshots=[
            SnapshotRef(
                s["list_name"], s["snapshot_id"], dt.datetime.fromisoformat(s["imported_at"]), s["row_count"]
            )
            for s in data["snapshots"]
        ],
        problems=list(data.get("problems", [])),
    )
