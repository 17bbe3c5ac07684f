"""The common list row, accepted a whole batch at a time.

Twenty million rows through rows.RowParser cost some 90 s of one core. Most rows of a machine
export are plainly clean: a name of Han characters or Latin letters, an ASCII 18-digit ID, ISO
dates. For those, vectorised Arrow and NumPy operations decide the same thing RowParser would, and
the values are already what it would return. Every other row (masked IDs, names with dots or
spaces, other date spellings, blanks, padding) goes to RowParser itself, so its rules and its
Chinese reasons stay the only definition; tests/test_fast_rows.py holds the two to the same
output row by row.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.records.rows import EARLIEST_BIRTH, EARLIEST_LISTING, EMPTY, FIELDS
from pipeline.records.store import COLUMNS

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)  # ISO 7064 MOD 11-2
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
# Names NFC leaves alone and clean_name has nothing to clean in: CJK ideographs (basic block and
# extension A, no compatibility forms) and ASCII letters; RowParser keeps at most 200 characters.
_PLAIN_NAME = r"^[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}A-Za-z]{1,200}$"
# What str.strip() removes: a value starting or ending with one of these goes to RowParser.
_PY_SPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_EMPTY_VALUES = pa.array(sorted(EMPTY - {""}))


_DASH = ord("-") - 48
_X = ord("X") - 48
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _fixed_width(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(digits, usable): each value's first `width` bytes as numbers ('0' is 0), one row per value,
    and whether the value is exactly `width` bytes long (only those rows mean anything)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    starts = offsets[:-1].astype(np.int64)
    usable = (offsets[1:] - offsets[:-1]) == width
    if values.null_count:
        usable &= np.asarray(values.is_valid())
    if len(data) == 0:
        return np.zeros((len(values), width), dtype=np.int64), usable
    index = np.minimum(starts[:, None] + np.arange(width), len(data) - 1)
    return data[index].astype(np.int64) - 48, usable


def _real_dates(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, earliest: dt.date, latest: dt.date | None
) -> np.ndarray:
    """Calendar dates that exist (2020-02-30 does not), within the bounds: RowParser's rule."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    ok = (month >= 1) & (month <= 12)
    longest = _DAYS_IN_MONTH[np.where(ok, month, 0)] + ((month == 2) & leap)
    ok &= (day >= 1) & (day <= longest)
    stamp = year * 10_000 + month * 100 + day
    ok &= stamp >= earliest.year * 10_000 + earliest.month * 100 + earliest.day
    if latest is not None:
        ok &= stamp <= latest.year * 10_000 + latest.month * 100 + latest.day
    return ok


def _valid_dates(values: pa.Array, earliest: dt.date) -> np.ndarray:
    """YYYY-MM-DD values (ASCII digits) that are real dates on or after `earliest`."""
    d, ok = _fixed_width(values, 10)
    digits = d[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    ok &= ((digits >= 0) & (digits <= 9)).all(axis=1) & (d[:, 4] == _DASH) & (d[:, 7] == _DASH)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    return ok & _real_dates(year, d[:, 5] * 10 + d[:, 6], d[:, 8] * 10 + d[:, 9], earliest, None)


def _full_ids(ids: pa.Array, today: dt.date) -> np.ndarray:
    """IDs of 17 ASCII digits and a digit or X, whose birth date is real (1900 to today) and whose
    ISO 7064 MOD 11-2 check digit is their last character: RowParser's rule for a full ID."""
    d, ok = _fixed_width(ids, 18)
    ok &= ((d[:, :17] >= 0) & (d[:, :17] <= 9)).all(axis=1)
    ok &= ((d[:, 17] >= 0) & (d[:, 17] <= 9)) | (d[:, 17] == _X)
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    ok &= _real_dates(year, d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13], EARLIEST_BIRTH, today)
    return ok & (_CHECK[(np.clip(d[:, :17], 0, 9) @ _WEIGHTS) % 11] == d[:, 17] + 48)


def _optional(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(value or null as RowParser's _optional gives it, fast-acceptable?)."""
    padded = pc.not_equal(pc.utf8_trim(values, characters=_PY_SPACE), values)
    too_long = pc.greater(pc.utf8_length(values), 200)
    slow = pc.or_(padded, too_long)
    empty = pc.or_(pc.equal(values, ""), pc.is_in(values, value_set=_EMPTY_VALUES))
    return pc.if_else(empty, pa.scalar(None, pa.string()), values), pc.invert(slow)


def split_batch(
    batch: pa.RecordBatch, positions: dict[str, int], first_line: int, today: dt.date
) -> tuple[pa.Table, list[tuple[int, list]]]:
    """(records of the rows accepted here, as the store takes them; (line, cells) of the others).

    `positions` are the header's column positions by canonical field; row i of the batch is
    physical line `first_line + i` (the caller makes sure no value spans lines).
    """
    n = batch.num_rows
    nothing = pa.nulls(n, pa.string())
    col: dict[str, Any] = {f: batch.column(positions[f]) if f in positions else nothing for f in FIELDS}
    names, ids = col["name"], col["id_number"]
    fast = pc.match_substring_regex(names, _PLAIN_NAME)
    fast = pc.and_(fast, pc.invert(pc.is_in(names, value_set=_EMPTY_VALUES)))
    fast = pc.and_(fast, pa.array(_full_ids(ids, today)))
    dates = {}
    for field in ("listed_on", "removed_on"):
        values = pc.fill_null(col[field], "")
        blank = pc.equal(values, "")
        iso = pa.array(_valid_dates(values, EARLIEST_LISTING))
        fast = pc.and_(fast, pc.or_(blank, iso))
        dates[field] = pc.if_else(blank, pa.scalar(None, pa.string()), values)
    backwards = pc.fill_null(pc.less(dates["removed_on"], dates["listed_on"]), False)
    fast = pc.and_(fast, pc.invert(backwards))
    kept = {}
    for field in ("category", "authority", "doc_ref"):
        values = pc.fill_null(col[field], "")
        kept[field], ok = _optional(values)
        fast = pc.and_(fast, ok)
    fast = pc.fill_null(fast, False)

    lines = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    accepted = pa.table(
        {
            "line": lines,
            "name": names,
            "name_key": names,
            "id_number": ids,
            "masked": pa.array(np.zeros(n, dtype=bool)),
            "category": kept["category"],
            "authority": kept["authority"],
            "doc_ref": kept["doc_ref"],
            "listed_on": dates["listed_on"],
            "removed_on": dates["removed_on"],
        }
    ).filter(fast)
    assert tuple(accepted.column_names) == COLUMNS
    others = pc.invert(fast)
    rest: list[tuple[int, list]] = []
    if pc.any(others).as_py():
        picked = batch.filter(others)
        cells = [c.to_pylist() for c in picked.columns]
        numbers = lines.filter(others).to_pylist()
        rest = [(line, list(row)) for line, row in zip(numbers, zip(*cells, strict=True), strict=True)]
    return accepted, rest


def spans_lines(batch: pa.RecordBatch) -> bool:
    """Does any value hold a line break (then rows are not lines, and line numbers would drift)?"""
    return any(pc.any(pc.match_substring_regex(column, r"[\r\n]")).as_py() for column in batch.columns)
