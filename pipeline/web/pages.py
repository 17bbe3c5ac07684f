"""The original letter as page images, and where each extracted value sits on them.

PDFs and scans are rendered with pypdfium2; a .docx is converted once through
the reading layer's bounded LibreOffice path; an image letter is shown as it is.
A file the reader refused is shown as refused, and one that cannot be drawn as
such: the case page and its actions always work. Renders are cached beside the
database (private folders), never in the browser (pages are no-store).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cases.context import ServiceContext
from pipeline.cases.lookup import get_case
from pipeline.domain.roles import Account
from pipeline.errors import CorruptFile, FailureKind, LettersError
from pipeline.privacy import private_file
from pipeline.reading.limits import open_image, render_scale
from pipeline.reading.sniff import sniff
from pipeline.storage.models import CaseState
from pipeline.web.locate import PageText, locate, read_pages

if TYPE_CHECKING:
    from pipeline.cases.objections import Step

log = logging.getLogger("pipeline.web.pages")

SCALE = 1.5  # 108 dpi: names and IDs readable, a page well under 300 kB
OFD_DRAWN = "ofd.pdf"  # an OFD drawn from what the reader read: its boxes are the reader's own


@dataclass(frozen=True, slots=True)
class Box:
    key: str  # the form field it belongs to: unit, doc_number, date, addressee, 2.name, 2.id_number …
    page: int
    left: float  # percentages of the page
    top: float
    width: float
    height: float


def _cache(ctx: ServiceContext, case_id: int) -> Path:
    folder = ctx.settings.path(ctx.settings.data_dir) / "previews" / str(case_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _pdf_pages(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def _save_png(image: Any, png: Path) -> None:
    """A page image, private (personal data) and whole: written beside its name, then renamed.
    Not PNG optimize: four times the time for files 2 % smaller, paid on every first view."""
    tmp = png.with_suffix(".part")
    image.save(tmp, "PNG")
    tmp.chmod(0o600)
    tmp.replace(png)


def _rendered(pdf: Path, number: int, png: Path) -> Path | None:
    """Page `number` (1-based) of `pdf` as `png`, rendered once; None when there is no such page."""
    if png.exists():
        return png
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        if not 1 <= number <= len(doc):
            return None
        page = doc[number - 1]
        try:
            scale = render_scale(*page.get_size(), SCALE)  # a page of absurd size is not rendered
        except CorruptFile:
            return None
        _save_png(page.render(scale=scale).to_pil(), png)
    finally:
        doc.close()
    return png


def original(ctx: ServiceContext, case_id: int) -> Path | None:
    with ctx.db.sessions() as session:
        _, tracking = get_case(session, case_id)
        archived = tracking.archive_path
        if archived is None and tracking.duplicate_of is not None:  # the same bytes, archived once
            archived = get_case(session, tracking.duplicate_of)[1].archive_path
    if archived is None:
        return None
    path = ctx.settings.path(ctx.settings.archive) / archived
    return path if path.exists() else None


def shown(ctx: ServiceContext, case_id: int) -> Path | None:
    """The file the console shows for a case: its original, or for a letter that came with its attachments
    (a zip), the letter inside, unpacked once into the case's private cache."""
    path = original(ctx, case_id)
    if path is None or sniff(path) != "zip":
        return path
    from pipeline.reading.bundle import letter_in

    found = letter_in(path)
    if found is None:
        return None
    name, data = found
    suffix = Path(name).suffix.lower()
    target = _cache(ctx, case_id) / f"letter{suffix if suffix.isascii() and suffix[1:].isalnum() else ''}"
    if not target.exists():
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        part.chmod(0o600)  # the letter's people
        part.replace(target)
    return target


def refused(ctx: ServiceContext, case_id: int) -> str | None:
    """Why the original is not drawn: a file the reader refused (damaged, past the bounds, a reader that
    died or timed out on it) is never opened again in the console, where no child process limits the
    work; its reason is shown instead. A file read whole but not a letter is shown."""
    with ctx.db.sessions() as session:
        case, _ = get_case(session, case_id)
    if case.state != CaseState.FAILED.value:
        return None
    if case.error_kind is not None and FailureKind(case.error_kind).read_whole:
        return None  # read whole and nothing in it refused: the clerk sees it
    return case.error or "该文件未能读取"


def as_pdf(ctx: ServiceContext, case_id: int) -> Path | None:
    """The letter as a PDF to render: itself, a cached LibreOffice conversion of a .docx (or a legacy .doc
    or .wps), an OFD drawn from what the reader read, or None (it cannot be drawn). Callers ask
    `refused` first."""
    path = shown(ctx, case_id)
    if path is None:
        return None
    kind = sniff(path)
    if kind == "pdf":
        return path
    if kind == "ofd":
        return _ofd_drawn(ctx, case_id, path)
    if kind not in ("docx", "doc"):
        return None
    from pipeline.reading.legacy import convert

    try:  # the reading layer's converter: bounded before, LibreOffice capped, timed, its group killed
        return convert(path, "pdf")
    except LettersError as exc:
        log.warning("case %s: the original cannot be converted for viewing: %s", case_id, exc)
        return None


