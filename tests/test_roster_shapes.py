"""Roster and signature shapes of other provinces' letters, each one call of the builders away."""

from __future__ import annotations

from pipeline.document import Cell, Location, Table
from pipeline.extraction import extract
from tests.builders.model_builder import build_document
from tests.builders.spec import LetterSpec
from tests.service_letters import spec_for


def _people(letter) -> list[tuple[str, str]]:
    return [(p.name, p.id_number) for p in letter.people]


def _with_row(spec: LetterSpec, row: list[str]):
    """The spec's document with one more row ruled into the roster table."""
    document = build_document(spec)
    table = next(b for b in document.blocks if isinstance(b, Table))
    r = len(table.rows)
    table.rows.append([Cell(text, Location(table=0, row=r, col=c)) for c, text in enumerate(row)])
    return document


def test_a_contact_line_ruled_into_the_roster_table_is_the_contact_not_a_person() -> None:
    """Regression (photo s017 shape): 联系人：丁子宇，联系电话 | 0311-58364081 as the table's last row
    became a person with a 12-digit ID, and the letter had no contact."""
    spec = spec_for(61, people=4)
    spec.contact_line = None
    letter = extract(_with_row(spec, ["", "联系人：丁子宇，联系电话", "0311-58364081"]))
    assert _people(letter) == spec.people
    assert (letter.contact.name, letter.contact.phone) == ("丁子宇", "0311-58364081")
