"""CJK TrueType fonts for the PDF reply: configured ones first, then well-known system paths.

reportlab embeds TrueType outlines only; CFF-based OpenType (Noto/Source Han .otf, and
.ttc collections of them) cannot be loaded and is skipped.

Memory: a CJK collection is 15-20 MB, and the service keeps two loaded. They are mapped
read-only rather than read into the heap (only the tables parsed and the glyphs used are
paged in, from the shared page cache), and subsetting slices single glyphs out of the map
instead of copying the whole glyf table for every PDF (see _MappedFont).
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import threading
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.errors import ReplyFontError
from pipeline.reply import layout as L

_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"

# Body text: 仿宋 where it exists, else a Song/Ming face (closest to 仿宋), else 黑体.
BODY_CANDIDATES: tuple[Path, ...] = (
    _WINDOWS_FONTS / "simfang.ttf",
    _WINDOWS_FONTS / "simsun.ttc",
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/arphic/ukai.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)
# 黑体 for the "附件" label and the table header; the body font when none is found.
HEI_CANDIDATES: tuple[Path, ...] = (
    _WINDOWS_FONTS / "simhei.ttf",
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)

# Names are why GB 18030-2022 is mandatory for government systems: a person named with a character of
# CJK Extension B–H still gets a reply. Debian's faces that cover them, tried after the body fonts:
# HanaMinA (URO, Extension A), HanaMinB (Extensions B–F), BabelStone Han (Extensions G and H in part).
EXTENSION_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
    Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),
    Path("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf"),
)

_registered: dict[tuple[Path, bool], str] = {}
_lock = threading.Lock()


def outline_kind(path: Path) -> str:
    """'truetype', 'cff' or 'unknown', from the sfnt header (first face of a collection)."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
            if head[:4] == b"ttcf":
                (offset,) = struct.unpack(">I", head[12:16])
                f.seek(offset)
                head = f.read(4)
    except (OSError, struct.error):
        return "unknown"
    if head[:4] == b"OTTO":
        return "cff"
    if head[:4] in (b"\x00\x01\x00\x00", b"true"):
        return "truetype"
    return "unknown"


def _load(path: Path, condensed: bool = False) -> str:
    """Register the font with reportlab once per process; returns its reportlab name.

    A condensed face scales full-width advances to layout.PDF_CJK_ADVANCE, the PDF's
    equivalent of the template's 0.25 pt condensed spacing: 28 characters a line.
    """
    key = (path.resolve(), condensed)
    with _lock:  # the watcher renders replies on several threads
        return _registered.get(key) or _register(path, key, condensed)


def _register(path: Path, key: tuple[Path, bool], condensed: bool) -> str:
    name = f"CJK{len(_registered)}-{path.stem}{'-28' if condensed else ''}"
    font = open_font(name, path)
    if condensed:
        widths = font.face.charWidths
        for code, width in widths.items():
            if width > L.PDF_CJK_ADVANCE:
                widths[code] = L.PDF_CJK_ADVANCE
    # reportlab registers a TrueType font by its face's PostScript name: a second font of the same
    # face (the plain 黑体 beside the condensed body, or anyone else's font of that file in this
    # process) would be handed the first one registered, narrowed widths included. A face name of
    # our own per registration keeps each font's widths its own.
    font.face.name += b"-" + re.sub(r"[^A-Za-z0-9-]", "", name).encode("ascii")
    pdfmetrics.registerFont(font)
    _registered[key] = name
    return name


def open_font(name: str, path: Path) -> TTFont:
    """A reportlab TTFont on the file mapped read-only, subsetting without whole-table copies.

    Not shapable: CJK needs no shaping (reportlab only shapes with uharfbuzz, not installed),
    which lets _compact drop the glyph -> characters table only shaping reads.
    """
    font = TTFont(name, _MappedFont(path), subfontIndex=0, shapable=False)
    _compact(font.face)
    _lean_subsetting(font.face)
    return font


