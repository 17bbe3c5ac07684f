"""Clean a page image before OCR: red seal out, skew and orientation measured.

The official seal (公章) is stamped over the signing unit and the date, exactly
the text extraction needs. Its red ink confuses both detection and
recognition, while black print under it stays dark. So only clearly red
pixels are painted white; dark pixels (black ink, even where red lies on top)
are kept.
"""

from __future__ import annotations

import math

import numpy as np

# A pixel is "seal red" when red clearly dominates green and blue.
RED_MIN_MARGIN = 30  # R - max(G, B)
SEAL_DARK_SHARE = 0.4  # R below this share of the seal's R is print under the seal -> black
HALO_LIGHT = 100  # grey above this next to seal ink is a ghost (red ink has luminance ~90; print ~30)


def suppress_red(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grey 3-channel image with the red seal whitened, boolean mask of the reddish pixels).

    In the red channel seal ink is nearly as bright as paper while black print
    stays darker, also where it lies under (translucent) seal ink; so reddish
    pixels take their red value, stretched so the seal ink itself turns white
    while black strokes, dark-red print under the seal and anti-aliased edges
    keep their contrast.
    """
    import cv2

    r = rgb[:, :, 0]
    gb = np.maximum(rgb[:, :, 1], rgb[:, :, 2])
    reddish = r.astype(np.int16) - gb.astype(np.int16) > RED_MIN_MARGIN
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if reddish.any():
        level = max(float(np.percentile(r[reddish], 40)), 100.0)  # R of the seal ink itself
        dark = SEAL_DARK_SHARE * level  # print under translucent seal ink keeps R about this low
        stretched = (r[reddish].astype(np.float32) - dark) * (255.0 / (level - dark))
        grey[reddish] = np.clip(stretched, 0, 255).astype(np.uint8)
        # JPEG blurs the seal's colour at its edges into pale, no longer reddish ghosts: whiten
        # light pixels right next to seal ink (black print is far darker than HALO_LIGHT).
        near = cv2.dilate(reddish.view(np.uint8), np.ones((7, 7), np.uint8)).view(bool)
        grey[near & ~reddish & (grey > HALO_LIGHT)] = 255
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), reddish


def mask_share(integral: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    """Share of set pixels of a mask inside a rectangle, from its cv2.integral image."""
    area = max((x1 - x0) * (y1 - y0), 1)
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return float(total) / area


def quad_angle(quad: np.ndarray) -> float:
    """Angle of a text-line quad's baseline in degrees (positive: falling to the right)."""
    (x0, y0), (x1, y1) = quad[0], quad[1]
    (x3, y3), (x2, y2) = quad[3], quad[2]
    dx = (x1 - x0 + x2 - x3) / 2
    dy = (y1 - y0 + y2 - y3) / 2
    return math.degrees(math.atan2(dy, dx))


def estimate_skew(quads: np.ndarray) -> float:
    """Page skew in degrees from the long text lines' baselines (median, robust to odd boxes)."""
    angles: list[float] = []
    weights: list[float] = []
    for quad in quads:
        w = float(np.linalg.norm(quad[1] - quad[0]))
        h = float(np.linalg.norm(quad[3] - quad[0]))
        if h <= 0 or w < 3 * h:
            continue
        a = quad_angle(quad)
        if abs(a) <= 15:
            angles.append(a)
            weights.append(w)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def rotate_points(points: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    """Rotate (..., 2) points by -degrees about centre: undoes a skew of `degrees`."""
    t = math.radians(-degrees)
    c, s = math.cos(t), math.sin(t)
    cx, cy = centre
    x = points[..., 0] - cx
    y = points[..., 1] - cy
    out = np.empty_like(points, dtype=np.float64)
    out[..., 0] = cx + c * x - s * y
    out[..., 1] = cy + s * x + c * y
    return out


def crop_line(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The text line inside quad (tl, tr, br, bl), warped straight."""
    import cv2

    w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    w, h = max(w, 2), max(h, 2)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
