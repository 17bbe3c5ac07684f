"""Which snapshot of each list is in force, and whether it is fresh enough to answer from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.storage.models import CreditList, Snapshot

STALE_PROBLEM = "失信名单未导入或已过期"


@dataclass(frozen=True, slots=True)
class CurrentList:
    """A list and its current snapshot (None when never imported)."""

    name: str
    snapshot: Snapshot | None

    @property
    def empty(self) -> bool:
        return self.snapshot is None or self.snapshot.rows_imported == 0

    def stale(self, now: dt.datetime, freshness_days: int) -> bool:
        """Never imported, empty, or imported longer ago than the freshness limit."""
        if self.snapshot is None or self.empty:
            return True
        return now - self.snapshot.imported_at > dt.timedelta(days=freshness_days)


def current_lists(session: Session, names: Iterable[str] | None = None) -> list[CurrentList]:
    """The named lists (all lists when names is empty/None), each with its current snapshot."""
    wanted = list(dict.fromkeys(names or []))
    rows = session.execute(
        select(CreditList.name, Snapshot)
        .outerjoin(Snapshot, (Snapshot.list_id == CreditList.id) & Snapshot.is_current)
        .order_by(CreditList.name)
    ).all()
    found = {name: snapshot for name, snapshot in rows}
    if not wanted:
        return [CurrentList(name, snapshot) for name, snapshot in found.items()]
    return [CurrentList(name, found.get(name)) for name in wanted]


def layers(session: Session, snapshot: Snapshot) -> list[Snapshot]:
    """The snapshot and the layers below it, newest first (one, for a full import)."""
    out = [snapshot]
    while out[-1].base_id is not None and len(out) < MAX_LAYERS:
        below = session.get(Snapshot, out[-1].base_id)
        if below is None:
            break
        out.append(below)
    return out


MAX_LAYERS = 10_000  # a guard against a cycle; deltas are daily, a full import starts a new chain


def stale_problems(lists: list[CurrentList], now: dt.datetime, freshness_days: int) -> list[str]:
    """Chinese problems for every list that must not be answered from (none consulted is one too)."""
    if not lists:
        return [f"{STALE_PROBLEM}：尚未导入任何失信名单"]
    problems = []
    for item in lists:
        if item.snapshot is None:
            problems.append(f"{STALE_PROBLEM}：名单“{item.name}”尚未导入")
        elif item.empty:
            problems.append(f"{STALE_PROBLEM}：名单“{item.name}”没有任何记录")
        elif item.stale(now, freshness_days):
            when = item.snapshot.imported_at.strftime("%Y年%m月%d日")
            problems.append(
                f"{STALE_PROBLEM}：名单“{item.name}”导入于{when}，已超过{freshness_days}天，请导入最新名单"
            )
    return problems


def layers_in_force(session: Session) -> list[int]:
    """Every snapshot a check may read now: each list's snapshot in force and the layers below it."""
    ids: list[int] = []
    for item in current_lists(session):
        if item.snapshot is not None:
            ids.extend(layer.id for layer in layers(session, item.snapshot))
    return ids
