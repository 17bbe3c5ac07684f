"""Personal names as letters print them, lists store them and the check compares them.

One normalisation on both sides is what makes 阿卜杜拉•麦麦提 in a letter and
阿卜杜拉·麦麦提 in a list the same person's name. It lives in the domain, not in
extraction, because list imports and the check need it too.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.ideographs import fold

WS_RE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
DOTS = "·•・‧∙⋅●．.‐"  # middle dots people type in minority names

_INNER_DOTS = re.compile(rf"(?<=[{CJK}])[{re.escape(DOTS)}]+(?=[{CJK}])")
_NEEDS_WORK = re.compile(rf"{WS_RE.pattern}|[{re.escape(DOTS)}]")


def normalise_name(text: str) -> str:
    """王  伟 -> 王伟; any middle-dot look-alike between characters -> U+00B7; a radical that stands for
    an ideograph (钟⻜丽) -> the ideograph (钟飞丽)."""
    text = fold(unicodedata.normalize("NFC", WS_RE.sub("", text)))
    return _INNER_DOTS.sub("·", text)


def clean_name(text: str) -> str:
    """normalise_name, with a fast path for the common clean name (an import's hot loop)."""
    if unicodedata.is_normalized("NFC", text) and not _NEEDS_WORK.search(text) and fold(text) == text:
        return text
    return normalise_name(text)


def name_key(text: str) -> str:
    """The comparison key of a name (currently the cleaned name itself)."""
    return clean_name(text)
