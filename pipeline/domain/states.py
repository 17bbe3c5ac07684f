"""Where one received letter stands: the case states, as the office names them.

Plain data, so an edge (argparse's choices, a template) may name the states without loading the
database layer; pipeline.storage.models stores them as text and re-exports them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CASE_STATES", "CaseState"]


class CaseState(StrEnum):
    """Where one received letter stands. Stored as text, shown to clerks in Chinese."""

    RECEIVED = "received"
    PROCESSING = "processing"
    REPLIED = "replied"
    WAITING_REVIEW = "waiting_review"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    CLOSED = "closed"  # a failed or duplicate case closed by a named person (migration 0006)
    OBJECTION = "objection"  # an objection letter whose chain is running (migration 0012)

    @property
    def label_zh(self) -> str:
        return {
            "received": "已接收",
            "processing": "处理中",
            "replied": "已复函",
            "waiting_review": "待人工复核",
            "failed": "处理失败",
            "duplicate": "重复来函",
            "closed": "已关闭",
            "objection": "异议办理中",
        }[self.value]


CASE_STATES = tuple(s.value for s in CaseState)
