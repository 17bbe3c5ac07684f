"""A born-digital PDF's reply values, compared with a second, independent reading of its text layer.

A text layer can lie in ways no rule sees: Chromium printing an OA page put radical code points for
ordinary characters and cut the first character off a 文号; a font's ToUnicode map can name the
wrong character. The reader gives the same pages read by another library (pypdfium2), and every
value a reply prints — the unit, the addressee, the letter's 文号, each name and ID — must be found
in that reading too, after both are folded the same way. Where it is not, the letter is held with
the field named: a person compares it with the original.
"""

from __future__ import annotations

import re

from pipeline.domain.letter import Letter
from pipeline.domain.reasons import Problem, ReasonCode
from pipeline.extraction.text import fold_digits
from pipeline.ideographs import fold

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_BRACKETS = str.maketrans({c: "(" for c in "〔[［【（〖"} | {c: ")" for c in "〕]］】）〗"})
_DOTS = str.maketrans({c: "·" for c in "•・‧∙⋅●．"})


def key(text: str) -> str:
    """Both readings compared as a person compares them: no spaces, one kind of bracket and dot,
    half-width digits and letters, radicals folded, X upper-case."""
    return fold_digits(fold(_SPACE.sub("", text))).translate(_BRACKETS).translate(_DOTS).upper()


FIELDS = (("unit", "来函单位"), ("addressee", "主送单位"), ("doc_number", "来函文号"))


def disagree(letter: Letter, second: str, *, people: bool = True) -> None:
    """Add a problem for each reply value the second reading does not hold (letter fields: confirmed
    by a person after comparing with the original; names and IDs: corrected)."""
    other = key(second)
    for attr, label in FIELDS:
        value = getattr(letter, attr)
        if value and key(value) not in other:
            letter.problems.append(
                Problem(
                    f"{label}“{value}”与PDF文字层的另一种读法不一致（可能是形近字符或字符缺失），请对照原件核实",
                    ReasonCode.DOCUMENT,
                    f"{attr}≠second-reading:{value}",
                )
            )
    if not people:
        return
    for person in letter.people:
        if person.name and key(person.name) not in other:
            person.problems.append(
                Problem(
                    "姓名与PDF文字层的另一种读法不一致（可能是形近字符），请对照原件核实后更正",
                    ReasonCode.NAME_INVALID,
                )
            )
        printed = person.id_as_printed or person.id_number  # a 15-digit ID is compared as printed
        if printed and key(printed) not in other:
            person.problems.append(
                Problem(
                    "身份证号码与PDF文字层的另一种读法不一致，请对照原件核实后更正", ReasonCode.ID_INVALID
                )
            )
