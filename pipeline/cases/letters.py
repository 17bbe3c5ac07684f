"""The office's other letters in the reply's format (an objection's, 退回 / 转办): their common
values, and numbering, rendering and publishing one into the outbox.

A letter's own values (title, addressee, sentences, rows) come from its caller; everything every
letter shares (masthead, contact, the signing line, the date of issue) is filled here, once.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from pipeline.cases.context import ServiceContext
from pipeline.cases.folders import Folders
from pipeline.cases.numbering import next_reply_number, void_unused
from pipeline.cases.publisher import claim
from pipeline.cases.replying import issue_date
from pipeline.cases.transitions import note
from pipeline.domain.reply import date_zh
from pipeline.files import safe_copy, sha256_file
from pipeline.outbox import destination
from pipeline.settings import Settings
from pipeline.storage import audit, write_transaction
from pipeline.storage.numbers import mark_used


def letter_fields(
    settings: Settings, now: dt.datetime, *, title: str, addressee: str, incoming: str, conclusion: str,
    heading: str, rows: list[tuple[str, str, str]], list_follows: bool = False,
) -> dict:  # fmt: skip
    """The template's values (pipeline.reply.fields keys) for a letter with these parts.
    `list_follows`: its list follows the letter on the page (the template does the same:
    pipeline.reply.make_template.INLINE_ATTACHMENT), so a one-person letter is one page."""
    from pipeline.reply.fields import clean

    contact = "，".join(
        x for x in (f"联系人：{settings.contact_name}" if settings.contact_name else "",
                    f"电话：{settings.contact_phone}" if settings.contact_phone else "") if x
    )  # fmt: skip
    return {
        "masthead": clean(settings.masthead_name or settings.office_name) if settings.masthead else "",
        "reply_doc_number": "", "title": title, "addressee": clean(addressee), "incoming": clean(incoming),
        "conclusion": clean(conclusion), "contact_line": contact, "attachment": f"附件：{heading}",
        "office_name": clean(settings.signature), "issue_date": date_zh(issue_date(settings, now.date())),
        "attachment_title": heading, "query_time": "", "attachment_new_page": not list_follows,
        "results": [{"seq": str(i), "name": clean(n), "id_number": clean(d), "result": r}
                    for i, (n, d, r) in enumerate(rows, 1)],
    }  # fmt: skip


def send_letter(
    ctx: ServiceContext, case_id: int, template: str, fields: dict, *, label: str, unit: str | None,
    now: dt.datetime, key: str = "",
) -> tuple[str, dict[str, str]]:  # fmt: skip
    """Number the letter (only now: a letter refused earlier uses no 文号), render it from `template`
    and claim its names in the outbox; returns its 文号 and {key+kind: file name}."""
    from pipeline.reply import render_letter  # heavy: only when a letter is made

    number = next_reply_number(ctx.db.sessions, ctx.settings, now.year, case_id=case_id, now=now)
    fields = {**fields, "reply_doc_number": number}
    Folders.from_settings(ctx.settings)
    names = {}
    with tempfile.TemporaryDirectory(dir=ctx.settings.path(ctx.settings.data_dir)) as tmp:
        try:
            made = render_letter(ctx.settings, template, fields, Path(tmp))
        except BaseException:
            with write_transaction(
                ctx.db.sessions
            ) as session:  # refused or failed: its number never goes out
                void_unused(session, now, case_id=case_id)
            raise
        with write_transaction(ctx.db.sessions) as session:  # final before any file carries it
            mark_used(session, number, case_id, now)
            note(session, case_id, actor=audit.SERVICE, now=now, reason=f"{label}定稿：{number}，即将发出")
        for suffix, path in (("docx", made.docx), ("pdf", made.pdf)):
            named = path.with_name(f"{number}-{label}-{unit or '来函单位'}.{suffix}")
            path.rename(named)
            folder, mode = destination(ctx.settings, suffix)
            target, filled = claim(named, folder, mode)
            if not filled:  # a share without hard links: the placeholder gets the content
                safe_copy(named, target, sha256_file(named), mode=mode)
            names[f"{key}{suffix}"] = target.name
    return number, names
