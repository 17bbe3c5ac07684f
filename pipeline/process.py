"""One letter, end to end: read → extract → check → decide → reply.

`process_letter` is the library step the watcher calls: it writes finished
files into a work folder and returns a typed outcome; it never touches the
outbox or the case row. `process_file` is what `letters process` runs: it
records the case, calls `process_letter`, and publishes into the outbox.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.checking import check_people, outcome_to_json
from pipeline.contract import letter_to_json
from pipeline.domain.letter import Kind, Letter
from pipeline.domain.reply import ReplyContext
from pipeline.domain.result import CheckOutcome, Verdict
from pipeline.errors import INTERNAL_ERROR_ZH, ExitCode, LettersError, UnreadableLetter
from pipeline.extraction import CONFIRM_ID_REPAIRED, CONFIRM_NAME, checks, extract
from pipeline.files import sha256_file
from pipeline.outbox import destination, publish, reply_stem
from pipeline.privacy import private_file
from pipeline.reading import read_document
from pipeline.settings import Settings
from pipeline.storage import Database, write_transaction
from pipeline.storage.models import Case, CaseState
from pipeline.storage.numbers import allocate_reply_number
from pipeline.workdays import calendar_for, next_workday

log = logging.getLogger("pipeline.process")


class Decision(StrEnum):
    REPLIED = "replied"
    WAITING_REVIEW = "waiting_review"
    FAILED = "failed"


@dataclass(slots=True)
class ProcessOutcome:
    """What processing one letter decided — the one outcome type for `letters process`, the
    watcher and review. `outputs`: kind (docx/pdf/json) -> finished file."""

    state: Decision
    reasons: list[str] = field(default_factory=list)  # Chinese: why a clerk must look
    error: str | None = None  # Chinese: why it failed
    exit_code: int = ExitCode.OK
    reply_doc_number: str | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    kind: str | None = None
    unit: str | None = None
    doc_number: str | None = None
    letter_json: dict[str, Any] | None = None
    check_json: dict[str, Any] | None = None
    case_id: int | None = None

    def __post_init__(self) -> None:
        self.state = Decision(self.state)  # callers may pass the stored string form


def issue_date(settings: Settings, today: dt.date) -> dt.date:
    """The date printed on a reply: today when it is a working day, else the next working day."""
    return next_workday(today, settings.holidays_path())


SECOND_REVIEW = "查询结果为失信联合惩戒对象，公务员录用、调任查询须二次复审、复核、复查"
HOLIDAYS_MISSING = "节假日安排未录入，请管理员更新 holidays.toml"
SCAN_CONFIRM = "来函为扫描件，须对照原件确认识别结果后复函"
_CONFIRMABLE = (SECOND_REVIEW, SCAN_CONFIRM, CONFIRM_NAME, CONFIRM_ID_REPAIRED)


def approvable(reason: str) -> bool:
    """Reasons a named person settles by approving (a second review, a scan read against its original);
    all others need a correction first."""
    return reason.endswith(_CONFIRMABLE)


def review_reasons(
    letter: Letter,
    outcome: CheckOutcome | None,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Every reason a clerk must look before a reply may go (Chinese); empty means reply."""
    reasons = list(letter.blocking_reasons)
    if settings is not None:
        # A reply dated in a year with no holiday arrangement could be dated on a public
        # holiday (2027 Spring Festival) and its deadline miscounted: wait for the file.
        issued = issue_date(settings, today or dt.date.today())
        if calendar_for(settings.holidays_path()).source(issued.year) == "weekends":
            reasons.append(f"{HOLIDAYS_MISSING}（{issued.year}年）")
    for missing, text in (
        (letter.kind is None, checks.PROBLEM_NO_KIND),
        (letter.unit is None, checks.PROBLEM_NO_UNIT),
        (letter.date is None, checks.PROBLEM_NO_DATE),
        (not letter.people, checks.PROBLEM_NO_PEOPLE),
    ):
        if missing and text not in reasons:
            reasons.append(text)
    for index, person in enumerate(letter.people, 1):
        reasons.extend(f"第{index}人（{person.name}）：{c}" for c in person.confirm)
    if letter.from_scan and not (settings and settings.ocr_auto_answer):
        reasons.append(SCAN_CONFIRM)
    if outcome is None:
        return reasons
    reasons.extend(outcome.problems)
    for r in outcome.results:
        who = f"第{r.seq}人（{r.name}）"
        if r.verdict == Verdict.NAME_MISMATCH:
            reasons.append(f"{who}：身份证号码在失信名单中，但名单登记的姓名不同，需人工核实")
        elif r.verdict == Verdict.POSSIBLE:
            reasons.append(f"{who}：与失信名单中一条脱敏身份证号码记录的姓名和可见号码相符，需人工核实")
        elif r.verdict == Verdict.LISTED and letter.kind == Kind.CIVIL_SERVANT:
            reasons.append(f"{who}：{SECOND_REVIEW}")
    return list(dict.fromkeys(reasons))


