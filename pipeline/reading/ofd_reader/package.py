"""The OFD container (GB/T 33190): its parts, found leniently, parsed safely, sizes bounded.

Producers differ in small ways the standard leaves open or that they get wrong:
part names in another case (DOC_0/Res vs Doc_0), absolute and relative
references, a missing OFD.xml, namespace prefixes or none. Every element is read
by its local name, so the namespace never matters.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import CorruptFile, EncryptedFile, NotALetter
from pipeline.reading.safe_xml import PARSER, unwrap_entities

MAX_PART_BYTES = 50 * 1024 * 1024  # one page's XML is kilobytes; an image a few megabytes
MAX_TOTAL_BYTES = 400 * 1024 * 1024  # all parts read for one file, inflated
MM = 72 / 25.4  # OFD units are millimetres; the Document model speaks PDF points

_DAMAGED = "该 OFD 文件已损坏或不完整，无法读取，请向来函单位索取完整文件（或 PDF、.docx 文件）。"


def local(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c) == name]


def child(el: etree._Element, name: str) -> etree._Element | None:
    for c in el:
        if local(c) == name:
            return c
    return None


def descendant_text(el: etree._Element, path: tuple[str, ...]) -> str | None:
    node: etree._Element | None = el
    for name in path:
        node = child(node, name) if node is not None else None
    return (node.text or "").strip() if node is not None and node.text else None


def numbers(text: str | None) -> list[float]:
    out: list[float] = []
    for token in (text or "").replace(",", " ").split():
        try:
            out.append(float(token))
        except ValueError:
            continue
    return out


def box(text: str | None) -> tuple[float, float, float, float] | None:
    """An OFD box "x y w h" (mm)."""
    vals = numbers(text)
    return (vals[0], vals[1], vals[2], vals[3]) if len(vals) >= 4 else None


@dataclass(slots=True)
class Font:
    name: str
    bold: bool = False


@dataclass(slots=True)
class Resources:
    fonts: dict[str, Font] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # ID -> part name of the image file
    draw_params: dict[str, etree._Element] = field(default_factory=dict)


@dataclass(slots=True)
class PageRef:
    number: int
    part: str
    size: tuple[float, float]  # mm
    templates: list[str] = field(default_factory=list)  # part names, drawn underneath


class OfdPackage:
    """The zip and one document in it (the first DocBody: a letter is one document)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CorruptFile(f"{path.name}: OFD zip cannot be opened ({exc})", _DAMAGED) from exc
        self.names = {i.filename.replace("\\", "/").lstrip("/").lower(): i for i in infos}
        self.spent = 0
        self.entities = False
        self.resources = Resources()
        if any(n.rsplit("/", 1)[-1] in ("encryptions.xml", "encryption.xml") for n in self.names):
            raise EncryptedFile(
                f"{path.name}: OFD document is encrypted (GM/T 0099)",
                "该 OFD 文件已加密，无法读取，请向来函单位索取未加密的文件。",
            )

    # --- parts -----------------------------------------------------------------

    def resolve(self, ref: str, base: str) -> str:
        """A reference as written in part `base`: absolute from the root, else relative to its folder."""
        ref = ref.strip().replace("\\", "/")
        name = ref.lstrip("/") if ref.startswith("/") else posixpath.join(posixpath.dirname(base), ref)
        return posixpath.normpath(name).lstrip("/")

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def read(self, name: str) -> bytes:
        info = self.names.get(name.lower())
        if info is None:
            raise KeyError(name)
        self.spent += info.file_size
        if info.file_size > MAX_PART_BYTES or self.spent > MAX_TOTAL_BYTES:
            raise CorruptFile(
                f"{self.path.name}: part {name} is implausibly large ({info.file_size} bytes)",
                "该 OFD 文件内部数据异常（内容过大），无法读取，请向来函单位索取正常的文件。",
            )
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise CorruptFile(f"{self.path.name}: part {name} cannot be inflated ({exc})", _DAMAGED) from exc

    def xml(self, name: str) -> etree._Element:
        try:
            root = etree.fromstring(self.read(name), PARSER)
        except etree.XMLSyntaxError as exc:
            raise CorruptFile(
                f"{self.path.name}: part {name} is not well-formed XML ({exc})", _DAMAGED
            ) from exc
        if root is None:
            raise CorruptFile(f"{self.path.name}: part {name} is empty", _DAMAGED)
        self.entities |= unwrap_entities(root)
        return root

    # --- the document ----------------------------------------------------------

    def document_part(self) -> str:
        if self.has("OFD.xml"):
            root = self.xml("OFD.xml")
            for body in children(root, "DocBody"):
                ref = descendant_text(body, ("DocRoot",))
                if ref and self.has(self.resolve(ref, "OFD.xml")):
                    return self.resolve(ref, "OFD.xml")
        for name in sorted(self.names):  # a producer that left OFD.xml out but kept Doc_N/Document.xml
            if name.endswith("/document.xml") and name.count("/") == 1:
                return self.names[name].filename.replace("\\", "/").lstrip("/")
        raise NotALetter(
            f"{self.path.name}: OFD package without a document",
            "该 OFD 文件中没有正文文档（可能只含签名或附件），无法作为来函读取，请向来函单位索取正式文件。",
        )

    def pages(self) -> list[PageRef]:
        doc_part = self.document_part()
        root = self.xml(doc_part)
        common = child(root, "CommonData")
        default = (210.0, 297.0)
        templates: dict[str, str] = {}
        if common is not None:
            area = box(descendant_text(common, ("PageArea", "PhysicalBox")))
            if area and area[2] > 0 and area[3] > 0:
                default = (area[2], area[3])
            for tag in ("PublicRes", "DocumentRes"):
                for el in children(common, tag):
                    if el.text and el.text.strip():
                        self._load_resources(self.resolve(el.text, doc_part))
            for tpl in children(common, "TemplatePage"):
                if tpl.get("ID") and tpl.get("BaseLoc"):
                    templates[tpl.get("ID")] = self.resolve(tpl.get("BaseLoc"), doc_part)
        pages_el = child(root, "Pages")
        refs: list[PageRef] = []
        for number, page in enumerate(children(pages_el, "Page") if pages_el is not None else [], start=1):
            loc = page.get("BaseLoc")
            if not loc:
                continue
            part = self.resolve(loc, doc_part)
            if not self.has(part):  # some producers give the folder, not Content.xml
                if self.has(posixpath.join(part, "Content.xml")):
                    part = posixpath.join(part, "Content.xml")
                else:
                    continue
            refs.append(PageRef(number=number, part=part, size=default))
        for ref in refs:
            self._page_setup(ref, templates)
        return refs

    def _page_setup(self, ref: PageRef, templates: dict[str, str]) -> None:
        root = self.xml(ref.part)
        area = child(root, "Area")
        if area is not None:
            b = box(descendant_text(area, ("PhysicalBox",)))
            if b and b[2] > 0 and b[3] > 0:
                ref.size = (b[2], b[3])
        for tpl in children(root, "Template"):
            part = templates.get(tpl.get("TemplateID", ""))
            if part and self.has(part) and tpl.get("ZOrder", "Background") != "Foreground":
                ref.templates.append(part)
        for el in children(root, "PageRes"):
            if el.text and el.text.strip():
                self._load_resources(self.resolve(el.text, ref.part))

    def _load_resources(self, part: str) -> None:
        if not self.has(part):
            return
        try:
            root = self.xml(part)
        except CorruptFile:
            return  # a damaged resource list costs fonts and images, not the text
        base = root.get("BaseLoc", "")
        folder = self.resolve(base, part) if base else posixpath.dirname(part)
        for el in root.iter():
            name = local(el)
            if name == "Font" and el.get("ID"):
                font = el.get("FontName") or el.get("FamilyName") or ""
                self.resources.fonts[el.get("ID")] = Font(font, el.get("Bold", "false") == "true")
            elif name == "MultiMedia" and el.get("ID"):
                media = child(el, "MediaFile")
                if media is not None and media.text and media.text.strip():
                    ref = media.text.strip()
                    path = ref.lstrip("/") if ref.startswith("/") else posixpath.join(folder, ref)
                    self.resources.media[el.get("ID")] = posixpath.normpath(path)
            elif name == "DrawParam" and el.get("ID"):
                self.resources.draw_params[el.get("ID")] = el
