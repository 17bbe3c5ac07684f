"""Names with rare characters get an answer (GB 18030-2022: names are why it is mandatory).

Found on letters from producers the project had not seen: a letter naming 𫭟 (U+2BB5F, Extension E)
was refused because the reply's fonts had no glyph. Safe, but the person got no answer. The reply's
font chain now falls back to Debian faces that cover the extensions (HanaMinA/B, BabelStone Han),
installed by `make setup` and `.ci/run` like the main font.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from docx import Document as Docx

from pipeline.ideographs import HAN_BLOCKS
from pipeline.reply.fonts import coverage, find_fonts
from tests.builders.spec import make_id
from tests.review_office import drop, state
from tests.service_letters import spec_for

MUST_COVER = {"CJK Unified Ideographs", "Extension A", "Extension B", "Extension C", "Extension D",
              "Extension E", "Extension F"}  # fmt: skip


def test_the_reply_font_chain_has_a_glyph_for_every_ideograph_of_the_uro_and_extensions_a_to_f() -> None:
    fonts = find_fonts()
    lines = []
    for name, low, high in HAN_BLOCKS:
        have, total = coverage(fonts, low, high), high - low + 1
        lines.append(f"{name}: {have}/{total}")
        if name in MUST_COVER:
            assert have == total, f"{name}: {have} of {total}"
    print("font chain coverage: " + "; ".join(lines))  # G, H and I as far as a Debian font allows


RARE = [("王𠀀", "B"), ("李𫭟", "E"), ("张𰀀", "G")]  # U+20000, U+2BB5F, U+30000


def test_a_reply_naming_characters_from_extensions_b_e_and_g_renders_and_reads_back_exactly(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    spec = spec_for(71)
    spec.people = [
        (name, make_id("610102", f"199{i}0101", "12" + str(i))) for i, (name, _) in enumerate(RARE)
    ]
    case_id = drop(service, "rare.docx", spec)
    assert state(ctx, case_id) == "replied"
    pdf = next(service.folders.outbox.glob("*.pdf"))
    document = pdfium.PdfDocument(str(pdf))
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    docx = next(service.folders.outbox.glob("*.docx"))
    cells = "".join(c.text for t in Docx(str(docx)).tables for row in t.rows for c in row.cells)
    for name, _ in RARE:
        assert name in text and name in cells, name
    xml = Path(docx).read_bytes()  # the docx names the face that has each rare character
    import zipfile

    with zipfile.ZipFile(docx) as zf:
        body = zf.read("word/document.xml").decode()
    assert "HanaMinB" in body and "BabelStone Han" in body, len(xml)
