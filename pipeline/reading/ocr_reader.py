"""Scanned letters (image-only PDFs, JPG/PNG/TIFF/BMP) -> Document, by OCR.

Per page: red seal whitened -> text lines detected on a reduced copy (a page
whose lines stand upright lies on its side and is turned a quarter) -> each
line cut from the full-resolution page -> upside-down pages found by the line
classifier's vote and turned -> lines recognised -> skew
measured from the lines and taken out of the layout coordinates -> lines and
the roster table rebuilt (ocr.layout). The result is the same Document a text
PDF gives, with source_type "ocr", OCR confidences on every paragraph and
cell, and the note 来自扫描件, so extraction stays one piece of code.

Models ship inside the rapidocr wheel and nothing is ever downloaded
(ocr.engine); `available()` is the cheap check the dispatcher uses, and
`check_models()` the start-up check that names the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.document import Document
from pipeline.reading.ocr.boxes import PageBoxes
from pipeline.reading.ocr.engine import OcrModelsMissing, check_models, get_engine, missing_parts

if TYPE_CHECKING:
    from pipeline.reading.ocr.engine import OcrEngine
    from pipeline.reading.ocr.images import PageImage

__all__ = ["NOTE_FROM_SCAN", "OcrModelsMissing", "available", "check_models", "read_scan"]

log = logging.getLogger(__name__)

NOTE_FROM_SCAN = "来自扫描件"
NOTE_TURNED = "扫描件第{pages}页方向不正（倒置或横置），已自动转正"
NOTE_NO_TEXT = "扫描件中未识别到文字"
NOTE_TOO_MANY_PAGES = "扫描件共{total}页，只识别了前{read}页，请人工核对其余页面"

DET_LONG_SIDE = 1600  # detection input (px, long side): ~135 dpi on A4; cost grows with area (bench/ocr.py)
MIN_BOX_PX = 10  # boxes lower than this (full-resolution px) are specks, not text
STRAY_LEAD = re.compile(r"^[.,'`·]+\s*(?=[\u4e00-\u9fff0-9])")  # a paper speck read as a dot before text
SEAL_REMNANT_RED = 0.3  # a short, doubtful box this red on the original is seal lettering
SEAL_REMNANT_CONFIDENCE = 0.7
FLIP_RETRY_CONFIDENCE = 0.75  # below this mean confidence, also try the page the other way up


def available() -> bool:
    """OCR packages importable and their models present on disk (no import, no model load)."""
    return not missing_parts()


def read_scan(path: Path) -> Document:
    """OCR a scanned letter into a Document (source_type "ocr")."""
    from pipeline.reading.ocr.images import load_pages
    from pipeline.reading.ocr.layout import build_blocks

    started = time.perf_counter()
    pages = []
    turned: list[int] = []
    total = 0
    seen: dict[bytes, tuple[PageBoxes, bool]] = {}
    for page in load_pages(path):
        total = page.total
        # A page identical to an earlier one (a fax sent twice, a template page repeated) reads
        # the same: it is OCR'd once.
        key = _fingerprint(page)
        if key in seen:
            earlier, was_turned = seen[key]
            boxes = _renumbered(earlier, page.number)
        else:
            # The models load with the first page that passed its bounds: a file refused before any
            # page is drawn (a declared size past two A0 sheets) costs no model load.
            boxes, was_turned = _ocr_page(get_engine(), page)
            seen[key] = (boxes, was_turned)
        pages.append(boxes)
        if was_turned:
            turned.append(page.number)
    blocks, headers, footers = build_blocks(pages)
    notes = [NOTE_FROM_SCAN]
    if turned:
        notes.append(NOTE_TURNED.format(pages="、".join(map(str, turned))))
    if not any(p.boxes for p in pages):
        notes.append(NOTE_NO_TEXT)
    if total > len(pages):
        notes.append(NOTE_TOO_MANY_PAGES.format(total=total, read=len(pages)))
    log.info(
        "OCR read %s: %d page(s), %d block(s) in %.1f s",
        path.name,
        len(pages),
        len(blocks),
        time.perf_counter() - started,
    )
    return Document(
        blocks=blocks, source_type="ocr", headers=headers, footers=footers, page_count=len(pages), notes=notes
    )


def _fingerprint(page: PageImage) -> bytes:
    """The page's pixels and scale, digested (an A4 page at 250 dpi hashes in about 10 ms)."""
    import numpy as np

    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((page.image.shape, page.image.dtype.str, page.pt_per_px)).encode())
    digest.update(np.ascontiguousarray(page.image).data)
    return digest.digest()


def _renumbered(page: PageBoxes, number: int) -> PageBoxes:
    return dataclasses.replace(
        page, number=number, boxes=[dataclasses.replace(b, page=number) for b in page.boxes]
    )


