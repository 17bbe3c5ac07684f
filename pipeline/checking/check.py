"""check_people: verdicts for a whole roster in a handful of batched queries.

A 10,000-person roster against a million records must take well under a
second, so IDs go to the database in large IN batches, never one query per
person; masked records are looked up by name through their partial index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from pipeline.checking.match import in_force, masked_fits
from pipeline.domain.decision import decision_from_json, decision_to_json, record_from_json, record_to_json
from pipeline.domain.letter import Letter
from pipeline.domain.names import name_key
from pipeline.domain.result import CheckOutcome, PersonResult, RecordRef, SnapshotRef, Verdict
from pipeline.records.catalog import current_lists, stale_problems
from pipeline.settings import Settings
from pipeline.storage.models import Record

IN_BATCH = 5_000  # well under SQLite's and PostgreSQL's bound-parameter limits
# Spelled exactly as the partial index's WHERE clause, so SQLite uses ix_records_masked_name.
MASKED = text("records.masked")
UNINDEXED_SNAPSHOT = literal_column("+records.snapshot_id", Integer)


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _matching(column: Any, values: Sequence[str], dialect: str) -> Any:
    """column IN values — on PostgreSQL as = ANY(one array parameter), which plans far faster."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


def _fetch(
    session: Session, column: Any, values: Sequence[str], snapshot_ids: list[int], *extra: Any
) -> list:
    """Records whose `column` is in `values`, in the consulted snapshots, a few thousand values a query.

    The unary plus on snapshot_id keeps SQLite (which has no statistics) off the
    snapshot index, which matches every row of a list, and on the ID or name index.
    """
    dialect = session.get_bind().dialect.name
    rows: list = []
    for chunk in _chunks(values, IN_BATCH):
        rows.extend(
            session.execute(
                select(
                    Record.id,
                    Record.line,
                    Record.id_number,
                    Record.name_key,
                    Record.category,
                    Record.snapshot_id,
                    Record.listed_on,
                    Record.removed_on,
                ).where(_matching(column, chunk, dialect), UNINDEXED_SNAPSHOT.in_(snapshot_ids), *extra)
            ).all()
        )
    return rows


def check_people(session: Session, letter: Letter, settings: Settings, now: dt.datetime) -> CheckOutcome:
    """Verdict per person as of `now`, the snapshots consulted, and list problems (stale/empty)."""
    wanted = settings.lists_for(letter.kind.value) if letter.kind else []
    lists = current_lists(session, wanted)
    problems = stale_problems(lists, now, settings.freshness_days)
    refs = [
        SnapshotRef(item.name, item.snapshot.id, item.snapshot.imported_at, item.snapshot.rows_imported)
        for item in lists
        if item.snapshot is not None
    ]
    list_of = {ref.snapshot_id: ref.list_name for ref in refs}
    snapshot_ids = list(list_of)
    day = now.date()

    exact: dict[str, list] = defaultdict(list)
    masked: dict[str, list] = defaultdict(list)
    if snapshot_ids and letter.people:
        asked = [p for p in letter.people if p.not_checked_by is None]
        ids = sorted({p.id_number for p in asked if len(p.id_number) == 18})
        for row in _fetch(session, Record.id_number, ids, snapshot_ids):
            if "*" not in row.id_number and in_force(row.listed_on, row.removed_on, day):
                exact[row.id_number].append(row)
        names = sorted({name_key(p.name) for p in asked if p.id_number not in exact})
        for row in _fetch(session, Record.name_key, names, snapshot_ids, MASKED):
            if in_force(row.listed_on, row.removed_on, day):
                masked[row.name_key].append(row)

    def labels(rows: list) -> list[str]:
        return list(dict.fromkeys(row.category or list_of[row.snapshot_id] for row in rows))

    def record_refs(rows: list) -> list[RecordRef]:
        return [RecordRef(row.snapshot_id, row.id, list_of[row.snapshot_id], row.line) for row in rows]

    results = []
    for seq, person in enumerate(letter.people, 1):
        if person.not_checked_by is not None:  # a wrong ID is never looked up: it could match someone else
            results.append(PersonResult(seq, person.name, person.id_number, Verdict.NOT_CHECKED))
            continue
        key = name_key(person.name)
        verdict, held = Verdict.CLEAR, []
        records = exact.get(person.id_number, [])
        if records:
            same_name = [r for r in records if r.name_key == key]
            verdict, held = (Verdict.LISTED, same_name) if same_name else (Verdict.NAME_MISMATCH, records)
        else:
            fits = [r for r in masked.get(key, []) if masked_fits(r.id_number, person.id_number)]
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
