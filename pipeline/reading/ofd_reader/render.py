"""An OFD letter drawn as a PDF: the page images the console shows, and what OCR reads of image-only pages.

Drawn from the same content the reader reads (glyphs at their boxes, rules,
images), so a value's provenance box lands on the character it came from.
Text uses the standard Adobe-GB1 CID font (not embedded; the viewer's CJK
font draws it), which is enough to show the letter and costs no font file.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import CorruptFile
from pipeline.reading.limits import open_image
from pipeline.reading.ofd_reader.content import PageContent, Placed
from pipeline.reading.ofd_reader.package import OfdPackage
from pipeline.reading.ofd_reader.reader import read_pages

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("pipeline.reading.ofd_reader")


_CID_FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    return _CID_FONT


def render_pdf(path: Path, out: Path, *, text: bool = True) -> int:
    """Write the OFD at `path` as a PDF at `out`; returns the page count. `text=False` draws images only."""
    from reportlab.pdfgen import canvas

    pkg, contents = read_pages(Path(path))
    font = _font() if text else None
    pdf = canvas.Canvas(str(out), pageCompression=1)
    for content in contents:
        pdf.setPageSize((content.width, content.height))
        _draw_images(pdf, pkg, content)
        _draw_rules(pdf, content)
        if font:
            _draw_text(pdf, content, font)
        pdf.showPage()
    pdf.save()
    return len(contents)


def _pictures(pkg: OfdPackage, content: PageContent) -> Iterator[tuple[Placed, bytes, Image.Image]]:
    """Each placed image that decodes, with its bytes (a JPEG goes into a PDF as it is)."""
    from PIL import Image, UnidentifiedImageError

    for placed in content.images:
        if placed.media is None or not pkg.has(placed.media):
            continue
        if placed.x1 - placed.x0 <= 0 or placed.bottom - placed.top <= 0:
            continue
        try:
            data = pkg.read(placed.media)
            with open_image(io.BytesIO(data), placed.media) as image:
                image.load()
                keep = ("RGB", "L", "RGBA")
                picture = image.copy() if image.mode in keep else image.convert("RGBA")
        except (
            UnidentifiedImageError,
            OSError,
            ValueError,
            Image.DecompressionBombError,
            CorruptFile,
        ) as exc:
            log.info("%s: image %s not drawn (%s)", pkg.path.name, placed.media, type(exc).__name__)
            continue
        yield placed, data, picture


def _draw_images(pdf, pkg: OfdPackage, content: PageContent) -> None:  # pdf: reportlab Canvas
    from reportlab.lib.utils import ImageReader

    for placed, data, picture in _pictures(pkg, content):
        source = ImageReader(io.BytesIO(data)) if data[:3] == b"\xff\xd8\xff" else ImageReader(picture)
        w, h = placed.x1 - placed.x0, placed.bottom - placed.top
        pdf.drawImage(source, placed.x0, content.height - placed.bottom, w, h, mask="auto")


def page_images(path: Path, dpi: float, max_pixels: int) -> Iterator[tuple[Image.Image, float, int]]:
    """Each page's images composed on white at `dpi` (fewer dots when the page would pass `max_pixels`):
    (image, points per pixel, page count). What OCR reads of a scanned OFD."""
    from PIL import Image

    pkg, contents = read_pages(Path(path))
    for content in contents:
        scale = dpi / 72
        if content.width * content.height * scale * scale > max_pixels:
            scale = (max_pixels / (content.width * content.height)) ** 0.5
        size = (max(1, round(content.width * scale)), max(1, round(content.height * scale)))
        page = Image.new("RGB", size, "white")
        for placed, _, picture in _pictures(pkg, content):
            box = (round(placed.x0 * scale), round(placed.top * scale))
            w = max(1, round((placed.x1 - placed.x0) * scale))
            h = max(1, round((placed.bottom - placed.top) * scale))
            resized = picture.resize((w, h))
            page.paste(resized, box, resized if resized.mode == "RGBA" else None)
        yield page, 1 / scale, len(contents)


def _draw_rules(pdf, content: PageContent) -> None:  # pdf: reportlab Canvas
    for x0, y0, x1, y1, width in content.strokes:
        pdf.setLineWidth(max(0.2, min(width, 3.0)))
        pdf.line(x0, content.height - y0, x1, content.height - y1)


def _draw_text(pdf, content: PageContent, font: str) -> None:  # pdf: reportlab Canvas
    for ch in content.chars:
        if not ch["upright"] or ch["text"].isspace():
            continue
        size = ch["size"]
        baseline = ch["bottom"] - 0.14 * size
        pdf.setFont(font, size)
        pdf.drawString(ch["x0"], content.height - baseline, ch["text"])
