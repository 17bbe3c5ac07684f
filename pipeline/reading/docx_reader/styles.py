"""Paragraph and run styles: what a style says about alignment, size, bold, hidden text and numbering."""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from pipeline.reading.docx_reader.package import _Package
from pipeline.reading.docx_reader.tags import (
    _ATTR_RE,
    _OFF,
    _STYLES_ROOT_RE,
    W_B,
    W_BASEDON,
    W_DEFAULT,
    W_DOCDEFAULTS,
    W_ILVL,
    W_JC,
    W_NS,
    W_NUMID,
    W_NUMPR,
    W_PPR,
    W_RPR,
    W_STYLE,
    W_STYLEID,
    W_SZ,
    W_TYPE,
    W_VAL,
    _on,
    _size,
)
from pipeline.reading.safe_xml import PARSER as _PARSER

log = logging.getLogger(__name__)

# --- styles --------------------------------------------------------------------


@dataclass(slots=True)
class _Style:
    kind: str
    based_on: str | None
    jc: str | None
    sz: float | None
    bold: bool | None
    num: tuple[str | None, str | None] | None = None  # (numId, ilvl) from w:numPr


class _Styles:
    """Paragraph/character style properties with basedOn inheritance, resolved lazily.

    A styles part can be far bigger than the letter (python-docx's template
    carries 350 kB of table styles) and a letter uses a handful of them, so
    `from_bytes` only indexes where each w:style sits and parses a style the
    first time it is asked for; `from_tree` is the slow, general fallback.
    """

    def __init__(self) -> None:
        self._raw: dict[str, _Style | None] = {}
        self._spans: dict[str, tuple[int, int]] = {}
        self._data = b""
        self._wrap = (b"", b"")
        self._para: dict[str | None, tuple[str | None, float | None, bool | None]] = {}
        self._char: dict[str, tuple[float | None, bool | None]] = {}
        self._default_para: str | None = None
        self._doc = _Style("", None, None, None, None)

    @classmethod
    def from_tree(cls, root: etree._Element) -> _Styles:
        self = cls()
        for el in root:
            if el.tag == W_STYLE:
                sid = el.get(W_STYLEID)
                if sid is None:
                    continue
                style = self._parse(el)
                self._raw[sid] = style
                if style.kind == "paragraph" and _on_attr(el.get(W_DEFAULT)) and self._default_para is None:
                    self._default_para = sid
            elif el.tag == W_DOCDEFAULTS:
                for sub in el.iter(W_PPR, W_RPR):
                    self._props(sub, self._doc)
        return self

    @classmethod
    def from_bytes(cls, data: bytes) -> _Styles | None:
        """Index the styles part without parsing it; None when it is too unusual to slice safely."""
        if b"<!--" in data or b"<![CDATA[" in data:
            return None
        root = _STYLES_ROOT_RE.search(data)
        if root is None or W_NS.encode() not in root.group(0):
            return None
        self = cls()
        if root.group(0).endswith(b"/>"):
            return self
        prefix = root.group(1)
        self._data = data
        self._wrap = (root.group(0), b"</" + prefix + b":styles>")
        end_tag = b"</" + prefix + b":style>"
        start_re = re.compile(rb"<" + re.escape(prefix) + rb":style\s([^>]*)>")
        for m in start_re.finditer(data, root.end()):
            attrs = {name: value for _, name, _, value in _ATTR_RE.findall(m.group(1))}
            if any(b"&" in v for v in attrs.values()):
                return None
            if m.group(1).endswith(b"/"):
                end = m.end()
            else:
                close = data.find(end_tag, m.end())
                if close < 0:
                    return None
                end = close + len(end_tag)
            sid = attrs.get(b"styleId")
            if sid is None:
                continue
            name = sid.decode("utf-8", "replace")
            self._spans.setdefault(name, (m.start(), end))
            if (
                self._default_para is None
                and attrs.get(b"type", b"paragraph") == b"paragraph"
                and _on_attr(attrs.get(b"default", b"").decode() or None)
            ):
                self._default_para = name
        start = data.find(b"<" + prefix + b":docDefaults")
        close_tag = b"</" + prefix + b":docDefaults>"
        close = data.find(close_tag, start)
        if start >= 0 and close >= 0:
            defaults = self._slice(start, close + len(close_tag))
            if defaults is not None:
                for sub in defaults.iter(W_PPR, W_RPR):
                    self._props(sub, self._doc)
        return self

    def _slice(self, start: int, end: int) -> etree._Element | None:
        try:
            root = etree.fromstring(self._wrap[0] + self._data[start:end] + self._wrap[1], _PARSER)
        except etree.XMLSyntaxError:
            return None
        return root[0] if len(root) else None

    def _style(self, sid: str) -> _Style | None:
        try:
            return self._raw[sid]
        except KeyError:
            pass
        span = self._spans.get(sid)
        el = self._slice(*span) if span else None
        style = self._parse(el) if el is not None else None
        self._raw[sid] = style
        return style

    @classmethod
    def _parse(cls, el: etree._Element) -> _Style:
        style = _Style(el.get(W_TYPE, "paragraph"), None, None, None, None)
        for child in el:
            tag = child.tag
            if tag == W_BASEDON:
                style.based_on = child.get(W_VAL)
            elif tag in (W_PPR, W_RPR):
                cls._props(child, style)
        return style

    @staticmethod
    def _props(container: etree._Element, style: _Style) -> None:
        for prop in container:
            tag = prop.tag
            if tag == W_JC:
                style.jc = prop.get(W_VAL)
            elif tag == W_SZ:
                style.sz = _size(prop)
            elif tag == W_B:
                style.bold = _on(prop)
            elif tag == W_NUMPR:
                style.num = _num_pr(prop)

    def _chain(self, sid: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while sid is not None and sid not in seen:
            style = self._style(sid)
            if style is None:
                return
            seen.add(sid)
            yield style
            sid = style.based_on

    def para(self, sid: str | None) -> tuple[str | None, float | None, bool | None]:
        """(jc, size, bold) a paragraph of style `sid` gets from styles and document defaults."""
        try:
            return self._para[sid]
        except KeyError:
            pass
        jc = sz = bold = None
        known = sid is not None and self._style(sid) is not None
        for style in self._chain(sid if known else self._default_para):
            jc = style.jc if jc is None else jc
            sz = style.sz if sz is None else sz
            bold = style.bold if bold is None else bold
        result = (
            jc if jc is not None else self._doc.jc,
            sz if sz is not None else self._doc.sz,
            bold if bold is not None else self._doc.bold,
        )
        self._para[sid] = result
        return result

    def num(self, sid: str | None) -> tuple[str | None, str | None] | None:
        """(numId, ilvl) a paragraph style puts on its paragraphs (Word's "List Number" styles)."""
        known = sid is not None and self._style(sid) is not None
        for style in self._chain(sid if known else self._default_para):
            if style.num is not None:
                return style.num
        return None

    def char(self, sid: str) -> tuple[float | None, bool | None]:
        """(size, bold) set by character style `sid` (None: inherit from the paragraph)."""
        try:
            return self._char[sid]
        except KeyError:
            pass
        sz = bold = None
        for style in self._chain(sid):
            sz = style.sz if sz is None else sz
            bold = style.bold if bold is None else bold
        self._char[sid] = (sz, bold)
        return sz, bold


def _load_styles(pkg: _Package, name: str | None, notes: set[str]) -> _Styles:
    """The styles part, sliced lazily when possible; damage there costs formatting only."""
    if name is None:
        return _Styles()
    try:
        data = pkg.read_xml_bytes(name)
        fast = _Styles.from_bytes(data)
        if fast is not None:
            return fast
        return _Styles.from_tree(pkg.xml(name))
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        log.warning("skipping damaged styles part %s: %s", name, exc)
        notes.add("Word 文件中部分辅助内容（样式、编号或页眉页脚）已损坏，已跳过，请核对原件。")
        return _Styles()


def _on_attr(value: str | None) -> bool:
    return value is not None and value not in _OFF


def _num_pr(el: etree._Element) -> tuple[str | None, str | None]:
    num_id = ilvl = None
    for child in el:
        if child.tag == W_NUMID:
            num_id = child.get(W_VAL)
        elif child.tag == W_ILVL:
            ilvl = child.get(W_VAL)
    return num_id, ilvl