def _ocr_page(engine: OcrEngine, page: PageImage) -> tuple[PageBoxes, bool]:
    """OCR one page image into layout boxes; True when the page had to be turned."""
    import cv2
    import numpy as np

    from pipeline.reading.ocr.boxes import Box
    from pipeline.reading.ocr.preprocess import (
        crop_line,
        estimate_skew,
        mask_share,
        rotate_points,
        suppress_red,
    )

    t0 = time.perf_counter()
    clean, red = suppress_red(page.image)
    quads = _detect(engine, clean)
    sideways = _sideways(quads)
    if sideways:  # scanned a quarter turn off: turn it, and let the 0/180° vote settle the rest
        clean, red = (
            cv2.rotate(clean, cv2.ROTATE_90_CLOCKWISE),
            cv2.rotate(red.view(np.uint8), cv2.ROTATE_90_CLOCKWISE),
        )
        red = red.view(bool)
        quads = _detect(engine, clean)
    red_share = float(red.mean())
    red_sum = cv2.integral(red.view(np.uint8)) if red_share else None
    h, w = clean.shape[:2]
    crops = [crop_line(clean, q) for q in quads]
    t_det = time.perf_counter()

    flipped = _upside_down(engine.orientation(crops), crops)
    if flipped:
        crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    results = engine.recognise(crops)
    if not flipped and crops and _mean_confidence(results, crops) < FLIP_RETRY_CONFIDENCE:
        turned = engine.recognise([cv2.rotate(c, cv2.ROTATE_180) for c in crops])
        if _mean_confidence(turned, crops) > _mean_confidence(results, crops) + 0.1:
            results, flipped = turned, True

    # Layout frame: the page the right way up (quads turned 180° when it was scanned upside down)
    # with the skew taken out. Provenance boxes stay on the original image.
    layout_quads = quads
    if flipped:
        layout_quads = np.stack([w - quads[..., 0], h - quads[..., 1]], axis=-1)[:, [2, 3, 0, 1]]
    skew = estimate_skew(layout_quads)
    straight = rotate_points(layout_quads, skew, (w / 2, h / 2))
    s = page.pt_per_px
    orig_h_pt = w * s  # the original page's height, when it was turned a quarter
    boxes: list[Box] = []
    for quad, orig, (text, score) in zip(straight, quads, results, strict=True):
        text = STRAY_LEAD.sub("", text.strip())
        if not text or score < 0.2 or (len(text) == 1 and score < 0.5):
            continue  # specks read as stray characters
        xs, ys = orig[:, 0], orig[:, 1]
        if red_sum is not None and score < SEAL_REMNANT_CONFIDENCE and len(text) <= 4:
            x0, y0 = max(int(xs.min()), 0), max(int(ys.min()), 0)
            x1, y1 = min(int(xs.max()), w), min(int(ys.max()), h)
            if mask_share(red_sum, x0, y0, x1, y1) > SEAL_REMNANT_RED:
                continue  # what is left of the seal's own lettering, read as junk
        boxes.append(
            Box(
                text=text,
                score=score,
                page=page.number,
                x0=float(quad[:, 0].min()),
                y0=float(quad[:, 1].min()),
                x1=float(quad[:, 0].max()),
                y1=float(quad[:, 1].max()),
                bbox=_bbox(xs, ys, s, orig_h_pt if sideways else None),
            )
        )
    log.debug(
        "OCR page %d: %dx%d px, red %.3f, skew %.2f deg, sideways %s, flipped %s, %d boxes, det %.2f s, total %.2f s",
        page.number,
        w,
        h,
        red_share,
        skew,
        sideways,
        flipped,
        len(boxes),
        t_det - t0,
        time.perf_counter() - t0,
    )
    return PageBoxes(page.number, float(w), float(h), s, boxes), flipped or sideways


def _bbox(xs: Any, ys: Any, s: float, turned_from_height: float | None) -> tuple[float, float, float, float]:
    """Box in points on the page as stored in the file (undoing our quarter turn if any)."""
    x0, y0, x1, y1 = float(xs.min()) * s, float(ys.min()) * s, float(xs.max()) * s, float(ys.max()) * s
    if turned_from_height is None:
        return (x0, y0, x1, y1)
    return (y0, turned_from_height - x1, y1, turned_from_height - x0)


def _detect(engine: OcrEngine, image: Any) -> Any:
    """Text-line quads on the full-resolution image, found on a reduced copy."""
    import cv2

    h, w = image.shape[:2]
    factor = min(1.0, DET_LONG_SIDE / max(h, w))
    small = cv2.resize(image, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    quads = engine.detect(small).quads / factor
    return quads[[i for i, q in enumerate(quads) if _height(q) >= MIN_BOX_PX]]


def _sideways(quads: Any) -> bool:
    """Most long text boxes stand upright: the page lies on its side."""
    import numpy as np

    upright = flat = 0
    for q in quads:
        dx, dy = np.abs(q[1] - q[0]) + np.abs(q[2] - q[3])
        sx, sy = np.abs(q[3] - q[0]) + np.abs(q[2] - q[1])
        width, height = float(np.hypot(dx, dy)), float(np.hypot(sx, sy))
        if max(width, height) < 3 * min(width, height):
            continue  # short boxes say nothing about direction
        long_dx, long_dy = (dx, dy) if width >= height else (sx, sy)
        if long_dy > long_dx:
            upright += 1
        else:
            flat += 1
    return upright >= 3 and upright > 2 * flat


def _height(quad: Any) -> float:
    import numpy as np

    return float(min(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))


def _upside_down(votes: list[tuple[int, float]], crops: list[Any]) -> bool:
    """Page orientation by the line classifier, each line weighted by its length."""
    up = down = 0.0
    for (angle, score), crop in zip(votes, crops, strict=True):
        weight = crop.shape[1] * score
        if angle == 180:
            down += weight
        else:
            up += weight
    return down > 1.5 * up


def _mean_confidence(results: list[tuple[str, float]], crops: list[Any]) -> float:
    total = sum(c.shape[1] for c in crops) or 1
    return sum(score * c.shape[1] for (_, score), c in zip(results, crops, strict=True)) / total