def _write_private_json(path: Path, data: dict) -> Path:
    private_file(path)
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def write_reply(
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
    """Allocate the reply's 文号, render, verify, and leave .docx/.pdf/.json in `workdir` under final names.

    Shared by automatic processing and by a clerk's decision after review;
    `extra` adds fields to the result JSON (e.g. who reviewed it).
    """
    from pipeline.reply import (
        check_content,
        check_reply_setup,
        render_reply,
        verify_reply,
    )  # loaded when needed

    assert letter.kind is not None and letter.unit is not None and letter.date is not None
    check_reply_setup(settings)  # a broken template or missing font must not use up a 文号
    issued = issue_date(settings, now.date())
    consulted = [s.list_name for s in outcome.snapshots]
    ctx = ReplyContext(
        kind=letter.kind,
        reply_doc_number="",  # allocated below, once the content has passed its checks
        addressee=letter.unit,
        letter_date=letter.date,
        letter_doc_number=letter.doc_number,
        results=outcome.results,
        office_name=settings.office_name,
        issue_date=issued,
        contact_name=settings.contact_name,
        contact_phone=settings.contact_phone,
        masthead=(settings.masthead_name or settings.office_name) if settings.masthead else "",
        # list names and the 名单类别 their records carry: both come only from consulted snapshots
        lists_consulted=list(dict.fromkeys([*consulted, *(n for r in outcome.results for n in r.lists)])),
    )
    check_content(ctx)  # a reply that cannot go out must not use up a 文号
    number = allocate_reply_number(sessions, settings.reply_prefix, issued.year, case_id=case_id, now=now)
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
            "state": Decision.REPLIED.value,
            "reply_doc_number": number,
            "issue_date": issued.isoformat(),
            "letter": letter_to_json(letter, with_sources=False),
            "check": outcome_to_json(outcome),
        },
    )
    return number, outputs


def process_letter(
    path: Path,
    settings: Settings,
    sessions: sessionmaker[Session],
    workdir: Path,
    *,
    case_id: int | None = None,
    now: dt.datetime | None = None,
) -> ProcessOutcome:
    """Decide one letter; a reply's finished .docx/.pdf/.json are left in `workdir` under their final names.

    Raises UnreadableLetter (and other LettersError) for files that cannot be
    read; the caller records those as failed.
    """
    now = now or dt.datetime.now()
    letter = extract(read_document(path), today=now.date())
    base = ProcessOutcome(
        Decision.WAITING_REVIEW,
        kind=letter.kind.value if letter.kind else None,
        unit=letter.unit,
        doc_number=letter.doc_number,
        letter_json=letter_to_json(letter),
        case_id=case_id,
    )
    outcome = None
    if letter.people:
        with sessions() as session:
            outcome = check_people(session, letter, settings, now)
        base.check_json = outcome_to_json(outcome)
    reasons = review_reasons(letter, outcome, settings, now.date())
    if reasons or outcome is None:
        base.reasons = reasons
        base.exit_code = ExitCode.WAITING_REVIEW  # no reply: a clerk must look
        log.info("case %s waits for review: %d reasons", case_id, len(reasons))
        return base
    base.reply_doc_number, base.outputs = write_reply(
        letter, outcome, settings, sessions, workdir, case_id=case_id, now=now, extra={"file": path.name}
    )
    base.state = Decision.REPLIED
    base.exit_code = ExitCode.OK
    log.info("case %s replied as %s", case_id, base.reply_doc_number)
    return base


def _new_case(sessions: sessionmaker[Session], path: Path, sha: str, now: dt.datetime) -> int:
    with write_transaction(sessions) as session:
        case = Case(
            file_sha256=sha,
            original_name=path.name,
            received_at=now,
            updated_at=now,
            state=CaseState.PROCESSING.value,
        )
        session.add(case)
        session.flush()
        return case.id


def _store(sessions: sessionmaker[Session], result: ProcessOutcome, now: dt.datetime) -> None:
    with write_transaction(sessions) as session:
        case = session.get(Case, result.case_id)
        assert case is not None
        case.state = CaseState(result.state.value).value
        case.kind = result.kind
        case.unit = result.unit
        case.doc_number = result.doc_number
        case.letter_json = result.letter_json
        case.check_json = result.check_json
        case.reasons = result.reasons or None
        case.error = result.error
        case.reply_doc_number = result.reply_doc_number
        case.outputs = {k: str(v) for k, v in result.outputs.items()} or None
        case.updated_at = now


def process_file(
    path: Path,
    settings: Settings,
    db: Database,
    *,
    outbox: Path | None = None,
    now: dt.datetime | None = None,
) -> ProcessOutcome:
    """`letters process`: record a case, decide the letter, publish a reply into the outbox."""
    now = now or dt.datetime.now()
    if not path.is_file():
        raise UnreadableLetter(f"{path}: no such file", f"找不到文件：{path}")
    case_id = _new_case(
        db.sessions, path, sha256_file(path.resolve()), now
    )  # a path the user named: links are theirs
    work = settings.path(settings.data_dir) / "work"
    work.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix=f"case-{case_id}-", dir=work) as tmp:
        try:
            result = process_letter(path, settings, db.sessions, Path(tmp), case_id=case_id, now=now)
        except LettersError as exc:
            log.warning("case %s failed: %s: %s", case_id, type(exc).__name__, exc)
            result = ProcessOutcome(
                Decision.FAILED, error=exc.message_zh, exit_code=exc.exit_code, case_id=case_id
            )
            _store(db.sessions, result, now)
            return result
        except Exception:
            failed = ProcessOutcome(
                Decision.FAILED,
                error=INTERNAL_ERROR_ZH,
                exit_code=1,
                case_id=case_id,
            )
            _store(db.sessions, failed, now)
            raise
        if result.state == Decision.REPLIED:
            published = {}
            for kind, staged in result.outputs.items():
                folder, mode = destination(settings, kind, outbox)
                published[kind] = publish(staged, folder, staged.name, mode=mode)
            result.outputs = published
    _store(db.sessions, result, now)
    return result
