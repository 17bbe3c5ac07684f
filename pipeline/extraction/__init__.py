"""Extraction: a read Document -> a Letter with provenance, problems and notes.

The steps, in order (each a small module):
    roster     who is asked about (tables, or text lines)
    lines      the remaining text as ordered lines
    header     the letter's own 文号, title, addressee
    signature  the signing unit and the letter's date
    contact    联系人 and phone
    kind       civil servant or public institution
    validation ID checks per person; letter-level problems and notes
"""

from __future__ import annotations

import datetime as dt
import logging

from pipeline.document import Document
from pipeline.domain.letter import Contact, Letter, Person
from pipeline.domain.reasons import Problem, ReasonCode
from pipeline.errors import LooseAttachment, NotALetter
from pipeline.extraction import attachments, crosscheck, validation
from pipeline.extraction.contact import find_contact
from pipeline.extraction.header import find_head
from pipeline.extraction.kind import classify
from pipeline.extraction.lines import Line, build_lines
from pipeline.extraction.objection import find_objection
from pipeline.extraction.roster import RosterEntry, find_roster
from pipeline.extraction.signature import find_signature, letterhead_unit

log = logging.getLogger(__name__)

NOTE_FROM_SCAN = "来自扫描件"
LOW_NAME_CONFIDENCE = 0.8
CONFIRM_NAME = "姓名识别置信度较低，请对照原件确认"
CONFIRM_ID_REPAIRED = "身份证号码经扫描识别自动纠错，请对照原件确认"


def extract(document: Document, *, today: dt.date | None = None) -> Letter:
    """Everything a reply needs from one letter; raises NotALetter when nothing letter-like is found."""
    today = today or dt.date.today()
    if document.source_type == "sheet":  # a roster on its own: its letter is elsewhere
        raise LooseAttachment("a spreadsheet on its own is an attachment, not a letter")
    roster = find_roster(document)
    lines = build_lines(document, roster.tables, roster.statements)
    merged = attachments.merge(document, roster, lines) if document.attachments else None
    if merged is not None:
        roster = merged.roster
    header_lines = [Line(i, p.text, p.location, p.confidence) for i, p in enumerate(document.headers)]

    head = find_head(lines, header_lines)
    body_start = head.addressee_index if head.addressee_index is not None else (head.title_end or 0)
    signature = find_signature(lines, after=body_start)
    contact = find_contact(lines)
    body_text = "\n".join(line.text for line in lines[body_start : signature.date_index or len(lines)])
    kind, kind_confidence = classify(head.title, body_text)

    letter = Letter(
        kind=kind,
        doc_number=head.doc_number,
        unit=signature.unit,
        date=signature.date,
        addressee=head.addressee,
        contact=Contact(contact.name, contact.phone),
        title=head.title,
        from_scan=document.is_ocr,
    )
    sources = {
        "doc_number": head.doc_number_source,
        "title": head.title_source,
        "addressee": head.addressee_source,
        "unit": signature.unit_source,
        "date": signature.date_source,
        "contact.name": contact.name_source,
        "contact.phone": contact.phone_source,
    }
    if letter.unit is None:
        stop = head.addressee_index if head.addressee_index is not None else min(len(lines), 6)
        fallback = letterhead_unit(lines, stop)
        if fallback:
            letter.unit, sources["unit"] = fallback
            letter.notes.append("落款单位未找到，已按文头识别来函单位，请核对")
    if kind is not None and head.title_source is not None:
        sources["kind"] = head.title_source if kind_confidence == 1.0 else None
    letter.sources = {k: v for k, v in sources.items() if v is not None}

    letter.objection = find_objection(head.title, body_text, head.doc_number)
    letter.people = [_person(entry, document, today) for entry in roster.entries]
    letter.stated_count = validation.stated_count([p.text for p in document.paragraphs()])
    if document.is_ocr:
        letter.notes.append(NOTE_FROM_SCAN)
    letter.notes.extend(n for n in document.notes if n not in letter.notes)
    reader_problems = [*document.problems, *(merged.problems if merged else [])]
    letter.problems.extend(
        Problem(p, ReasonCode.DOCUMENT) for p in reader_problems if p not in letter.problems
    )
    if merged is not None:
        letter.notes.extend(n for n in merged.notes if n not in letter.notes)
    if not letter.people and not _looks_like_letter(letter, lines):
        raise NotALetter(f"no roster and no letter features in {len(document.blocks)} blocks")
    if document.second_reading is not None:  # a born-digital PDF read a second way
        crosscheck.disagree(letter, document.second_reading, people=merged is None)
    validation.validate_letter(letter, today)
    log.debug(
        "extracted letter: kind=%s doc_number=%s people=%d problems=%d",
        letter.kind, letter.doc_number, len(letter.people), len(letter.blocking_reasons),
    )  # fmt: skip
    return letter


def _person(entry: RosterEntry, document: Document, today: dt.date) -> Person:
    person = Person(
        name=entry.name,
        id_number=entry.id_raw,
        seq=entry.seq,
        name_source=entry.name_source,
        id_source=entry.id_source,
        id_as_printed=entry.id_source.text if entry.id_source else None,
        id_from_number=entry.from_number,
    )
    if entry.note:
        person.notes.append(entry.note)
    if entry.confirm:
        person.confirm.append(entry.confirm)
    if document.is_ocr:
        _repair_ocr_id(person)
        if person.name_source and person.name_source.confidence < LOW_NAME_CONFIDENCE:
            person.confirm.append(CONFIRM_NAME)
    validation.validate_person(person, today)
    return person


def _repair_ocr_id(person: Person) -> None:
    """OCR confuses 0/O, 1/I, 8/B ...: accept a repair only when exactly one candidate is valid."""
    try:
        from pipeline.domain.ocr_repair import repair_id
    except ImportError:  # the OCR extra is optional
        return
    result = repair_id(person.id_number)
    if result.repaired:
        person.id_number = result.id
        person.confirm.append(CONFIRM_ID_REPAIRED)
    elif result.ambiguous:
        person.notes.append(f"扫描识别的身份证号码有{len(result.candidates)}种可能的纠正，无法自动确定")


def _looks_like_letter(letter: Letter, lines: list[Line]) -> bool:
    features = sum(bool(x) for x in (letter.doc_number, letter.addressee, letter.title, letter.date))
    text = "".join(line.compact for line in lines)
    return features >= 2 and ("信用" in text or "查询" in text)
