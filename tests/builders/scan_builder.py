"""Scanned test letters, made in code.

A LetterSpec is laid out as a text PDF (pdf_builder.build_pdf), rendered to
pixels as a scanner would, stamped with a red official seal over the signing
unit and the date (ink multiplied over the print, so black text stays dark
under it, as on paper), turned a little, sprinkled with noise and specks,
JPEG-compressed, and wrapped as an image-only PDF or saved as an image file.
Everything is seeded, so a scan is the same on every run.
"""

from __future__ import annotations

import io
import math
import random
import tempfile
from pathlib import Path
from typing import Literal

from tests.builders.spec import LetterSpec

ScanFormat = Literal["pdf", "jpg", "png", "tiff", "bmp"]
SEAL_RED = (215, 30, 35)


def build_scan(
    spec: LetterSpec,
    path: Path,
    *,
    rotate_deg: float = 0.7,
    upside_down: bool = False,
    sideways: bool = False,
    seal: bool = True,
    seal_over: float = 0.0,
    noise: float = 6.0,
    specks: int = 40,
    jpeg_quality: int = 70,
    dpi: int = 200,
    fmt: ScanFormat = "pdf",
    one_page: bool = False,
    seed: int = 0,
) -> Path:
    """Write a scan of `spec` to `path` and return it.

    `seal_over` > 0 stamps the seal on top of the print with that opacity
    (print under it turns dark red, as on many real scans) instead of
    multiplying it in. `noise` is the sigma of Gaussian pixel noise (0 for none); `one_page` puts
    the roster under the letter text instead of on its own page (single-image
    formats need that unless the letter is short).
    """
    from PIL import Image

    from tests.builders.pdf_builder import build_pdf

    path = Path(path)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="scan-") as tmp:
        text_pdf = build_pdf(spec, Path(tmp) / "letter.pdf", roster_on_new_page=not one_page)
        pages = _render(text_pdf, dpi)
        if seal:
            _stamp_seal(pages, text_pdf, spec, dpi, rng, seal_over)
    scans = [_degrade(p, rotate_deg, upside_down, noise, specks, jpeg_quality, rng) for p in pages]
    if sideways:  # laid on the scanner a quarter turn off (counter-clockwise)
        scans = [s.transpose(Image.Transpose.ROTATE_90) for s in scans]
    return _save(scans, path, fmt, dpi)


def _render(pdf_path: Path, dpi: int) -> list:  # list[PIL.Image.Image]
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [page.render(scale=dpi / 72, rev_byteorder=True).to_pil().convert("RGB") for page in pdf]
    finally:
        pdf.close()


