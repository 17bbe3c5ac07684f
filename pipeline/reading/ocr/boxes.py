"""OCR boxes and the visual lines they form: boxes that overlap vertically are one line, read left to right."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from pipeline.document import BBox

SPACE_GAP = 0.35  # gap between boxes (in line heights) that becomes a space
SAME_LINE_OVERLAP = 0.5  # vertical overlap (share of the smaller height) for one visual line


@dataclass(slots=True)
class Box:
    """One recognised text box. x0..y1 are deskewed page pixels (layout); bbox is
    the box on the original page in PDF points (provenance)."""

    text: str
    score: float
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    bbox: BBox

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 1.0)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class PageBoxes:
    number: int
    width: float  # page size in the same pixels as the boxes
    height: float
    pt_per_px: float
    boxes: list[Box]


@dataclass(slots=True)
class VisualLine:
    boxes: list[Box] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(b.y0 for b in self.boxes)

    @property
    def y1(self) -> float:
        return max(b.y1 for b in self.boxes)

    @property
    def x0(self) -> float:
        return min(b.x0 for b in self.boxes)

    @property
    def x1(self) -> float:
        return max(b.x1 for b in self.boxes)

    @property
    def h(self) -> float:
        return statistics.median(b.h for b in self.boxes)

    @property
    def page(self) -> int:
        return self.boxes[0].page

    def text(self) -> str:
        return join_boxes(self.boxes)

    @property
    def confidence(self) -> float:
        return min(b.score for b in self.boxes)

    @property
    def bbox(self) -> BBox:
        return union_bbox(b.bbox for b in self.boxes)


def union_bbox(boxes: object) -> BBox:
    items = list(boxes)  # type: ignore[call-overload]
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


def join_boxes(boxes: list[Box]) -> str:
    """Left-to-right text; a space where the boxes stand apart."""
    out = ""
    prev: Box | None = None
    for b in sorted(boxes, key=lambda b: b.x0):
        if prev is not None and b.x0 - prev.x1 > SPACE_GAP * min(b.h, prev.h):
            out += " "
        out += b.text.strip()
        prev = b
    return out


def group_lines(boxes: list[Box]) -> list[VisualLine]:
    """Visual lines in reading order: boxes that overlap vertically (and not horizontally) share a line."""
    lines: list[VisualLine] = []
    for box in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        best: VisualLine | None = None
        best_ratio = SAME_LINE_OVERLAP
        for line in lines[-6:]:  # only recent lines can still be open
            overlap = min(line.y1, box.y1) - max(line.y0, box.y0)
            ratio = overlap / min(line.h, box.h)
            if ratio < best_ratio:
                continue
            if any(
                _x_overlap(box, other) > 0.3 * min(box.x1 - box.x0, other.x1 - other.x0)
                for other in line.boxes
            ):
                continue  # stacked text (e.g. two lines in one table cell), not one line
            best, best_ratio = line, ratio
        if best is None:
            lines.append(VisualLine([box]))
        else:
            best.boxes.append(box)
    for line in lines:
        line.boxes.sort(key=lambda b: b.x0)
    lines.sort(key=lambda ln: (ln.y0 + ln.y1) / 2)
    return lines


def _x_overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
