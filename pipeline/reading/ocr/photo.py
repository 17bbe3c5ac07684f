"""A phone photo of a letter -> the sheet alone, square on and evenly lit.

A photographed sheet lies on a desk, seen at an angle, with a shadow across
it. Table rows then slant by different amounts and the roster falls apart;
the shadowed side reads worse. The page is found as the largest convex
quadrilateral brighter than its surroundings, warped to a rectangle of its
own proportions, and its lighting divided out (the paper's brightness is
estimated by closing away the ink). A scan, whose page fills the image, is
left as it is.
"""

from __future__ import annotations

import numpy as np

DETECT_LONG_SIDE = 1000  # pixels: the page outline needs no more
MIN_PAGE_SHARE = 0.25  # the sheet covers at least this much of the photo
EDGE_MARGIN = 0.015  # corners this close to the border: the page fills the image (a scan)


def find_page(rgb: np.ndarray) -> np.ndarray | None:
    """The sheet's four corners (tl, tr, br, bl) in pixels of `rgb`, or None when the page fills it."""
    import cv2

    h, w = rgb.shape[:2]
    scale = DETECT_LONG_SIDE / max(h, w)
    small = cv2.resize(
        rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    sh, sw = small.shape[:2]
    # Two outlines of the sheet: where paper is brighter than the desk (Otsu, ink closed away), and
    # where the desk meets the paper's edge (Canny), which still holds where a shadow darkens the
    # paper below the threshold. The larger quadrilateral wins.
    _, bright = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((25, 25), np.uint8))
    edges = cv2.dilate(cv2.Canny(grey, 30, 90), np.ones((5, 5), np.uint8))
    quad, area = None, MIN_PAGE_SHARE * sh * sw
    for mask, mode in ((bright, cv2.RETR_EXTERNAL), (edges, cv2.RETR_LIST)):
        contours, _ = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            found = _quadrilateral(contour)
            if found is None or cv2.contourArea(found) <= area:
                continue
            touching = sum(_on_border(x, y, sw, sh) for x, y in found)
            if touching == 4:
                return None  # the page is the whole image: a scan, not a photo
            if touching == 0:  # a corner on the border is the desk's light or a cut-off sheet: no warp
                quad, area = found, cv2.contourArea(found)
    if quad is None:
        return None
    return _order(quad) / scale


def _on_border(x: float, y: float, w: int, h: int) -> bool:
    return (
        x < EDGE_MARGIN * w or x > w * (1 - EDGE_MARGIN) or y < EDGE_MARGIN * h or y > h * (1 - EDGE_MARGIN)
    )


def _quadrilateral(contour: np.ndarray) -> np.ndarray | None:
    import cv2

    hull = cv2.convexHull(contour)
    for eps in (0.01, 0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(hull, eps * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    return None


def _order(quad: np.ndarray) -> np.ndarray:
    s = quad.sum(axis=1)
    d = np.diff(quad, axis=1).ravel()
    return np.array(
        [quad[np.argmin(s)], quad[np.argmin(d)], quad[np.argmax(s)], quad[np.argmax(d)]], np.float32
    )


def _sheet_extent(corners: np.ndarray) -> tuple[float, float]:
    """(width, height) of the rectangle the sheet is warped to: its longer opposite edges."""
    tl, tr, br, bl = corners
    return (
        float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))),
        float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))),
    )


def flatten(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The sheet warped to a rectangle with the proportions its edges show."""
    import cv2

    width, height = _sheet_extent(corners)
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(rgb, matrix, (round(width), round(height)), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def even_light(rgb: np.ndarray) -> np.ndarray:
    """Divide out the paper's uneven brightness (a shadow, a lamp on one side); ink and the seal's
    red keep their colour relative to the paper."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    k = max(15, (min(grey.shape) // 40) | 1)
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2).astype(np.float32)
    paper = np.maximum(paper, 40.0)[:, :, None]
    return np.clip(rgb.astype(np.float32) * (245.0 / paper), 0, 255).astype(np.uint8)


def sheet_size(rgb: np.ndarray) -> tuple[int, int] | None:
    """(width, height) in pixels that straighten_photo gives a photo, without warping or relighting
    it (the console's boxes need only the size); None for a scan."""
    corners = find_page(rgb)
    if corners is None:
        return None
    width, height = _sheet_extent(corners)
    return round(width), round(height)


def straighten_photo(rgb: np.ndarray) -> tuple[np.ndarray, bool]:
    """(the page square on and evenly lit, True) for a photo; (the image unchanged, False) otherwise."""
    corners = find_page(rgb)
    if corners is None:
        return rgb, False
    return even_light(flatten(rgb, corners)), True
