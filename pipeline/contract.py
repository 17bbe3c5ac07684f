"""The extraction contract: a Letter as the JSON other tools score against.

Keys and meanings are fixed by the extraction issue; extra keys (sources,
stated_count ...) are allowed and used by the review console.
"""

from __future__ import annotations

import datetime as dt

from pipeline.domain.letter import Contact, Kind, Letter, ObjectionClaim, Person, Source
from pipeline.domain.reasons import Confirmation, Problem, ReasonCode, code_of, key_of


def person_to_json(person: Person, *, with_sources: bool = True) -> dict:
    data: dict = {
        "name": person.name,
        "id_number": person.id_number,
        "problems": list(person.problems),
        "notes": list(person.notes),
        "confirm": list(person.confirm),
    }
    if any(isinstance(p, Problem) for p in person.problems):
        data["problem_codes"] = [code_of(p).value for p in person.problems]
    if person.not_checked_by is not None:
        data["not_checked_by"] = person.not_checked_by
    if person.seq is not None:
        data["seq"] = person.seq
    if with_sources and person.id_as_printed is not None:
        data["id_as_printed"] = person.id_as_printed
    if person.id_from_number:
        data["id_from_number"] = True
    if with_sources:
        data["sources"] = {
            key: src.to_json()
            for key, src in (("name", person.name_source), ("id_number", person.id_source))
            if src is not None
        }
    return data


def letter_to_json(letter: Letter, *, with_sources: bool = True) -> dict:
    data: dict = {
        "kind": letter.kind.value if letter.kind else None,
        "doc_number": letter.doc_number,
        "unit": letter.unit,
        "date": letter.date.isoformat() if letter.date else None,
        "addressee": letter.addressee,
        "contact": {"name": letter.contact.name, "phone": letter.contact.phone},
        "people": [person_to_json(p, with_sources=with_sources) for p in letter.people],
        "problems": list(letter.problems),
        "notes": list(letter.notes),
        "title": letter.title,
        "stated_count": letter.stated_count,
        "from_scan": letter.from_scan,
    }
    if letter.problems:
        data["problem_codes"] = [code_of(p).value for p in letter.problems]
        if any(key_of(p) != str(p) for p in letter.problems):
            data["problem_keys"] = [key_of(p) for p in letter.problems]
    if letter.confirmed:
        data["confirmed"] = [c.to_json() for c in letter.confirmed]
    if letter.deleted_seqs:
        data["deleted_seqs"] = list(letter.deleted_seqs)
    if letter.objection is not None:
        data["objection"] = {"cited": list(letter.objection.cited), "reason": letter.objection.reason}
    if with_sources:
        data["sources"] = {key: src.to_json() for key, src in letter.sources.items()}
    return data


def letter_from_json(data: dict) -> Letter:
    """Inverse of letter_to_json: a case's letter read back, with where each value was read, so a
    corrected letter still shows its values on the original."""
    people = [
        Person(
            name=p.get("name") or "",
            id_number=p.get("id_number") or "",
            problems=_problems(p, ReasonCode.ID_INVALID),
            notes=list(p.get("notes") or []),
            confirm=list(p.get("confirm") or []),
            seq=p.get("seq"),
            not_checked_by=p.get("not_checked_by"),
            name_source=_source((p.get("sources") or {}).get("name")),
            id_source=_source((p.get("sources") or {}).get("id_number")),
            id_as_printed=p.get("id_as_printed"),
            id_from_number=bool(p.get("id_from_number")),
        )
        for p in data.get("people") or []
    ]
    contact = data.get("contact") or {}
    return Letter(
        kind=Kind(data["kind"]) if data.get("kind") else None,
        doc_number=data.get("doc_number"),
        unit=data.get("unit"),
        date=dt.date.fromisoformat(data["date"]) if data.get("date") else None,
        addressee=data.get("addressee"),
        contact=Contact(contact.get("name"), contact.get("phone")),
        people=people,
        problems=_problems(data, ReasonCode.DOCUMENT),
        notes=list(data.get("notes") or []),
        stated_count=data.get("stated_count"),
        title=data.get("title"),
        from_scan=bool(data.get("from_scan")),
        confirmed=[Confirmation.from_json(c) for c in data.get("confirmed") or []],
        deleted_seqs=[int(s) for s in data.get("deleted_seqs") or []],
        objection=ObjectionClaim(list(data["objection"].get("cited") or []), data["objection"].get("reason"))
        if data.get("objection")
        else None,
        sources={
            k: Source.from_json(v) for k, v in (data.get("sources") or {}).items() if isinstance(v, dict)
        },
    )


def _source(data: object) -> Source | None:
    return Source.from_json(data) if isinstance(data, dict) else None


def _problems(data: dict, default: ReasonCode) -> list[str]:
    """Problems with the codes stored beside them; JSON stored before codes existed gets `default`."""
    texts = list(data.get("problems") or [])
    codes = data.get("problem_codes") or []
    if len(codes) != len(texts):
        codes = [default] * len(texts)
    keys = data.get("problem_keys") or []
    if len(keys) != len(texts):
        keys = [None] * len(texts)
    return [Problem(t, ReasonCode(c), k) for t, c, k in zip(texts, codes, keys, strict=True)]
