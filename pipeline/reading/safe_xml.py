"""The one XML parser for untrusted files (.docx parts, OFD parts): no entities, no network, no DTD."""

from __future__ import annotations

from lxml import etree

PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=True
)


def unwrap_entities(root: etree._Element) -> bool:
    """Drop unresolved entity references, keeping the text after them where it belongs.

    lxml leaves `&xxe;` as a node whose tail holds the rest of the text; read as
    a w:t's .text only, 陕西省&xxe;人力资源和社会保障厅 was cut to 陕西省.
    """
    found = False
    for entity in list(root.iter(etree.Entity)):
        found = True
        parent, previous, tail = entity.getparent(), entity.getprevious(), entity.tail or ""
        if parent is None:
            continue
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(entity)
    return found
