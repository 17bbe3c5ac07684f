"""An entity reference in a letter is never resolved and never cuts the value it sits in.

Found trying hostile input: `陕西省&xxe;人力资源和社会保障厅`, with xxe declared as an
external entity, was read as the unit 陕西省 and answered automatically.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.extraction import extract
from pipeline.reading import read_document
from pipeline.reading.docx_reader.reader import PROBLEM_ENTITIES
from tests.builders.docx_builder import build_docx
from tests.builders.spec import LetterSpec


def with_entity(src: Path, out: Path, secret: Path) -> Path:
    """The letter with an external entity declared and used inside every 人力资源 of the unit."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                head, sep, rest = text.partition("?>")
                doctype = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'
                text = head + sep + doctype + rest.replace("陕西省人力资源", "陕西省&xxe;人力资源")
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return out


def test_xxe_entity_is_not_resolved_and_does_not_cut_the_unit(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    letter_file = with_entity(build_docx(LetterSpec(), tmp_path / "a.docx"), tmp_path / "b.docx", secret)
    document = read_document(letter_file)
    text = "\n".join(p.text for p in document.paragraphs())
    assert "TOPSECRET" not in text and "&xxe;" not in text
    letter = extract(document)
    assert letter.unit == "陕西省人力资源和社会保障厅"
    assert PROBLEM_ENTITIES in letter.problems  # never answered automatically
    assert not letter.is_clean


def test_a_plain_letter_has_no_entity_problem(tmp_path: Path) -> None:
    letter = extract(read_document(build_docx(LetterSpec(), tmp_path / "a.docx")))
    assert PROBLEM_ENTITIES not in letter.problems
