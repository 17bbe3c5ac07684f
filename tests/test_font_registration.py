"""Regression (issue 21): the reply's condensed body face narrowed a font shared with everyone else.

reportlab hands a TrueType font registered under a new name the font first registered with the same
face name. The reply registers its body face condensed to 28 characters a line; any later font of
the same file (the reply's own plain 黑体, or a PDF written by other code in the process) got those
narrowed widths, and a font registered before the reply's made the reply's body full width.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.reply import fonts
from pipeline.reply import layout as L

FACE = next((p for p in (*fonts.BODY_CANDIDATES, *fonts.HEI_CANDIDATES) if p.exists()), None)
pytestmark = pytest.mark.skipif(FACE is None, reason="no CJK TrueType face (make setup installs one)")

WIDE = "王"  # a full-width ideograph: 1000/1000 em in every CJK face


def _width(name: str) -> float:
    return pdfmetrics.stringWidth(WIDE, name, 1000)


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty reportlab registry and reply font cache, so the order of registration is the test's."""
    monkeypatch.setattr(pdfmetrics, "_fonts", {})
    monkeypatch.setattr(pdfmetrics, "_dynFaceNames", {})
    monkeypatch.setattr(fonts, "_registered", {})


def _outsider(name: str, path: Path) -> str:
    """A font of the same file registered by other code in the process, as reportlab is used."""
    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def test_the_condensed_body_face_leaves_a_later_font_of_the_same_file_full_width(fresh_registry) -> None:  # type: ignore[no-untyped-def]
    assert FACE is not None
    body = fonts._load(FACE, condensed=True)
    other = _outsider("Outsider", FACE)
    plain = fonts._load(FACE, condensed=False)
    assert _width(body) == L.PDF_CJK_ADVANCE < 1000
    assert _width(other) == 1000 and _width(plain) == 1000


def test_a_font_registered_first_does_not_make_the_reply_body_full_width(fresh_registry) -> None:  # type: ignore[no-untyped-def]
    assert FACE is not None
    other = _outsider("Outsider", FACE)
    body = fonts._load(FACE, condensed=True)
    assert _width(other) == 1000 and _width(body) == L.PDF_CJK_ADVANCE
