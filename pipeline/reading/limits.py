"""How much work one untrusted file may cost, measured before the work is spent.

A 724-byte PDF can declare a page of 14400 x 14400 pt (rendered at OCR
resolution: 2.5 gigapixels), a 290 KB PNG can unpack to 237 megapixels. Each
bound here is checked on the declared size, before rendering or decoding, and
refuses with a Chinese reason instead of taking the memory.
"""

from __future__ import annotations

import warnings
from typing import IO, TYPE_CHECKING

from pipeline.errors import CorruptFile

if TYPE_CHECKING:
    from pathlib import Path

    from PIL import Image

MAX_RENDER_PIXELS = 40_000_000  # one rendered page: A4 at 250 dpi is 6 Mpx, A3 at 300 dpi 17 Mpx
MAX_IMAGE_PIXELS = 120_000_000  # one decoded image: an A3 scan at 600 dpi
MAX_PAGE_AREA = 32 * 595.3 * 841.9  # pt²: two A0 sheets; a larger page is no letter (nor a map in one)

PAGE_TOO_LARGE = (
    "文件中的页面尺寸异常（{w:.0f} × {h:.0f} 厘米），不像来函页面，无法识别，请向来函单位索取正常的文件。"
)
IMAGE_TOO_LARGE = "图片像素数异常（{w} × {h}），超出可处理的范围，请向来函单位索取正常大小的扫描件或照片。"
MAX_PAGE_ASPECT = 20  # long side / short side: A4 is 1.41, a fax roll of several pages or a long
# phone screenshot stays well under 20; a 200000 x 2 strip is no page
MIN_PAGE_SIDE = 32  # pixels: a short side under this holds no line of text
IMAGE_NOT_A_PAGE = (
    "图片的尺寸异常（{w} × {h} 像素），不像来函页面，无法识别，请向来函单位索取正常的扫描件或照片。"
)


def render_scale(width_pt: float, height_pt: float, wanted: float) -> float:
    """The scale to render a page at: `wanted`, or less so it stays under MAX_RENDER_PIXELS. A page
    whose declared size is no paper size is refused before anything is rendered."""
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    if area > MAX_PAGE_AREA:
        raise CorruptFile(
            f"page of {width_pt:.0f} x {height_pt:.0f} pt is no letter page",
            PAGE_TOO_LARGE.format(w=width_pt / 72 * 2.54, h=height_pt / 72 * 2.54),
        )
    if area * wanted * wanted > MAX_RENDER_PIXELS:
        return (MAX_RENDER_PIXELS / area) ** 0.5
    return wanted


def check_page_shape(width: int, height: int, name: str = "image") -> None:
    """Refuse an image page no letter can be printed on (a strip, or a speck), before it is scaled:
    scaling a 200000 x 2 strip to page size asks OpenCV for a zero-pixel side and failed the
    letter as 系统内部错误 instead of with its reason."""
    short, long = sorted((width, height))
    if short < MIN_PAGE_SIDE or long > short * MAX_PAGE_ASPECT:
        raise CorruptFile(
            f"{name}: image of {width}x{height} pixels is no letter page",
            IMAGE_NOT_A_PAGE.format(w=width, h=height),
        )


def open_image(source: Path | IO[bytes], name: str = "image") -> Image.Image:
    """PIL's Image.open, refusing more than MAX_IMAGE_PIXELS by the header, before decoding (PIL's own
    check only warns, in English, up to twice its limit)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS  # PIL's own refusal starts at twice this
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, in Chinese
        try:
            image = Image.open(source)  # reads the header only
        except Image.DecompressionBombError as exc:
            raise CorruptFile(
                f"{name}: image too large ({exc})", IMAGE_TOO_LARGE.format(w="?", h="?")
            ) from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise CorruptFile(f"{name}: image cannot be decoded ({exc})") from exc
    w, h = image.size
    if w * h > MAX_IMAGE_PIXELS:
        image.close()
        raise CorruptFile(f"{name}: image of {w}x{h} pixels", IMAGE_TOO_LARGE.format(w=w, h=h))
    return image