def _ofd_drawn(ctx: ServiceContext, case_id: int, path: Path) -> Path | None:
    drawn = _cache(ctx, case_id) / OFD_DRAWN
    if not drawn.exists():
        from pipeline.errors import LettersError
        from pipeline.reading.ofd_reader.render import render_pdf

        tmp = drawn.with_suffix(".part")
        try:
            render_pdf(path, tmp)
        except LettersError:
            tmp.unlink(missing_ok=True)
            return None
        tmp.chmod(0o600)  # the letter's people, drawn
        tmp.replace(drawn)
    return drawn


def page_count(ctx: ServiceContext, case_id: int) -> int:
    """How many page images the case page shows (0: the original cannot be shown, and says why)."""
    try:
        return _page_count(ctx, case_id)
    except Exception as exc:  # a file that cannot be drawn never takes the page and its actions down
        log.warning("case %s: the original cannot be drawn: %s", case_id, type(exc).__name__)
        return 0


def _page_count(ctx: ServiceContext, case_id: int) -> int:
    if refused(ctx, case_id) is not None:
        return 0
    pdf = as_pdf(ctx, case_id)
    if pdf is None:
        path = shown(ctx, case_id)
        if path is None:
            return 0
        if sniff(path) != "image":
            return 1  # shown as "cannot be shown" by the page image
        try:
            with open_image(path, path.name) as image:  # a fax is a multi-page TIFF: every page
                return int(getattr(image, "n_frames", 1))
        except CorruptFile:
            return 1  # shown as "cannot be shown"
    return _pdf_pages(pdf)


def page_image(ctx: ServiceContext, case_id: int, number: int) -> tuple[Path, str] | None:
    """(file, mimetype) of page `number` (1-based), rendered once and cached; None when it cannot be."""
    try:
        return _page_image(ctx, case_id, number)
    except Exception as exc:
        log.warning("case %s: page %s cannot be drawn: %s", case_id, number, type(exc).__name__)
        return None


def _page_image(ctx: ServiceContext, case_id: int, number: int) -> tuple[Path, str] | None:
    if refused(ctx, case_id) is not None:
        return None
    pdf = as_pdf(ctx, case_id)
    png = _cache(ctx, case_id) / f"page-{number}.png"
    if pdf is None:  # an image letter (a photo, a TIFF fax browsers cannot show): as a PNG
        path = shown(ctx, case_id)
        if path is None or number < 1 or sniff(path) != "image":
            return None
        if not png.exists():
            try:
                image = _as_read(path, number)
            except CorruptFile:
                image = None  # an image past the bounds is never decoded for the console either
            if image is None:
                return None
            image.thumbnail((2000, 2000))
            _save_png(image.convert("RGB"), png)
        return png, "image/png"
    return (png, "image/png") if _rendered(pdf, number, png) else None


def _as_read(path: Path, number: int):  # -> PIL.Image.Image | None
    """Page `number` as OCR read it (a fax at square pixels, a photo cut to its sheet, upright), so
    the boxes land where the values were read; without the OCR extra, the page as stored."""
    from PIL import ImageOps

    try:
        from pipeline.reading.ocr.images import page_picture
    except ImportError:
        with open_image(path, path.name) as image:
            if number > getattr(image, "n_frames", 1):
                return None
            image.seek(number - 1)
            return ImageOps.exif_transpose(image).convert("RGB")
    return page_picture(path, number)


def boxes(ctx: ServiceContext, case_id: int, letter_json: dict | None) -> list[Box]:
    """Where each value was read, as page percentages: PDFs and scans carry page and bbox; a .docx's
    values are found on its converted PDF (pipeline.web.locate). None placed when it cannot be drawn."""
    try:
        return _boxes(ctx, case_id, letter_json)
    except Exception as exc:
        log.warning("case %s: boxes cannot be placed: %s", case_id, type(exc).__name__)
        return []


def _boxes(ctx: ServiceContext, case_id: int, letter_json: dict | None) -> list[Box]:
    if refused(ctx, case_id) is not None:
        return []
    pdf = as_pdf(ctx, case_id)
    if not letter_json:
        return []
    if pdf is None:
        path = shown(ctx, case_id)
        if path is None or sniff(path) != "image":
            return []
        try:
            from pipeline.reading.ocr.images import page_sizes
        except ImportError:  # without the OCR extra no image letter was read: nothing to place
            return []
        try:
            return _placed(letter_json, page_sizes(path))
        except CorruptFile:
            return []
    original_file = shown(ctx, case_id)
    if original_file is not None and sniff(original_file) in ("docx", "doc"):  # laid out by LibreOffice
        pages = _converted_text(ctx, case_id, pdf)
        return [
            Box(s.key, s.page, *_percent(s.rect, pages[s.page - 1].width, pages[s.page - 1].height))
            for s in locate(pages, letter_json)
        ]
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        sizes = [doc[i].get_size() for i in range(len(doc))]
    finally:
        doc.close()
    return _placed(letter_json, sizes)


