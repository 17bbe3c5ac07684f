"""`records status` as data: every list with its size, import time and freshness."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pipeline.records.catalog import current_lists


@dataclass(frozen=True, slots=True)
class ListStatus:
    name: str
    rows: int
    masked: int
    rejected: int
    imported_at: dt.datetime | None
    source_file: str | None
    fresh: bool

    def line_zh(self, now: dt.datetime) -> str:
        if self.imported_at is None:
            return f"{self.name}：尚未导入（已过期）"
        age = (now - self.imported_at).days
        state = "有效" if self.fresh else "已过期，请导入最新名单"
        return (
            f"{self.name}：{self.rows}条（脱敏身份证号{self.masked}条，拒绝{self.rejected}行），"
            f"导入于{self.imported_at:%Y-%m-%d %H:%M}（{age}天前），{state}"
        )


def list_status(session: Session, freshness_days: int, now: dt.datetime) -> list[ListStatus]:
    out = []
    for item in current_lists(session):
        snap = item.snapshot
        out.append(
            ListStatus(
                item.name,
                snap.rows_imported if snap else 0,
                snap.rows_masked if snap else 0,
                snap.rows_rejected if snap else 0,
                snap.imported_at if snap else None,
                snap.source_file if snap else None,
                not item.stale(now, freshness_days),
            )
        )
    return out
