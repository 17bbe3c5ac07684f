"""Page images from scanned PDFs and image files, at a resolution that suits the models.

Recognition resizes every text line to 48 px high, so body text (16 pt) and
roster text (12 pt) must be at least that tall in the source: 250 dpi gives
~40-55 px for those sizes. Detection runs on a smaller copy (see ocr_reader).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

from pipeline.errors import CorruptFile, EncryptedFile
from pipeline.reading.limits import check_page_shape, open_image, render_scale

log = logging.getLogger(__name__)

RENDER_DPI = 250
A4_PT = (595.28, 841.89)
MAX_PAGES = 50  # a query letter is a few pages; a 300-page scan is a mistake, not a letter


@dataclass(slots=True)
class PageImage:
    number: int  # 1-based page number in the file
    image: np.ndarray  # RGB uint8, H x W x 3
    pt_per_px: float  # PDF points per pixel (provenance boxes are in points)
    total: int = 1  # pages in the file (only the first MAX_PAGES are read)


def load_pages(path: Path) -> Iterator[PageImage]:
    """Yield the pages of a scanned PDF or an image file (multi-page TIFF too), one at a time."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" in head:
        yield from _pdf_pages(path)
    elif head.startswith(b"PK"):  # an OFD of scanned pages: its images drawn where the pages place them
        yield from _ofd_pages(path)
    else:
        yield from _image_pages(path)


def _ofd_pages(path: Path) -> Iterator[PageImage]:
    from pipeline.reading.ofd_reader.render import page_images

    for index, (image, pt_per_px, total) in enumerate(page_images(path, RENDER_DPI, 60_000_000)):
        if index >= MAX_PAGES:
            break
        yield PageImage(index + 1, np.asarray(image), pt_per_px, total)


def _pdf_pages(path: Path) -> Iterator[PageImage]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile(f"{path.name}: encrypted PDF") from exc
        raise CorruptFile(f"{path.name}: PDF cannot be opened ({exc})") from exc
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            scale = render_scale(*page.get_size(), RENDER_DPI / 72)  # bounded before rendering
            bitmap = page.render(scale=scale, rev_byteorder=True)
            rgb = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            page.close()
            yield PageImage(index + 1, rgb, 1 / scale, len(pdf))
    finally:
        pdf.close()


def _upright_frames(path: Path) -> Iterator[tuple[np.ndarray, float | None, int, bool]]:
    """Each page of an image file upright, faxes at square pixels: (RGB pixels, dpi or None, pages in
    the file, whether it may be a photo: a 1-bit fax is a scan by nature)."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    img = open_image(path, path.name)  # its pixel count checked by the header, before decoding
    try:
        img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise CorruptFile(f"{path.name}: image cannot be decoded ({exc})") from exc
    total = getattr(img, "n_frames", 1)
    for index, frame in enumerate(ImageSequence.Iterator(img)):
        if index >= MAX_PAGES:
            break
        check_page_shape(*frame.size, name=path.name)
        bilevel = frame.mode == "1"
        frame, dpi = square_pixels(frame)
        frame = ImageOps.exif_transpose(frame.convert("RGB"))
        yield np.asarray(frame), dpi, total, not bilevel


def _frames(path: Path) -> Iterator[tuple[np.ndarray, float | None, int]]:
    """Each page of an image file as OCR reads it: (RGB pixels, dpi or None, pages in the file).
    A fax is stretched to square pixels, a photo stood upright, cut to its sheet and evenly lit."""
    from pipeline.reading.ocr.photo import straighten_photo

    for arr, dpi, total, maybe_photo in _upright_frames(path):
        if maybe_photo:
            arr, flattened = straighten_photo(arr)
            if flattened:
                dpi = None  # the sheet's own size is unknown: measured as A4 wide
        yield arr, dpi, total


def _image_pages(path: Path) -> Iterator[PageImage]:
    for index, (arr, dpi, total) in enumerate(_frames(path)):
        arr, pt_per_px = _normalise_size(arr, dpi)
        yield PageImage(index + 1, arr, pt_per_px, total)


def page_picture(path: Path, number: int) -> Image.Image | None:
    """Page `number` (1-based) of an image letter as OCR read it, for the console: the boxes of its
    values were measured on exactly this picture."""
    from PIL import Image

    for index, (arr, _, _) in enumerate(_frames(path)):
        if index + 1 == number:
            return Image.fromarray(arr)
    return None


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """(width, height) in points of each page of an image letter, as its provenance boxes measure
    them: the console places a value's box on the page image with these."""
    from pipeline.reading.ocr.photo import sheet_size

    sizes = []
    for arr, dpi, _, maybe_photo in _upright_frames(path):  # the size only: no warp, no relighting
        h, w = arr.shape[:2]
        sheet = sheet_size(arr) if maybe_photo else None
        if sheet is not None:
            (w, h), dpi = sheet, None
        pt_per_px = 72 / dpi if dpi else A4_PT[0] / min(h, w) if h >= w else A4_PT[1] / w
        sizes.append((w * pt_per_px, h * pt_per_px))
    return sizes


def square_pixels(frame: Image.Image) -> tuple[Image.Image, float | None]:
    """A fax in standard resolution is 200 x 100 dpi: every line of pixels stands for two. Stretch it
    to square pixels (at the finer resolution) before anything measures or reads it; a 1-bit page
    becomes grey so the stretch and OCR's own scaling smooth its jagged edges."""
    from PIL import Image

    value = frame.info.get("dpi")
    x, y = _dpi(value), _dpi(value[1:] if isinstance(value, tuple) else None)
    if x and y and max(x, y) / min(x, y) > 1.2:
        if frame.mode == "1":
            frame = frame.convert("L")
        w, h = frame.size
        size = (w, round(h * x / y)) if x > y else (round(w * y / x), h)
        frame = frame.resize(size, Image.Resampling.BICUBIC)
        return frame, max(x, y)
    return frame, x


def _dpi(value: object) -> float | None:
    try:
        dpi = float(value[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if 70 <= dpi <= 1200 else None


def _normalise_size(arr: np.ndarray, dpi: float | None) -> tuple[np.ndarray, float]:
    """Scale a photo/scan towards RENDER_DPI for an A4 page; points per pixel from the
    file's dpi when it states one, else as if the image were as wide as A4."""
    import cv2

    h, w = arr.shape[:2]
    pt_per_px = 72 / dpi if dpi else A4_PT[0] / min(h, w) if h >= w else A4_PT[1] / w
    target_long = A4_PT[1] / 72 * RENDER_DPI
    long_side = max(h, w)
    factor = 1.0
    if long_side > target_long * 1.25 or long_side < target_long * 0.6:
        factor = target_long / long_side
    if factor != 1.0:
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        arr = cv2.resize(arr, (round(w * factor), round(h * factor)), interpolation=interp)
        pt_per_px /= factor
    return np.ascontiguousarray(arr), pt_per_px