def _placed(letter_json: dict, sizes: list[tuple[float, float]]) -> list[Box]:
    """Boxes from the page and bbox (points) each source carries, on pages of these sizes."""
    found = [(key, src) for key, src in (letter_json.get("sources") or {}).items()]
    for seq, person in enumerate(letter_json.get("people") or [], 1):
        found.extend((f"{seq}.{key}", src) for key, src in (person.get("sources") or {}).items())
    out = []
    for key, src in found:
        loc = (src or {}).get("location") or {}
        page, bbox = loc.get("page"), loc.get("bbox")
        if not page or not bbox or not 1 <= page <= len(sizes):
            continue
        out.append(Box(key, page, *_percent(tuple(bbox), *sizes[page - 1])))
    return out


def _percent(rect: tuple, width: float, height: float) -> tuple[float, float, float, float]:
    x0, top, x1, bottom = rect
    return 100 * x0 / width, 100 * top / height, 100 * (x1 - x0) / width, 100 * (bottom - top) / height


def _converted_text(ctx: ServiceContext, case_id: int, pdf: Path) -> list[PageText]:
    """The converted PDF's characters, read once and cached with the page images (personal data: 0600)."""
    cached = _cache(ctx, case_id) / "original-text.json"
    try:
        return [PageText.from_json(p) for p in json.loads(cached.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    pages = read_pages(str(pdf))
    tmp = private_file(cached.with_name(cached.name + ".part"))
    tmp.write_text(json.dumps([p.to_json() for p in pages], ensure_ascii=False), encoding="utf-8")
    tmp.replace(cached)
    return pages


def _preview_folder(ctx: ServiceContext, case_id: int, name: str) -> Path:
    """A fresh folder for one letter's preview: a new preview never shows an old page."""
    folder = _cache(ctx, case_id) / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    return folder


def _draw_all(pdf: Path, folder: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        for i in range(len(doc)):
            _save_png(doc[i].render(scale=SCALE).to_pil(), folder / f"page-{i + 1}.png")
        return len(doc)
    finally:
        doc.close()


def render_preview(ctx: ServiceContext, case_id: int, account: Account) -> tuple[int, str]:
    """Render the reply a release would send into the case's preview cache; returns its page count
    and the tag its release hands back (pipeline.cases.review.content_tag)."""
    from pipeline.cases.review import preview

    folder = _preview_folder(ctx, case_id, "reply")
    pdf, tag = preview(ctx, case_id, account, folder / "render")
    return _draw_all(pdf, folder), tag


def render_objection_preview(ctx: ServiceContext, case_id: int, account: Account) -> tuple[int, str, Step]:
    """Render the letter an objection's stage sends (pipeline.cases.objections.preview_letter);
    returns its page count, the tag its release hands back and the step that sends it."""
    from pipeline.cases.objections import preview_letter

    folder = _preview_folder(ctx, case_id, "objection")
    pdf, tag, step = preview_letter(ctx, case_id, account, folder / "render")
    return _draw_all(pdf, folder), tag, step


def preview_image(ctx: ServiceContext, case_id: int, number: int, name: str = "reply") -> Path | None:
    """Page `number` of the last preview drawn: the reply, or (name="objection") an objection's letter."""
    path = _cache(ctx, case_id) / name / f"page-{number}.png"
    return path if path.exists() else None


def sent_reply(ctx: ServiceContext, case_id: int) -> Path | None:
    """The reply PDF the case published (outbox), for the person re-checking it (抽查抽检)."""
    with ctx.db.sessions() as session:
        case, _ = get_case(session, case_id)
    name = (case.outputs or {}).get("pdf")
    path = ctx.settings.path(ctx.settings.outbox) / name if name else None
    return path if path is not None and path.is_file() else None


def sent_pages(ctx: ServiceContext, case_id: int) -> int:
    pdf = sent_reply(ctx, case_id)
    return _pdf_pages(pdf) if pdf is not None else 0


def sent_image(ctx: ServiceContext, case_id: int, number: int) -> Path | None:
    """Page `number` of the sent reply as an image, rendered once and cached (private)."""
    pdf = sent_reply(ctx, case_id)
    if pdf is None:
        return None
    return _rendered(pdf, number, _cache(ctx, case_id) / f"sent-{pdf.stat().st_mtime_ns}-{number}.png")
