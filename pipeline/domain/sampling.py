"""Which replies are drawn for 抽查抽检: a rule anyone holding the office's seed can recompute.

A case's sample point is a number in [0, 1) from a keyed hash of the case's
number and its letter's bytes (sha256), so it cannot be chosen by hand, does
not change when the draw is repeated, and is unknown to a clerk without the
seed. A case is drawn when its point falls below the share, or when its reply
carries a hit (every hit is checked).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum


class SpotStatus(StrEnum):
    """Where a drawn reply's re-check (抽查抽检) stands."""

    OPEN = "open"
    AGREED = "agreed"
    ERROR = "error"

    @property
    def label_zh(self) -> str:
        return {"open": "待抽查", "agreed": "核对无误", "error": "发现错误"}[self.value]


RULE_HIT = "复函含失信联合惩戒对象（逐件抽查）"


def sample_point(seed: bytes, case_id: int, file_sha256: str) -> float:
    digest = hmac.new(seed, f"{case_id}|{file_sha256}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class Draw:
    drawn: bool
    rule: str  # Chinese: why (or why not)
    point: float


RULE_IDENTITY_FIXED = "复函前人工更正了姓名、身份证号码或查询类别，必抽"


def draw(
    seed: bytes, share: float, case_id: int, file_sha256: str, *, automatic: bool, hit: bool,
    identity_fixed: bool = False,
) -> Draw:  # fmt: skip
    """Every hit, every reply whose names, IDs or kind a person corrected; of the replies no person
    touched, those whose point is below the share."""
    point = sample_point(seed, case_id, file_sha256)
    if hit:
        return Draw(True, RULE_HIT, point)
    if identity_fixed:
        return Draw(True, RULE_IDENTITY_FIXED, point)
    if automatic and point < share:
        return Draw(True, f"自动复函随机抽查（抽样值{point:.4f}，低于抽查比例{share:.0%}）", point)
    return Draw(False, "未抽中", point)
