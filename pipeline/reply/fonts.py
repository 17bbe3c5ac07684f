"""CJK TrueType fonts for the PDF reply: configured ones first, then well-known system paths.

reportlab embeds TrueType outlines only; CFF-based OpenType (Noto/Source Han .otf, and
.ttc collections of them) cannot be loaded and is skipped.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.reply import layout as L
from pipeline.reply.errors import ReplyFontError

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
    font = TTFont(name, str(path), subfontIndex=0)
    if condensed:
        widths = font.face.charWidths
        for code, width in widths.items():
            if width > L.PDF_CJK_ADVANCE:
                widths[code] = L.PDF_CJK_ADVANCE
    pdfmetrics.registerFont(font)
    _registered[key] = name
    return name


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
        for p in dict.fromkeys([*configured_paths, *HEI_CANDIDATES, *BODY_CANDIDATES])
        if p.is_file() and p.resolve() != body[1].resolve() and outline_kind(p) != "cff"
    ]
    return FontSet(body=body[0], hei=hei[0] if hei else body[0], body_path=body[1], fallback_paths=others)
