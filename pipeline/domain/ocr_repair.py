"""Repair IDs misread by OCR, only when the repair is certain.

OCR confuses look-alike characters: the letter O for 0, l for 1, B for 8, a
6 for an 8. An ID's check digit and birth date catch nearly all such errors,
so a misread is never let through unseen: a valid ID is kept as is; an
invalid one is tried with the usual confusions, and a repair is accepted
only when exactly one candidate passes the checks. Two or more passing
candidates mean the scan does not say which ID is meant, and a clerk must
look. Pure function, no I/O.
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from dataclasses import dataclass

from pipeline.domain.idnumber import check_id, normalise_id

# Non-digits OCR returns for a digit (after NFKC folding).
LOOKALIKE_DIGITS: dict[str, str] = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "〇": "0", "○": "0", "θ": "0", "Θ": "0",
    "I": "1", "l": "1", "i": "1", "|": "1", "!": "1", "L": "1", "J": "1", "丨": "1", "]": "1", "[": "1",
    "Z": "2", "z": "2", "乙": "2",
    "E": "3",
    "A": "4", "h": "4",
    "S": "5", "s": "5", "$": "5",
    "G": "6", "b": "6",
    "T": "7", "?": "7",
    "B": "8", "&": "8",
    "g": "9", "q": "9", "P": "9",
}  # fmt: skip
# What OCR returns for the check character X (last position only).
LOOKALIKE_X = frozenset("Xx×χΧKkYy乂メ")
# Digit pairs OCR mixes up in printed CJK documents (both ways).
DIGIT_CONFUSIONS: dict[str, str] = {
    "0": "689",
    "1": "47",
    "2": "7",
    "3": "589",
    "4": "1",
    "5": "36",
    "6": "0589",
    "7": "12",
    "8": "0369",
    "9": "0368",
}
MAX_CANDIDATES = 4096  # letters at many positions: give up rather than enumerate forever


@dataclass(frozen=True, slots=True)
class RepairResult:
    """`id` is what to use: the valid or repaired ID, else the input normalised.

    `candidates` lists every valid reading found: one when the ID was valid or
    repaired, none when nothing fits, several when the scan is ambiguous.
    """

    id: str
    repaired: bool
    candidates: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return len(self.candidates) == 1 and self.id == self.candidates[0]

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def repair_id(text: str, today: dt.date | None = None) -> RepairResult:
    """Check an OCR'd ID and repair look-alike misreads when exactly one reading is valid."""
    raw = _fold(text)
    number = normalise_id(raw)
    if check_id(number, today).valid:  # includes old 15-digit IDs, which check_id upgrades
        return RepairResult(number, False, (number,))
    if len(raw) != 18:
        return RepairResult(number, False, ())

    letter_fixed = _letter_readings(raw)
    found = _valid_set(letter_fixed, today)
    if not found:  # letters alone do not explain it: also allow one digit-for-digit confusion
        found = _valid_set((v for base in letter_fixed for v in _one_digit_swap(base)), today)
    if len(found) == 1:
        (only,) = found
        return RepairResult(only, True, (only,))
    return RepairResult(number, False, tuple(sorted(found)))


def _fold(text: str) -> str:
    """Width-fold and drop separators, but keep letters as OCR returned them (case matters: l vs L)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-－—_.·")


def _valid(number: str, today: dt.date | None) -> bool:
    return len(number) == 18 and check_id(number, today).valid


def _valid_set(readings: object, today: dt.date | None) -> set[str]:
    return {r for r in readings if _valid(r, today)}  # type: ignore[attr-defined]


def _letter_readings(raw: str) -> list[str]:
    """Every reading of `raw` with look-alikes replaced (the last place may also be X)."""
    options: list[str] = []
    for i, ch in enumerate(raw):
        last = i == 17
        if ch.isdigit() and ch.isascii():
            opts = ch
        elif last and ch in LOOKALIKE_X:
            opts = "X" + LOOKALIKE_DIGITS.get(ch, "")
        elif ch in LOOKALIKE_DIGITS:
            opts = LOOKALIKE_DIGITS[ch]
        else:
            return []  # a character nothing explains: not an OCR slip we can undo
        options.append(opts)
    count = 1
    for opts in options:
        count *= len(opts)
    if count > MAX_CANDIDATES:
        return []
    return ["".join(p) for p in itertools.product(*options)]


def _one_digit_swap(number: str) -> list[str]:
    out: list[str] = []
    for i, ch in enumerate(number):
        out.extend(number[:i] + alt + number[i + 1 :] for alt in DIGIT_CONFUSIONS.get(ch, ""))
    return out
