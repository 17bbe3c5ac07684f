"""A scanned letter compared with its original, item by item, by a named person.

OCR reads a scan well enough to be checked, not well enough to be sent unread. Before its reply
goes, every header field and every roster row of a scan is compared with the original by a person,
who says so item by item (a row typed or corrected by the person counts as compared: they read it
from the original). An approval of the whole letter never stands in for it: that was a two-click
stamp on fifteen scans in twenty.

Each comparison is a `Confirmation` of `ReasonCode.SCAN_CONFIRM` keyed by the item *and its value*,
so a value changed after it was compared (a later correction, another reading) must be compared
again, and a comparison outlives renumbering when a row above it is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.domain.letter import Letter, Person
from pipeline.domain.reasons import Confirmation, ReasonCode
from pipeline.privacy import mask_id

# The header fields a clerk compares, in the order a letter prints them, with their labels.
FIELDS = {
    "kind": "查询类别",
    "unit": "来函单位",
    "doc_number": "来函文号",
    "date": "来函日期",
    "addressee": "主送单位",
}


@dataclass(frozen=True, slots=True)
class ScanItem:
    """One thing to compare: a header field (`field`) or a roster row (`seq`, 1-based)."""

    key: str  # the item and its value, as data
    label_zh: str  # 来函单位 / 第3人（张三）
    seq: int | None = None
    field: str | None = None
    unsure: bool = False  # OCR doubted a value in it: compared first


def _field_value(letter: Letter, name: str) -> str | None:
    value = getattr(letter, name)
    if value is None:
        return None
    return value.isoformat() if name == "date" else str(value)


def row_key(person: Person) -> str:
    return f"row:{person.name}|{person.id_number}"


def field_key(name: str, value: str) -> str:
    return f"field:{name}={value}"


def _unsure(person: Person) -> bool:
    confidences = [s.confidence for s in (person.name_source, person.id_source) if s is not None]
    return bool(person.confirm) or any(c < 0.8 for c in confidences)


def items(letter: Letter) -> list[ScanItem]:
    """Every item of a scan to compare: the header fields that have a value (a missing one is its
    own reason, settled by typing it), then the rows."""
    out = []
    for name, label in FIELDS.items():
        value = _field_value(letter, name)
        if value:
            out.append(ScanItem(field_key(name, value), label, field=name))
    for seq, person in enumerate(letter.people, 1):
        out.append(ScanItem(row_key(person), f"第{seq}人（{person.name}）", seq=seq, unsure=_unsure(person)))
    return out


def is_compared(letter: Letter, item: ScanItem) -> bool:
    return any(c.code is ReasonCode.SCAN_CONFIRM and c.key == item.key for c in letter.confirmed)


def open_items(letter: Letter) -> list[ScanItem]:
    """What is still to compare, the rows OCR was unsure of first, then in the letter's order."""
    if not letter.from_scan:
        return []
    left = [i for i in items(letter) if not is_compared(letter, i)]
    return sorted(left, key=lambda i: not i.unsure)


def _described(letter: Letter, item: ScanItem) -> str:
    """What the person compared, as the audit keeps it (the ID masked)."""
    if item.seq is not None:
        person = letter.people[item.seq - 1]
        return f"第{item.seq}人 {person.name} {mask_id(person.id_number)}"
    assert item.field is not None
    return f"{item.label_zh}“{_field_value(letter, item.field)}”"


def compare(letter: Letter, wanted: list[ScanItem], by: str, at: str) -> list[str]:
    """Record that `by` compared these items with the original; returns what was recorded, in
    Chinese, for the case's history. Items already compared are not recorded twice."""
    done = []
    for item in wanted:
        if is_compared(letter, item):
            continue
        text = _described(letter, item)
        letter.confirmed.append(Confirmation(ReasonCode.SCAN_CONFIRM, text, by, at, item.key))
        done.append(text)
    return done


def open_text(left: list[ScanItem], shown: int = 6) -> str:
    """The reason a clerk reads: how many items are left, and the first of them."""
    names = "、".join(i.label_zh for i in left[:shown]) + ("等" if len(left) > shown else "")
    return f"来函为扫描件，须对照原件逐项核对（尚有{len(left)}项未核对：{names}）"