class _Metrics:
    """hmetrics as reportlab reads it, (advance, lsb) per glyph, in two arrays: 30-45k glyphs
    held as tuples of ints cost 2.5-4 MB per face, as arrays 0.2 MB."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        self._advances = array("l", (int(a) for a, _ in pairs))
        self._lsbs = array("l", (int(b) for _, b in pairs))

    def __len__(self) -> int:
        return len(self._advances)

    def __getitem__(self, glyph: int) -> tuple[int, int]:
        return self._advances[glyph], self._lsbs[glyph]


def _compact(face: Any) -> None:
    """Shrink the per-glyph tables reportlab keeps in Python objects (~10 MB over two faces).

    glyphToChar serves shaping only; glyph offsets and metrics are read by index while
    subsetting. A face whose tables are not plain lists (another reportlab) is left as is.
    """
    if isinstance(getattr(face, "glyphToChar", None), dict):
        face.glyphToChar = {}
    if isinstance(getattr(face, "glyphPos", None), list):
        face.glyphPos = array("q", face.glyphPos)
    hmetrics = getattr(face, "hmetrics", None)
    if isinstance(hmetrics, list) and all(isinstance(m, tuple) and len(m) == 2 for m in hmetrics):
        face.hmetrics = _Metrics(hmetrics)


class _MappedFont:
    """A font file as reportlab's parser takes a file object: read() returns a read-only mmap.

    reportlab keeps the whole file as `_ttf_data` and only slices it, which an mmap supports
    with the same results (bytes); the file's pages then live in the page cache, shared by
    every process and dropped under pressure, instead of ~36 MB of private heap for two faces.
    """

    def __init__(self, path: Path) -> None:
        self.name = str(path)  # reportlab's face.filename: error messages, the subsetting rule
        self._path = path

    def read(self) -> mmap.mmap:
        with self._path.open("rb") as fh:  # the map outlives the descriptor
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class _TableSlices:
    """A table read slice by slice: bytes of data[start + i : start + j] without copying the rest."""

    def __init__(self, data: Any, start: int, length: int) -> None:
        self._data, self._start, self._length = data, start, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice):
            raise TypeError("glyf table is read by slices only")
        first, stop, step = key.indices(self._length)
        return self._data[self._start + first : self._start + max(first, stop) : step]


def _lean_subsetting(face: Any) -> None:
    """Make reportlab's per-PDF subsetting cheap and safe on several threads.

    makeSubset copies the whole glyf table (16 MB for AR PL UMing) to cut a few hundred glyphs
    out of it; on two worker threads with two faces that is ~50 MB at once, and glibc keeps
    such freed blocks in the threads' arenas. Slicing the map instead touches only the glyphs
    used. makeSubset also moves the face's shared read position (self._pos) while it walks
    composite glyphs, so two threads subsetting one face at once could read each other's
    offsets: a lock per face serialises just that step. Skipped if reportlab's internals change.
    """
    get_table, make_subset = getattr(face, "get_table", None), getattr(face, "makeSubset", None)
    if get_table is None or make_subset is None or not hasattr(face, "get_table_pos"):
        return
    lock = threading.Lock()

    def lean_get_table(tag: str) -> Any:
        if tag == "glyf":
            start, length = face.get_table_pos(tag)
            return _TableSlices(face._ttf_data, start, length)
        return get_table(tag)

    def locked_make_subset(subset: list[int]) -> bytes:
        with lock:
            return make_subset(subset)

    face.get_table = lean_get_table
    face.makeSubset = locked_make_subset


@dataclass
class FontSet:
    """The faces a PDF reply uses; fallbacks (loaded on first need) cover rare characters in names."""

    body: str
    hei: str
    body_path: Path
    fallback_paths: list[Path] = field(default_factory=list)

    def face_for(self, char: str) -> str | None:
        """The body font if it has the character, else the first fallback that does, else None."""
        if has_char(self.body, char):
            return self.body
        for path in self.fallback_paths:
            try:
                name = _load(path)
            except Exception:
                continue
            if has_char(name, char):
                return name
        return None


def has_char(name: str, char: str) -> bool:
    """Whether the registered font has a glyph for the character."""
    return ord(char) in pdfmetrics.getFont(name).face.charToGlyph


def _first_usable(
    candidates: list[Path], tried: list[str], condensed: bool = False
) -> tuple[str, Path] | None:
    for path in candidates:
        if not path.is_file():
            tried.append(f"{path}（不存在）")
            continue
        try:
            if outline_kind(path) == "cff":
                tried.append(f"{path}（CFF 轮廓的 OpenType 字体，reportlab 无法嵌入）")
                continue
            return _load(path, condensed), path
        except Exception as exc:  # a broken or unsupported file: try the next one
            tried.append(f"{path}（无法加载：{exc}）")
    return None


def find_fonts(configured: list[str] | None = None) -> FontSet:
    """The fonts for a PDF reply, or a clear error naming the fix."""
    configured_paths = [Path(p).expanduser() for p in (configured or [])]
    tried: list[str] = []
    body = _first_usable([*configured_paths, *BODY_CANDIDATES], tried, condensed=True)
    if body is None:
        raise ReplyFontError(
            "no usable CJK TrueType font for the PDF reply; tried: " + "; ".join(tried),
            "未找到可用于 PDF 复函的中文 TrueType 字体（已尝试："
            + "；".join(tried or ["无"])
            + "）。请安装 fonts-wqy-zenhei 或在 letters.toml 的 fonts 中配置字体路径。",
        )
    hei = _first_usable(list(HEI_CANDIDATES), [])
    others = [
        p
        for p in dict.fromkeys([*configured_paths, *HEI_CANDIDATES, *BODY_CANDIDATES, *EXTENSION_CANDIDATES])
        if p.is_file() and p.resolve() != body[1].resolve() and outline_kind(p) != "cff"
    ]
    return FontSet(body=body[0], hei=hei[0] if hei else body[0], body_path=body[1], fallback_paths=others)


def coverage(fonts: FontSet, low: int, high: int) -> int:
    """How many code points of [low, high] the font chain (body, then fallbacks) has a glyph for."""
    faces = [fonts.body]
    for path in fonts.fallback_paths:
        try:
            faces.append(_load(path))
        except Exception:
            continue
    maps = [pdfmetrics.getFont(name).face.charToGlyph for name in faces]
    return sum(1 for code in range(low, high + 1) if any(code in m for m in maps))
