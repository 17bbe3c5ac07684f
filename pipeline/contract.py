"""The extraction contract: a Letter as the JSON other tools score against.

Keys and meanings are fixed by the extraction issue; extra keys (sources,
stated_count ...) are allowed and used by the review console.
"""

from __future__ import annotations

from pipeline.domain.letter import Letter, Person


def person_to_json(person: Person, *, with_sources: bool = True) -> dict:
    data: dict = {
        "name": person.name,
        "id_number": person.id_number,
        "problems": list(person.problems),
        "notes": list(person.notes),
    }
    if person.seq is not None:
        data["seq"] = person.seq
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
    if with_sources:
        data["sources"] = {key: src.to_json() for key, src in letter.sources.items()}
    return data
