"""Small pieces of the body walk: one paragraph's collected text, list labels, text boxes, symbols."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from pipeline.reading.docx_reader.tags import _PAGE_BREAK, MC_ALT, V_TEXTPATH, W_TXBX, _choose


@dataclass(slots=True)
class _Para:
    """What one w:p yields: its text, dominant formatting and the text boxes it anchors."""

    parts: list[str] = field(default_factory=list)
    nonblank: bool = False
    boxes: list[tuple[bool, etree._Element]] = field(default_factory=list)  # (before text?, txbxContent)
    sizes: dict[float, int] = field(default_factory=dict)
    bold_chars: int = 0
    chars: int = 0

    def text(self) -> str:
        text = "".join(self.parts)
        if _PAGE_BREAK in text:
            text = text.strip(_PAGE_BREAK).replace(_PAGE_BREAK, "\n")
        return text


def _labelled(label: str | None, text: str) -> str:
    if label is None:
        return text
    return label + text if text else label.rstrip()


def _find_boxes(el: etree._Element) -> list[etree._Element]:
    """Text containers inside a drawing/pict/object, reading one AlternateContent branch:
    w:txbxContent (text boxes, DrawingML WordArt) and v:textpath (VML WordArt, as
    old Word and WPS write red letterheads)."""
    out: list[etree._Element] = []
    stack = [el]
    while stack:
        node = stack.pop()
        if node.tag == W_TXBX or node.tag == V_TEXTPATH:
            out.append(node)
            continue
        if node.tag == MC_ALT:
            branch = _choose(node)
            if branch is not None:
                stack.append(branch)
            continue
        stack.extend(reversed(node))
    return out


def _symbol(code: str | None) -> str:
    """w:sym: a character from a symbol font; private-use (Symbol/Wingdings) glyphs are dropped."""
    try:
        value = int(code or "", 16)
    except ValueError:
        return ""
    if 0xE000 <= value <= 0xF8FF or value < 0x20:
        return ""
    return chr(value)