def _find_text(pdf_path: Path, needle: str) -> tuple[int, tuple[float, float, float, float]] | None:
    """(page index, (left, top, right, bottom) in points from the top-left) of the last `needle`."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    found = None
    try:
        for index, page in enumerate(pdf):
            height = page.get_height()
            textpage = page.get_textpage()
            searcher = textpage.search(needle)
            while (hit := searcher.get_next()) is not None:
                start, count = hit
                boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
                left = min(b[0] for b in boxes)
                right = max(b[2] for b in boxes)
                top = height - max(b[3] for b in boxes)
                bottom = height - min(b[1] for b in boxes)
                found = (index, (left, top, right, bottom))
    finally:
        pdf.close()
    return found


def _stamp_seal(
    pages: list, pdf_path: Path, spec: LetterSpec, dpi: int, rng: random.Random, over: float = 0.0
) -> None:
    """A round red seal centred between the signing unit and the date, over both."""
    import numpy as np
    from PIL import Image, ImageChops

    unit = _find_text(pdf_path, spec.unit)
    date = _find_text(pdf_path, spec.date_text())
    anchors = [a for a in (unit, date) if a is not None]
    if not anchors:
        return
    page_index = anchors[-1][0]
    boxes = [box for index, box in anchors if index == page_index]
    px = dpi / 72
    cx = sum((b[0] + b[2]) / 2 for b in boxes) / len(boxes) * px + rng.uniform(-10, 10) * px
    cy = sum((b[1] + b[3]) / 2 for b in boxes) / len(boxes) * px + rng.uniform(-6, 6) * px
    radius = 60 * px  # a 42 mm seal
    layer = _seal_layer(pages[page_index].size, (cx, cy), radius, spec.unit, px)
    if not over:
        pages[page_index] = ImageChops.multiply(pages[page_index], layer)
        return
    base = np.asarray(pages[page_index]).astype(np.float32)
    ink = np.asarray(layer).astype(np.float32)
    alpha = (1 - ink.min(axis=2, keepdims=True) / 255) * over  # how much seal ink covers each pixel
    mixed = base * (1 - alpha) + np.asarray(SEAL_RED, np.float32) * alpha
    pages[page_index] = Image.fromarray(mixed.clip(0, 255).astype(np.uint8))


def _seal_layer(size: tuple[int, int], centre: tuple[float, float], radius: float, unit: str, px: float):
    """White image with the seal drawn in red (for a multiply blend)."""
    from PIL import Image, ImageDraw, ImageFont

    from tests.builders.pdf_builder import find_cjk_font

    layer = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(layer)
    cx, cy = centre
    ring = 3.2 * px
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=SEAL_RED, width=round(ring))
    # five-pointed star in the middle
    star = []
    for k in range(10):
        r = radius * (0.30 if k % 2 == 0 else 0.12)
        a = math.radians(-90 + 36 * k)
        star.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(star, fill=SEAL_RED)
    # unit name along the upper arc
    font_path, index = find_cjk_font()
    font = ImageFont.truetype(font_path, size=round(radius * 0.26), index=index)
    chars = list(unit)
    span = min(240.0, 24.0 * len(chars))
    for i, ch in enumerate(chars):
        angle = -90 - span / 2 + span * (i + 0.5) / len(chars)  # degrees, 0 = east, clockwise in image
        tile = Image.new("RGBA", (font.size * 2, font.size * 2), (255, 255, 255, 0))
        ImageDraw.Draw(tile).text((font.size / 2, font.size / 2), ch, font=font, fill=(*SEAL_RED, 255))
        tile = tile.rotate(-(angle + 90), resample=Image.BICUBIC)
        r = radius * 0.72
        x = cx + r * math.cos(math.radians(angle)) - tile.width / 2
        y = cy + r * math.sin(math.radians(angle)) - tile.height / 2
        layer.paste(tile, (round(x), round(y)), tile)
    return layer


def _degrade(img, rotate_deg: float, upside_down: bool, noise: float, specks: int, quality: int, rng):
    """Paper tint, rotation, specks, noise and JPEG artefacts: what a scanner adds."""
    import numpy as np
    from PIL import Image, ImageDraw

    paper = (246, 244, 238)
    arr = np.asarray(img).astype(np.float32)
    arr = arr * (np.asarray(paper, np.float32) / 255.0)  # tint the white paper, keep the ink
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if rotate_deg:
        img = img.rotate(rotate_deg, resample=Image.BICUBIC, expand=False, fillcolor=paper)
    draw = ImageDraw.Draw(img)
    for _ in range(specks):
        x, y = rng.uniform(0, img.width), rng.uniform(0, img.height)
        r = rng.uniform(0.8, 2.2)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(60, 60, 60))
    if upside_down:
        img = img.rotate(180)
    if noise:
        np_rng = np.random.default_rng(rng.randrange(2**32))
        arr = np.asarray(img).astype(np.float32) + np_rng.normal(0, noise, (img.height, img.width, 1))
        img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if quality:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def _save(pages: list, path: Path, fmt: ScanFormat, dpi: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    first, rest = pages[0], pages[1:]
    if fmt == "pdf":  # Pillow embeds each page as one JPEG image: an image-only PDF
        first.save(path, "PDF", resolution=float(dpi), save_all=True, append_images=rest, quality=85)
    elif fmt == "tiff":
        first.save(path, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=rest, compression="tiff_lzw")
    else:
        if rest:
            raise ValueError(f"{fmt} holds one page; use one_page=True or fmt='tiff'/'pdf'")
        kind = {"jpg": "JPEG", "png": "PNG", "bmp": "BMP"}[fmt]
        extra = {"quality": 90} if kind == "JPEG" else {}
        first.save(path, kind, dpi=(dpi, dpi), **extra)
    return path


def build_fax(
    spec: LetterSpec,
    path: Path,
    *,
    header: str | None = "2026-06-19 09:23  FROM: 029-88886666  FAX  P.{n:02d}/{total:02d}",
    fine: bool = False,
    seal: bool = True,
    threshold: int = 150,
) -> Path:
    """A received fax of `spec`: 1-bit, multi-page TIFF (CCITT group 4), standard resolution 200 x 100 dpi
    (every pixel row stands for two; `fine` gives 200 x 200), the machine's transmission line on top."""
    from PIL import Image, ImageDraw, ImageFont

    from tests.builders.pdf_builder import build_pdf, find_cjk_font

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="fax-") as tmp:
        text_pdf = build_pdf(spec, Path(tmp) / "letter.pdf")
        pages = _render(text_pdf, 200)
        if seal:
            _stamp_seal(pages, text_pdf, spec, 200, rng, 0.0)
    font_path, index = find_cjk_font()
    font = ImageFont.truetype(font_path, size=22, index=index)
    out = []
    for n, page in enumerate(pages, start=1):
        grey = page.convert("L")
        if header:
            ImageDraw.Draw(grey).text((40, 12), header.format(n=n, total=len(pages)), fill=0, font=font)
        if not fine:
            grey = grey.resize((grey.width, grey.height // 2), Image.Resampling.BOX)
        out.append(grey.point(lambda v: 255 if v > threshold else 0).convert("1"))
    path.parent.mkdir(parents=True, exist_ok=True)
    out[0].save(path, "TIFF", dpi=(200, 200 if fine else 100), save_all=True, append_images=out[1:],
                compression="group4")  # fmt: skip
    return path


def build_photo(
    spec: LetterSpec,
    path: Path,
    *,
    tilt: float = 0.08,
    shadow: float = 0.45,
    desk: tuple[int, int, int] = (92, 78, 64),
    page: int = 0,
    seed: int = 3,
) -> Path:
    """A phone photo of one page of `spec`: the sheet lies on a desk, seen at an angle (its corners
    pulled in by up to `tilt` of the page size), lit unevenly (a shadow darkening one side by up to
    `shadow`), saved as a JPEG without a dpi, as phones save them."""
    import cv2
    import numpy as np
    from PIL import Image

    from tests.builders.pdf_builder import build_pdf

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="photo-") as tmp:
        text_pdf = build_pdf(spec, Path(tmp) / "letter.pdf", roster_on_new_page=False)
        sheet = np.asarray(_render(text_pdf, 220)[page])
    h, w = sheet.shape[:2]
    canvas_w, canvas_h = int(w * 1.25), int(h * 1.2)
    ox, oy = (canvas_w - w) / 2, (canvas_h - h) / 2
    pull = [(rng.uniform(0, tilt) * w, rng.uniform(0, tilt / 2) * h) for _ in range(4)]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([
        [ox + pull[0][0], oy + pull[0][1]],
        [ox + w - pull[1][0], oy + pull[1][1]],
        [ox + w - pull[2][0] * 0.3, oy + h - pull[2][1]],
        [ox + pull[3][0] * 0.3, oy + h - pull[3][1]],
    ])  # fmt: skip
    matrix = cv2.getPerspectiveTransform(src, dst)
    photo = cv2.warpPerspective(sheet, matrix, (canvas_w, canvas_h), borderValue=desk)
    xs = np.linspace(1.0, 1.0 - shadow, canvas_w, dtype=np.float32)  # light from the left
    ys = np.linspace(1.0, 0.9, canvas_h, dtype=np.float32)
    light = np.outer(ys, xs)[:, :, None]
    photo = np.clip(
        photo.astype(np.float32) * light + np.random.default_rng(seed).normal(0, 3, photo.shape), 0, 255
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo.astype(np.uint8)).save(path, "JPEG", quality=88)
    return path
