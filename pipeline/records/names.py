"""Names as lists store them and as the check compares them: the extraction's own normalisation.

Using one function on both sides is what makes 阿卜杜拉•麦麦提 in a letter and
阿卜杜拉·麦麦提 in a list the same person's name.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.extraction.text import DOTS, WS_RE, normalise_name

_NEEDS_WORK = re.compile(rf"{WS_RE.pattern}|[{re.escape(DOTS)}]")


def clean_name(text: str) -> str:
    """A name without whitespace, with middle-dot look-alikes unified to U+00B7."""
    if unicodedata.is_normalized("NFC", text) and not _NEEDS_WORK.search(text):
        return text  # the common case, and an import's hot path
    return normalise_name(text)


def name_key(text: str) -> str:
    """The comparison key of a name (currently the cleaned name itself)."""
    return clean_name(text)
