"""The .docx zip package: parts, relationships, bounded part sizes, Strict and transitional namespaces."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from pipeline.errors import CorruptFile
from pipeline.reading.docx_reader.tags import _MAX_PART_BYTES, _MAX_TOTAL_BYTES, _STRICT_NS, W_NS
from pipeline.reading.safe_xml import PARSER as _PARSER
from pipeline.reading.safe_xml import unwrap_entities as _unwrap_entities

# --- the package ---------------------------------------------------------------


class _Package:
    """The zip, read leniently: parts found by relationship, then by conventional name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf = zipfile.ZipFile(path)
        self.names = {n.replace("\\", "/").lstrip("/").lower(): n for n in self.zf.namelist()}
        self.entities = False  # a part held entity references (never resolved; Word writes none)
        self.spent = 0  # bytes of the parts read so far, inflated

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def read(self, name: str) -> bytes:
        info = self.zf.getinfo(self.names[name.lower()])
        self.spent += info.file_size
        if info.file_size > _MAX_PART_BYTES or self.spent > _MAX_TOTAL_BYTES:
            raise CorruptFile(
                f"{self.path.name}: part {name} is implausibly large ({info.file_size} bytes)",
                "该 Word 文件内部数据异常（内容过大），无法读取，请向来函单位索取正常的文件。",
            )
        return self.zf.read(info)

    def read_xml_bytes(self, name: str) -> bytes:
        """A part's bytes with Strict namespaces rewritten to Transitional."""
        data = self.read(name)
        for strict, transitional in _STRICT_NS:
            if strict in data:
                data = data.replace(strict, transitional)
        return data

    def xml(self, name: str) -> etree._Element:
        data = self.read_xml_bytes(name)
        root = etree.fromstring(data, _PARSER)
        ns = etree.QName(root).namespace
        if ns and ns != W_NS:
            # An unknown WordprocessingML dialect namespace: read it as the standard one.
            root = etree.fromstring(data.replace(ns.encode(), W_NS.encode()), _PARSER)
        self.entities |= _unwrap_entities(root)
        return root

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part name) for a part's relationships; [] when absent or unreadable."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_name):
            return []
        try:
            root = etree.fromstring(self.read(rels_name), _PARSER)
        except etree.XMLSyntaxError:
            return []
        out = []
        for rel in root:
            if not isinstance(rel.tag, str) or etree.QName(rel).localname != "Relationship":
                continue
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            if target.startswith("/"):
                name = target.lstrip("/")
            else:
                name = posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Id", ""), rel.get("Type", ""), name))
        return out

    def main_part(self) -> str | None:
        for _, rtype, name in self.rels(""):
            if rtype.endswith("/officeDocument") and self.has(name):
                return name
        if self.has("word/document.xml"):
            return "word/document.xml"
        return next((n for n in self.names if n.endswith("/document.xml")), None)
