"""Ideographs as a person reads them: radicals and compatibility code points folded to the unified
ideographs they stand for, from Unicode's own data.

PDF producers (Chromium printing an OA system's page, among others) put CJK Radicals Supplement and
Kangxi Radicals code points in a text layer for ordinary characters: ⻜ (U+2EDC) for 飞, ⺠ for 民,
⽤ for 用. They look the same and are different characters: a reply that prints one names another
person, and a check that compares one meets no record. NFKC folds the Kangxi block but not the
Radicals Supplement, so the fold is Unicode's Equivalent_Unified_Ideograph property
(EquivalentUnifiedIdeograph.txt of the UCD, vendored beside this module with its licence, version
in its first line) for radicals and strokes, and canonical decomposition for compatibility
ideographs. It applies to every reader: pipeline.document folds each paragraph and cell as it is
made.

The lowest layer: data and pure functions, importable by every other module.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

DATA_FILE = "EquivalentUnifiedIdeograph.txt"

# Where a code point may need folding: CJK Radicals Supplement, Kangxi Radicals, CJK Strokes,
# CJK Compatibility Ideographs and their Supplement.
_NEEDS_FOLD = re.compile("[\u2e80-\u2fdf\u31c0-\u31ef\uf900-\ufaff\U0002f800-\U0002fa1f]")

# Unified ideographs, as assigned in Unicode 15.1 (each block's assigned range, not its whole extent):
# the URO and Extensions A–I.
HAN_BLOCKS: tuple[tuple[str, int, int], ...] = (
    ("CJK Unified Ideographs", 0x4E00, 0x9FFF),
    ("Extension A", 0x3400, 0x4DBF),
    ("Extension B", 0x20000, 0x2A6DF),
    ("Extension C", 0x2A700, 0x2B739),
    ("Extension D", 0x2B740, 0x2B81D),
    ("Extension E", 0x2B820, 0x2CEA1),
    ("Extension F", 0x2CEB0, 0x2EBE0),
    ("Extension G", 0x30000, 0x3134A),
    ("Extension H", 0x31350, 0x323AF),
    ("Extension I", 0x2EBF0, 0x2EE5D),
)


def table_version() -> str:
    """The UCD version of the vendored table, as its first line says (e.g. 15.0.0)."""
    first = resources.files(__name__).joinpath(DATA_FILE).read_text(encoding="utf-8").splitlines()[0]
    match = re.search(r"-(\d+\.\d+\.\d+)\.txt", first)
    return match.group(1) if match else "unknown"


@lru_cache(maxsize=1)
def equivalents() -> dict[int, int]:
    """Radical or stroke code point -> its equivalent unified ideograph."""
    text = resources.files(__name__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    table: dict[int, int] = {}
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        source, target = (part.strip() for part in data.split(";"))
        first, _, last = source.partition("..")
        for code in range(int(first, 16), int(last or first, 16) + 1):
            table[code] = int(target, 16)
    return table


def _fold_char(ch: str) -> str:
    code = ord(ch)
    mapped = equivalents().get(code)
    if mapped is not None:
        return chr(mapped)
    if 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F:
        return unicodedata.normalize("NFC", ch)  # a compatibility ideograph's canonical equivalent
    if 0x2F00 <= code <= 0x2FDF:
        return unicodedata.normalize("NFKC", ch)  # a Kangxi radical the table does not list
    return ch


def fold(text: str) -> str:
    """`text` with every radical, stroke or compatibility ideograph replaced by its unified ideograph;
    everything else (full-width punctuation included, which is the domain's own) as it was."""
    if not _NEEDS_FOLD.search(text):
        return text
    return _NEEDS_FOLD.sub(lambda m: _fold_char(m.group(0)), text)


def is_han(ch: str) -> bool:
    """A unified ideograph (the URO, its extensions, and the twelve unified ideographs of the
    compatibility block)."""
    code = ord(ch)
    if any(low <= code <= high for _, low, high in HAN_BLOCKS):
        return True
    return 0xFA0E <= code <= 0xFA29 and unicodedata.normalize("NFC", ch) == ch


def _latin_letter(ch: str) -> bool:
    return ch.isalpha() and (ch.isascii() or "LATIN" in unicodedata.name(ch, ""))


def foreign_characters(name: str) -> list[str]:
    """The characters of a personal name that are neither Han ideographs, nor the middle dot of a
    minority name, nor the Latin letters of a foreign one: a name holding one is not replied."""
    return [ch for ch in dict.fromkeys(name) if not (is_han(ch) or ch == "·" or _latin_letter(ch))]
