"""A reply's files, staged: 文号 allocated only after the content passed its checks, then rendered
and verified. Shared by automatic handling and by a clerk's approval after review."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.cases.numbering import next_reply_number
from pipeline.checking import outcome_to_json
from pipeline.contract import letter_to_json
from pipeline.domain.letter import Letter
from pipeline.domain.reply import ReplyContext
from pipeline.domain.result import CheckOutcome
from pipeline.outbox import reply_stem
from pipeline.privacy import private_file
from pipeline.settings import Settings
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import CaseState
from pipeline.workdays import next_workday


def issue_date(settings: Settings, today: dt.date) -> dt.date:
    """The date printed on a reply: today when it is a working day, else the next working day."""
    return next_workday(today, settings.holidays_path())


def _write_private_json(path: Path, data: dict) -> Path:
    private_file(path)
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    return path


PREVIEW_NUMBER = "（发出时编号）"


def reply_context(
    letter: Letter, outcome: CheckOutcome, settings: Settings, now: dt.datetime
) -> ReplyContext:
    """What the reply will say, without its 文号 (allocated only when it goes out)."""
    assert letter.kind is not None and letter.unit is not None and letter.date is not None
    consulted = [s.list_name for s in outcome.snapshots]
    return ReplyContext(
        kind=letter.kind,
        reply_doc_number="",
        addressee=letter.unit,
        letter_date=letter.date,
        letter_doc_number=letter.doc_number,
        results=outcome.results,
        office_name=settings.signature,
        issue_date=issue_date(settings, now.date()),
        contact_name=settings.contact_name,
        contact_phone=settings.contact_phone,
        masthead=(settings.masthead_name or settings.office_name) if settings.masthead else "",
        # list names and the 名单类别 their records carry: both come only from consulted snapshots
        lists_consulted=list(dict.fromkeys([*consulted, *(n for r in outcome.results for n in r.lists)])),
        checked_at=outcome.checked_at,
        lists_as_of=min((s.imported_at for s in outcome.snapshots), default=None),
    )


def corrects_of(sessions: sessionmaker[Session], case_id: int | None) -> str | None:
    """The reply a case's next reply corrects (更正函), if a spot check reopened it."""
    if case_id is None:
        return None
    with sessions() as session:
        tracking = session.get(CaseTracking, case_id)
        return tracking.corrects_reply if tracking is not None else None


def preview_reply(
    letter: Letter, outcome: CheckOutcome, settings: Settings, workdir: Path, now: dt.datetime,
    corrects: str | None = None,
) -> Path:  # fmt: skip
    """The reply's PDF exactly as it will go out but for its 文号, which is allocated only on release."""
    from pipeline.reply import check_content, render_reply

    ctx = reply_context(letter, outcome, settings, now)
    ctx.corrects = corrects
    check_content(ctx)
    ctx.reply_doc_number = PREVIEW_NUMBER
    return render_reply(ctx, settings, workdir).pdf


def stage_reply(
    letter: Letter,
    outcome: CheckOutcome,
    settings: Settings,
    sessions: sessionmaker[Session],
    workdir: Path,
    *,
    case_id: int | None,
    now: dt.datetime,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Path]]:
    """Allocate the reply's 文号, render, verify; leave .docx/.pdf/.json in `workdir` under the names
    a clerk will see. `extra` adds fields to the result JSON (e.g. who reviewed it)."""
    from pipeline.reply import check_content, check_reply_setup, render_reply, verify_reply  # heavy

    check_reply_setup(settings)  # a broken template or missing font must not use up a 文号
    ctx = reply_context(letter, outcome, settings, now)
    ctx.corrects = corrects_of(sessions, case_id)
    issued = ctx.issue_date
    check_content(ctx)  # a reply that cannot go out must not use up a 文号
    number = next_reply_number(sessions, settings, issued.year, case_id=case_id, now=now)
    ctx.reply_doc_number = number
    render_dir = workdir / ".render"
    rendered = render_reply(ctx, settings, render_dir)
    verify_reply(rendered, ctx)
    stem = reply_stem(letter, issued)
    outputs = {
        "docx": workdir / f"{stem}.docx",
        "pdf": workdir / f"{stem}.pdf",
        "json": workdir / f"{stem}_结果.json",
    }
    os.replace(rendered.docx, outputs["docx"])
    os.replace(rendered.pdf, outputs["pdf"])
    shutil.rmtree(render_dir, ignore_errors=True)
    for p in (outputs["docx"], outputs["pdf"]):
        os.chmod(p, 0o600)
    _write_private_json(
        outputs["json"],
        {
            "case_id": case_id,
            **(extra or {}),
            "state": CaseState.REPLIED.value,
            "reply_doc_number": number,
            "issue_date": issued.isoformat(),
            "letter": letter_to_json(letter, with_sources=False),
            "check": outcome_to_json(outcome),
        },
    )
    return number, outputs
