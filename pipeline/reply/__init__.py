"""The reply letter (附件3): render it as .docx (docxtpl) and PDF (reportlab), and verify both.

    check_reply_setup(settings)                      # at start-up: template and fonts usable
    rendered = render_reply(ctx, settings, workdir)  # workdir/reply.docx, workdir/reply.pdf
    verify_reply(rendered, ctx)                      # before publishing; raises ReplyMismatch

Template variables are listed in pipeline.reply.fields (TEMPLATE_VARIABLES).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.domain.reply import ReplyContext
from pipeline.errors import ReplyContentError, ReplyFontError, ReplyMismatch, ReplyTemplateError
from pipeline.reply.docx import TEMPLATE_NAME, check_template, render_docx
from pipeline.reply.fields import TEMPLATE_VARIABLES, check_content, reply_fields
from pipeline.reply.fonts import FontSet, find_fonts
from pipeline.reply.pdf import write_pdf
from pipeline.reply.verify import verify_reply
from pipeline.settings import Settings

__all__ = [
    "TEMPLATE_VARIABLES",
    "RenderedReply",
    "ReplyContentError",
    "ReplyFontError",
    "ReplyMismatch",
    "ReplyTemplateError",
    "check_content",
    "check_reply_setup",
    "check_template",
    "render_letter",
    "render_reply",
    "template_path",
    "verify_reply",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenderedReply:
    docx: Path
    pdf: Path


def template_path(settings: Settings) -> Path:
    """reply.docx in the configured templates folder; the packaged default when that folder is
    left at its default name and has none (an installed `letters` run outside a project folder)."""
    from pipeline.defaults import REPLY_TEMPLATE

    configured = settings.path(settings.templates) / TEMPLATE_NAME
    return settings.shipped(configured, settings.templates == Settings.templates, REPLY_TEMPLATE)


_checked: dict[tuple[Path, int, int], None] = {}


def _check_once(path: Path) -> None:
    """check_template, repeated only when the file changes (staff may edit it while the service runs)."""
    try:
        stat = path.stat()
        key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    if key is not None and key in _checked:
        return
    check_template(path)
    if key is not None:
        _checked[key] = None


LETTER_TEMPLATES = ("objection_apply.docx", "objection_notice.docx", "routing.docx")  # besides the reply


def letter_template_path(settings: Settings, name: str) -> Path:
    """One of LETTER_TEMPLATES in the templates folder, or its packaged default (as template_path)."""
    from pipeline import defaults

    configured = settings.path(settings.templates) / name
    return settings.shipped(configured, settings.templates == Settings.templates, defaults.FOLDER / name)


def check_reply_setup(settings: Settings) -> FontSet:
    """At start-up: refuse a broken template (the reply's or an objection letter's) or a missing CJK
    font before any letter is taken."""
    _check_once(template_path(settings))
    for name in LETTER_TEMPLATES:
        _check_once(letter_template_path(settings, name))
    return find_fonts(settings.fonts)


def render_letter(settings: Settings, name: str, fields: dict, workdir: Path) -> RenderedReply:
    """Another letter in the reply's format (an objection's), from its own template `name`: the same
    variables, the same start-up and sandbox rules."""
    template = letter_template_path(settings, name)
    _check_once(template)
    fonts = find_fonts(settings.fonts)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    return RenderedReply(
        docx=render_docx(template, fields, workdir / f"{stem}.docx"),
        pdf=write_pdf(fields, workdir / f"{stem}.pdf", fonts),
    )


def render_reply(ctx: ReplyContext, settings: Settings, workdir: Path) -> RenderedReply:
    """Write workdir/reply.docx and workdir/reply.pdf; call verify_reply before publishing them."""
    fields = reply_fields(ctx)  # refuses unchecked results and unconsulted lists
    template = template_path(settings)
    _check_once(template)
    fonts = find_fonts(settings.fonts)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    docx = render_docx(template, fields, workdir / "reply.docx")
    pdf = write_pdf(fields, workdir / "reply.pdf", fonts)
    log.info("reply %s rendered: %d people", fields["reply_doc_number"], len(fields["results"]))
    return RenderedReply(docx=docx, pdf=pdf)
