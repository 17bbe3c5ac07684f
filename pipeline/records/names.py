"""Name comparison key: how two spellings of one name are recognised as the same."""

from __future__ import annotations

import re
import unicodedata

# Middle dots in minority names arrive as any of these; the canonical one is U+00B7.
_DOTS = re.compile(r"[\u00b7\u2022\u2027\u2219\u30fb\uff65\u22c5\u0387\u16eb\u2e31\u318d\uff0e.]")
_SPACE = re.compile(r"\s+")


def clean_name(text: str) -> str:
    """A name as stored and printed: whitespace out, middle dots unified, full-width folded."""
    folded = unicodedata.normalize("NFKC", text)
    return _DOTS.sub("\u00b7", _SPACE.sub("", folded))


def name_key(text: str) -> str:
    """The comparison key of a name (currently the cleaned name itself)."""
    return clean_name(text)
