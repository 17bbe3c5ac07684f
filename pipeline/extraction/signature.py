"""The signature block: the signing unit and the letter's own date.

The date is the one under the signature — a line that is only a date (with
perhaps the unit or a seal marker beside it) — never a date inside a body
sentence such as "2021年公开招聘". The unit is the line just above it, without
（加盖公章）; when there is no signature the letterhead stands in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.domain.letter import Source
from pipeline.extraction.lines import Line
from pipeline.extraction.text import DATE_RE, compact, fold_digits, parse_date_match, strip_seal

NOT_UNIT = re.compile(
    r"[。：:；;？！]|联系|电话|附件|抄送|印发|此页无正文|特此|为盼|请予|支持|感谢|盼复|函达|^[（(]|^此致|^敬礼"
)
UNIT_END = re.compile(
    r"(厅|局|部|委|委员会|办|办公室|中心|院|大学|学院|学校|医院|公司|集团|所|站|会|处|馆|队|政府|社|团|室|科|司|署|行|组|馆|园|台|校|府)$"
)
LETTERHEAD = re.compile(r"^(?P<unit>.+?)(文件|公函|函件|便函|函)?$")
ONLY_SEAL = re.compile(r"^[（(]?\s*(加盖)?\s*(公章|印章|盖章|章)\s*[)）]?$")


@dataclass(slots=True)
class Signature:
    unit: str | None = None
    unit_source: Source | None = None
    date: dt.date | None = None
    date_source: Source | None = None
    date_index: int | None = None


def _date_line(line: Line) -> tuple[dt.date, str] | None:
    """(date, text before the date) when the line ends with a date (seal markers aside)."""
    text = strip_seal(fold_digits(line.compact))
    text = re.sub(r"(加盖公章|盖章)$", "", text)
    text = re.sub(r"([（(][^（）()]*[)）])+$", "", text)  # （此件公开发布） after the date
    matches = list(DATE_RE.finditer(text))
    m = matches[-1] if matches else None
    if m is None or text[m.end() :].strip():
        return None
    before = text[: m.start()]
    if re.search(r"[：:。，,]|日期|时间|截至|印发", before):
        return None
    day = parse_date_match(m)
    return (day, before) if day else None


def _clean_unit(text: str) -> str:
    text = strip_seal(compact(text))
    return re.sub(r"(加盖公章|盖章|公章)$", "", text).strip("　 ")


def _is_unit(text: str) -> bool:
    return 2 <= len(text) <= 60 and not NOT_UNIT.search(text) and not re.search(r"[0-9]{3,}", text)


def find_signature(lines: list[Line], *, after: int = 0) -> Signature:
    """Search from the end for the signature date, then the unit just above it."""
    sig = Signature()
    for k in range(len(lines) - 1, after - 1, -1):
        found = _date_line(lines[k])
        if not found:
            continue
        sig.date, before = found
        sig.date_source, sig.date_index = lines[k].source(1.0), k
        unit = _clean_unit(before)
        if unit and _is_unit(unit):
            sig.unit, sig.unit_source = unit, lines[k].source(0.9, unit)
            return sig
        found_at: int | None = None
        for j in range(k - 1, max(after, k - 5) - 1, -1):
            text = _clean_unit(lines[j].text)
            if not text or ONLY_SEAL.match(compact(lines[j].text)):
                continue
            if found_at is None and _is_unit(text):
                found_at = j
                continue
            if found_at is not None and _is_unit(text) and UNIT_END.search(text):
                found_at = j  # signed jointly, one unit above the other: the first printed signs first
                continue
            break
        if found_at is not None:
            text = _first_unit(lines[found_at].text)
            confidence = 1.0 if UNIT_END.search(text) else 0.8
            sig.unit, sig.unit_source = text, lines[found_at].source(confidence, text)
        return sig
    return sig


def _first_unit(raw: str) -> str:
    """The left unit of two signed side by side ("陕西省人力资源和社会保障厅　　陕西省公务员局")."""
    parts = [p for p in re.split(r"[ \t\u3000]+", strip_seal(raw.strip())) if p.strip()]
    units = [_clean_unit(p) for p in parts]
    if len(units) >= 2 and all(len(u) >= 4 and UNIT_END.search(u) for u in units):
        return units[0]
    return _clean_unit(raw)


def letterhead_unit(lines: list[Line], stop: int) -> tuple[str, Source] | None:
    """Fallback: the letterhead above the 文号/title, e.g. 陕西省人力资源和社会保障厅文件."""
    for line in lines[:stop]:
        text = compact(line.text)
        if DATE_RE.search(fold_digits(text)) or not _is_unit(text):
            continue
        m = LETTERHEAD.match(text)
        unit = m.group("unit") if m else text
        if UNIT_END.search(unit):
            return unit, line.source(0.6, unit)
    return None
