"""Where finished replies go and under which names: clerk-friendly, safe on Windows shares.

The claim of a name on disk is pipeline.cases.publisher's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.domain.letter import Letter
from pipeline.files import shorten
from pipeline.settings import Settings

# The result JSON holds full IDs and the whole check: personal data for the office's records,
# kept in data/results (0600), never in the outbox staff collect replies from.
PRIVATE_KINDS = frozenset({"json"})

# Illegal on Windows shares, plus control characters; runs of them become one underscore.
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_STEM = 120  # characters; keeps full paths on Windows shares well inside their limits
MAX_STEM_BYTES = 150  # and UTF-8 bytes: with 结果(12).json or a .<name>.<pid>.part it stays under 255


def sanitise(part: str) -> str:
    """One file-name part that every share accepts."""
    text = _ILLEGAL.sub("_", part).strip().rstrip(". ")
    if text.upper() in _RESERVED:
        text = f"_{text}"
    return text


def reply_stem(letter: Letter, issue_date: dt.date) -> str:
    """2021-06-04_陕西省人力资源和社会保障厅_陕人社函〔2021〕88号_复函 — the letter's date, unit and 文号."""
    parts = [
        (letter.date or issue_date).isoformat(),
        sanitise(letter.unit or "来函单位不详"),
        sanitise(letter.doc_number or "无文号"),
        "复函",
    ]
    stem = "_".join(p for p in parts if p)
    if len(stem) <= MAX_STEM and len(stem.encode("utf-8")) <= MAX_STEM_BYTES:
        return stem
    # Too long (a 60-character unit and a long 文号 are both legal): shorten the unit, keep the rest.
    date, unit, number, tail = parts
    number = shorten(number, 60, keep_end=True)  # 〔2026〕1234号 is what tells two 文号 apart
    others = "_".join((date, number, tail))
    unit = shorten(unit, MAX_STEM_BYTES - len(others.encode("utf-8")) - 1)
    room = MAX_STEM - len(others) - 1  # characters, for an ASCII unit within the byte limit
    if len(unit) > room:
        unit = unit[: room - 1] + "…"
    return "_".join((date, unit, number, tail))


def destination(settings: Settings, kind: str, outbox: Path | None = None) -> tuple[Path, int]:
    """(folder, file mode) a finished output of `kind` is published to."""
    if kind in PRIVATE_KINDS:
        results = settings.path(settings.data_dir) / "results"
        results.mkdir(parents=True, exist_ok=True, mode=0o700)
        return results, 0o600
    return outbox or settings.path(settings.outbox), settings.reply_mode
