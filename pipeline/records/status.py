"""`records status` as data: every list with its size, import time and freshness."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.records.catalog import current_lists, layers
from pipeline.storage.models import CreditList, Snapshot


@dataclass(frozen=True, slots=True)
class ListStatus:
    name: str
    rows: int
    masked: int
    rejected: int
    imported_at: dt.datetime | None
    source_file: str | None
    fresh: bool
    held_rows: int | None = None  # a newer snapshot waiting for an administrator's confirmation
    held_reason: str | None = None
    categories: dict[str, int] | None = None  # records per 名单类别, most first
    deltas: int = 0  # delta files layered on the full import in force
    delta_rows: int = 0  # rows those delta files brought

    def categories_zh(self) -> str:
        """其中：失信被执行人3000条、…（共11类） — what the records say they are, not just the list's name."""
        if not self.categories or list(self.categories) == [self.name]:
            return ""
        parts = [f"{name or '未注明类别'}{count}条" for name, count in self.categories.items()]
        return f"\n    其中：{'、'.join(parts)}（共{len(parts)}类）"

    def line_zh(self, now: dt.datetime) -> str:
        if self.imported_at is None:
            line = f"{self.name}：尚未导入（已过期）"
        else:
            age = (now - self.imported_at).days
            state = "有效" if self.fresh else "已过期，请导入最新名单"
            line = (
                f"{self.name}：{self.rows}条（脱敏身份证号{self.masked}条，拒绝{self.rejected}行），"
                f"导入于{self.imported_at:%Y-%m-%d %H:%M}（{age}天前），{state}"
            )
        if self.deltas:
            line += f"\n    完整版本之上另有增量更新{self.deltas}次（共{self.delta_rows}条新增或移出记录）"
        line += self.categories_zh()
        if self.held_reason is not None:
            line += f"\n    另有新版本{self.held_rows}条未启用，待管理员确认：{self.held_reason.replace(chr(10), '；')}"
        return line


def _held(session: Session) -> dict[str, Snapshot]:
    rows = session.execute(
        select(CreditList.name, Snapshot)
        .join(Snapshot, Snapshot.list_id == CreditList.id)
        .where(Snapshot.staged_reason.is_not(None), ~Snapshot.is_current)
        .order_by(Snapshot.id)
    ).all()
    return {name: snapshot for name, snapshot in rows}


def list_status(session: Session, freshness_days: int, now: dt.datetime) -> list[ListStatus]:
    out = []
    held = _held(session)
    for item in current_lists(session):
        snap = item.snapshot
        waiting = held.get(item.name)
        stack = layers(session, snap) if snap is not None else []
        full = stack[-1] if stack else None
        out.append(
            ListStatus(
                item.name,
                full.rows_imported if full else 0,
                full.rows_masked if full else 0,
                full.rows_rejected if full else 0,
                snap.imported_at if snap else None,
                snap.source_file if snap else None,
                not item.stale(now, freshness_days),
                waiting.rows_imported if waiting else None,
                waiting.staged_reason if waiting else None,
                full.categories if full else None,
                deltas=len(stack) - 1,
                delta_rows=sum(layer.rows_imported for layer in stack[:-1]),
            )
        )
    return out
