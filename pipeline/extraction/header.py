"""The letter's head: its own 文号, its title, and the 主送 (addressee) line.

The 文号 is the letter's own only when it stands on its own line in the head
(under any letterhead, above the title); a number cited in the body, such as
《公务员调任规定》（中组发〔2019〕21号）, is never it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.domain.docnumber import find_doc_numbers
from pipeline.domain.letter import Source
from pipeline.extraction.lines import Line
from pipeline.extraction.text import compact, fold_digits

TITLE_START = re.compile(r"^关于")
TITLE_END = re.compile(r"(的函|函|的请示|的申请|的报告|的通知|的公函)$")
SIGNER = re.compile(r"(签发人|签批人|会签)[:：]?[\u4e00-\u9fff·、\s]*")
MARKERS = re.compile(
    r"(特急|加急|特提|平急|急件|普通|无密级|内部|公开|秘密|机密|绝密)?(★[0-9]*年?)?|份号[:：]?[0-9]*|[0-9]{6}"
)
ADDRESSEE_HINT = re.compile(r"信息中心|信用办|信用|发展和改革|发改|牵头部门|中心|办公室|委员会|局|厅|办$")
ADDRESSEE_PREFIX = re.compile(r"^(主送|致|送)[:：]")


@dataclass(slots=True)
class Head:
    doc_number: str | None = None
    doc_number_source: Source | None = None
    title: str | None = None
    title_source: Source | None = None
    title_end: int | None = None  # index of the title's last line
    addressee: str | None = None
    addressee_source: Source | None = None
    addressee_index: int | None = None


def _find_title(lines: list[Line], limit: int) -> tuple[str, Source, int, int] | None:
    """关于…的函, possibly wrapped over several lines: (title, source, first index, last index)."""
    for i, line in enumerate(lines[:limit]):
        text = line.compact
        if not TITLE_START.match(text) or "。" in text or len(text) > 80:
            continue
        title, j = text, i
        while not TITLE_END.search(title) and j + 1 < min(len(lines), i + 4):
            nxt = lines[j + 1].compact
            if nxt.endswith(("：", ":")) or "。" in nxt or find_doc_numbers(nxt):
                break
            title, j = title + nxt, j + 1
        if TITLE_END.search(title) or "查询" in title:
            return title, line.source(1.0, title), i, j
    return None


def _own_doc_number(line: Line) -> str | None:
    """The line's 文号 when the line is (almost) nothing else.

    Allowed beside it: 签发人, a 文号 label, and whole-token markers such as
    特急 or 机密★1年 (only as separate tokens: 陕公开函 keeps its 公开)."""
    text = SIGNER.sub(" ", fold_digits(line.text))
    text = re.sub(r"^\s*(发文字号|文号|发文号)\s*[:：]", "", text)
    tokens = [t for t in text.split() if not MARKERS.fullmatch(t)]
    text = "".join(tokens)
    found = find_doc_numbers(text)
    if len(found) != 1:
        return None
    number, start, end = found[0]
    rest = text[:start] + text[end:]
    return number if len(rest) <= 2 else None


def find_head(lines: list[Line], header_lines: list[Line]) -> Head:
    head = Head()
    limit = min(len(lines), 25)
    title = _find_title(lines, limit)
    if title:
        head.title, head.title_source, first, head.title_end = title
    addressee_at = _find_addressee(lines, head, limit)
    # The head region: everything above the title (or above the addressee, or the first lines).
    stop = first if title else (addressee_at if addressee_at is not None else min(8, len(lines)))
    for line in lines[:stop]:
        number = _own_doc_number(line)
        if number:
            head.doc_number, head.doc_number_source = number, line.source(1.0)
            break
    if head.doc_number is None and title and head.title_end is not None:
        # Some letters put the 文号 right under the title, before the addressee.
        end = addressee_at if addressee_at is not None else min(head.title_end + 3, len(lines))
        for line in lines[head.title_end + 1 : end]:
            number = _own_doc_number(line)
            if number:
                head.doc_number, head.doc_number_source = number, line.source(0.8)
                break
    if head.doc_number is None:
        # Sharing its line with something else (a letterhead, a date): still the head's only number.
        for line in lines[:stop]:
            found = find_doc_numbers(fold_digits(line.compact))
            if len(found) == 1 and "《" not in line.text:
                head.doc_number, head.doc_number_source = found[0][0], line.source(0.6)
                break
    if head.doc_number is None:
        for line in header_lines:  # printed in the page header by some templates
            number = _own_doc_number(line)
            if number:
                head.doc_number, head.doc_number_source = number, line.source(0.7)
                break
    return head


def _find_addressee(lines: list[Line], head: Head, limit: int) -> int | None:
    start = (head.title_end + 1) if head.title_end is not None else 0
    window = lines[start : start + 6] if head.title_end is not None else lines[:limit]
    for k, line in enumerate(window):
        text = line.compact.replace("∶", "：")
        text = ADDRESSEE_PREFIX.sub("", text)
        m = re.match(r"^(?P<who>[^：:。，,；;]{2,80}?)[:：](?P<rest>.*)$", text)
        if not m and text.endswith("、") and k + 1 < len(window):
            # two or three addressees, wrapped after a 、: "省发展改革委、" / "省信用办："
            line = window[k + 1]
            text += line.compact.replace("∶", "：")
            m = re.match(r"^(?P<who>[^：:。，,；;]{2,80}?)[:：](?P<rest>.*)$", text)
        if not m:
            continue
        who, rest = m.group("who"), m.group("rest")
        if re.search(r"联系|附件|电话|文号|签发人|抄送", who):
            continue
        if rest and (len(rest) < 10 or not ADDRESSEE_HINT.search(who)):
            continue  # "label：value" lines are not the 主送 line unless a body sentence follows it
        head.addressee = who
        head.addressee_source = line.source(1.0 if ADDRESSEE_HINT.search(who) else 0.7, who)
        head.addressee_index = line.index
        return line.index
    for line in lines:  # 主送 printed in the colophon (版记) at the end
        m = re.match(r"^主送[:：](?P<who>[^。]{2,60}?)[。.]?$", line.compact)
        if m:
            head.addressee, head.addressee_source = m.group("who"), line.source(0.9, m.group("who"))
            return None  # no position in the head: the body is not known to start here
    return None


def strip_trailing_colon(text: str) -> str:
    return compact(text).rstrip("：:")
