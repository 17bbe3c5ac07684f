"""How long a value a person types may be: as long as what the field can mean, and no longer.

A 50 MB 来函单位 typed into a correction made every clerk's queue page 50 MB. Each kind of typed
text has one bound here, sized to the longest real value with room to spare (a unit's full name,
a 文号, a person's name with a transliteration), and the core refuses longer input in Chinese.
"""

from __future__ import annotations

from enum import StrEnum

from pipeline.errors import InvalidRequest


class Typed(StrEnum):
    UNIT = "unit"  # 来函单位, 主送单位, a unit to route to
    DOC_NUMBER = "doc_number"
    NAME = "name"  # a person's name, an account holder's name
    ID_NUMBER = "id_number"
    REASON = "reason"  # why: a delay, a closing, a decision, a finding

    @property
    def limit(self) -> int:
        return _LIMITS[self]

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LIMITS = {
    Typed.UNIT: 100,
    Typed.DOC_NUMBER: 60,
    Typed.NAME: 50,
    Typed.ID_NUMBER: 40,
    Typed.REASON: 500,
}
_LABELS = {
    Typed.UNIT: "单位名称",
    Typed.DOC_NUMBER: "文号",
    Typed.NAME: "姓名",
    Typed.ID_NUMBER: "身份证号码",
    Typed.REASON: "原因说明",
}


def bounded(value: str, kind: Typed) -> str:
    """`value`, refused when it is longer than `kind` can mean."""
    if len(value) > kind.limit:
        raise InvalidRequest(
            f"{kind} of {len(value)} characters (limit {kind.limit})",
            f"{kind.label_zh}过长（{len(value)}个字），最多{kind.limit}个字，请核对后重新填写。",
        )
    return value
