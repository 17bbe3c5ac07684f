"""Document numbers (发文字号, 文号): find and normalise.

Letters print the year in many brackets — 〔〕 [] （） () 【】 ［］ ﹝﹞ 〖〗 —
with full-width digits or stray spaces. The office's standard form is
`陕人社函〔2021〕88号`.
"""

from __future__ import annotations

import re
import unicodedata

OPEN_BRACKETS = "〔[（(【［﹝〖｛{⟦〘"
CLOSE_BRACKETS = "〕]）)】］﹞〗｝}⟧〙"

# A prefix is the issuing organ's abbreviation plus the document type (函, 发, 字 ...):
# CJK characters, possibly with a few Latin letters or digits inside (e.g. 陕2字).
_PREFIX = r"[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9]{0,19}?"
_SP = r"[\s\u3000]*"
DOC_NUMBER_RE = re.compile(
    rf"(?P<prefix>{_PREFIX}){_SP}[{re.escape(OPEN_BRACKETS)}]{_SP}(?P<year>(?:19|20)\d{{2}}){_SP}"
    rf"[{re.escape(CLOSE_BRACKETS)}]{_SP}(?P<num>\d{{1,5}}){_SP}号"
)


def fold(text: str) -> str:
    """Full-width digits and letters to half-width, keeping CJK punctuation as is."""
    out = []
    for ch in text:
        if "０" <= ch <= "９" or "Ａ" <= ch <= "Ｚ" or "ａ" <= ch <= "ｚ":
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def find_doc_numbers(text: str) -> list[tuple[str, int, int]]:
    """Every document number in `text`: (normalised, start, end) in folded-text offsets."""
    folded = fold(text)
    found = []
    for m in DOC_NUMBER_RE.finditer(folded):
        prefix = re.sub(r"\s+", "", m.group("prefix"))
        found.append((f"{prefix}〔{m.group('year')}〕{int(m.group('num'))}号", m.start(), m.end()))
    return found


def normalise_doc_number(text: str) -> str | None:
    """The single document number in `text`, normalised; None when there is none."""
    found = find_doc_numbers(text)
    return found[0][0] if found else None
