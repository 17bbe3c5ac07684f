"""The roster sent beside the letter: which attachment holds it, and whether it agrees with the letter.

A letter whose own text has no roster takes its people from the attachments,
the one its 附件 line names first (a file named 2024年拟录用人员名单.xlsx for
"附件：2024年拟录用人员名单"). When the letter lists people itself and an
attachment lists others, neither is guessed right: a clerk compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipeline.document import Attachment, Document
from pipeline.extraction.lines import Line
from pipeline.extraction.roster import Roster, find_roster
from pipeline.extraction.text import compact

ATTACHMENT_LINE = re.compile(r"^附件[0-9一二三四五六七八九十]*[:：]?(?P<what>.*)$")

NOTE_FROM_ATTACHMENT = "查询对象名单取自随函附件“{name}”"
NOTE_SAME = "随函附件“{name}”中的名单与正文名单一致"
PROBLEM_DIFFERENT = "来函正文名单（{here}人）与随函附件“{name}”中的名单（{there}人）不一致，请核对后更正"


@dataclass(slots=True)
class Merged:
    roster: Roster
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def named_first(attachments: list[Attachment], lines: list[Line]) -> list[Attachment]:
    """The attachments, those the letter's 附件 lines name most closely first."""
    named = [m.group("what") for line in lines if (m := ATTACHMENT_LINE.match(line.compact))]
    wanted = compact("".join(named))

    def closeness(a: Attachment) -> int:
        stem = compact(PurePosixPath(a.name).stem)
        return -sum(1 for ch in set(stem) if ch in wanted)

    return sorted(attachments, key=closeness)  # stable: equally close ones keep the sender's order


def merge(document: Document, roster: Roster, lines: list[Line]) -> Merged:
    out = Merged(roster)
    offset = len(document.blocks)
    for k, attachment in enumerate(named_first(document.attachments, lines)):
        out.notes.extend(n for n in attachment.document.notes if n not in out.notes)
        out.problems.extend(attachment.document.problems)
        found = find_roster(attachment.document)
        if not found.entries:
            continue
        if not roster.entries:
            for entry in found.entries:
                entry.block += offset * (k + 1)  # after the letter's own blocks, attachment by attachment
            out.roster = Roster([*out.roster.entries, *found.entries], out.roster.tables, found.from_text)
            out.notes.append(NOTE_FROM_ATTACHMENT.format(name=attachment.name))
            continue
        here, there = {e.id_raw for e in roster.entries}, {e.id_raw for e in found.entries}
        if here == there:
            out.notes.append(NOTE_SAME.format(name=attachment.name))
        else:
            out.problems.append(
                PROBLEM_DIFFERENT.format(here=len(here), name=attachment.name, there=len(there))
            )
    return out
