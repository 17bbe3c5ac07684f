"""Handling one letter: read → extract → check → reasons → (reply staged), as a typed result.

`handle_letter` touches no case row and no outbox: it leaves a reply's files
in a private staging folder and says what it decided; the case core
(pipeline.cases.core) records that and publishes. Tests and the benches may
put another `Processor` in its place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.cases.reasons import review_reasons
from pipeline.cases.replying import issue_date, stage_reply
from pipeline.checking import check_people, outcome_to_json
from pipeline.contract import letter_to_json
from pipeline.domain.history import CaseHistory
from pipeline.domain.letter import Letter
from pipeline.domain.reasons import Reason
from pipeline.domain.result import CheckOutcome
from pipeline.errors import ExitCode, FailureKind
from pipeline.extraction import extract
from pipeline.reading import read_document
from pipeline.settings import Settings
from pipeline.storage.models import CaseState
from pipeline.workdays import calendar_for

log = logging.getLogger("pipeline.cases.handling")


@dataclass(slots=True)
class Handled:
    """What handling a letter came to: replied (files staged), waiting for review, or failed.
    `outputs`: kind (docx/pdf/json) -> staged file."""

    state: CaseState
    reasons: list[Reason] = field(default_factory=list)
    error: str | None = None  # Chinese: why it failed
    failure: FailureKind | None = None  # the kind of failure, stored beside its text
    exit_code: int = ExitCode.OK
    reply_doc_number: str | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    kind: str | None = None
    unit: str | None = None
    doc_number: str | None = None
    letter_json: dict[str, Any] | None = None
    check_json: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.state = CaseState(self.state)

    @classmethod
    def of(cls, state: CaseState, letter: Letter, outcome: CheckOutcome | None, **more: Any) -> Handled:
        return cls(
            state,
            kind=letter.kind.value if letter.kind else None,
            unit=letter.unit,
            doc_number=letter.doc_number,
            letter_json=letter_to_json(letter),
            check_json=outcome_to_json(outcome) if outcome is not None else None,
            **more,
        )


# (letter file, case id, staging folder) -> what was decided; a reply's files go into the staging folder.
Processor = Callable[[Path, int, Path], Handled]


def reasons_now(
    letter: Letter,
    outcome: CheckOutcome | None,
    settings: Settings,
    now: dt.datetime,
    history: CaseHistory | None = None,
) -> list[Reason]:
    """review_reasons with what the settings and the calendar add."""
    issued = issue_date(settings, now.date())
    unknown = calendar_for(settings.holidays_path()).source(issued.year) == "weekends"
    return review_reasons(
        letter,
        outcome,
        unknown_holiday_year=issued.year if unknown else None,
        scan_needs_person=not settings.ocr_auto_answer,
        history=history,
    )


def handle_letter(
    path: Path,
    settings: Settings,
    sessions: sessionmaker[Session],
    staging: Path,
    *,
    case_id: int | None = None,
    now: dt.datetime | None = None,
    reader: Callable[[Path, dt.date], Letter] | None = None,
) -> Handled:
    """Decide one letter. Raises UnreadableLetter (and other LettersError) for files that cannot be
    read; the case core records those as failed. `reader` reads and extracts (the service's runs in a
    limited child process: pipeline.cases.isolation); by default, here."""
    now = now or dt.datetime.now()
    letter = (reader or read_here)(path, now.date())
    if letter.objection is not None:  # 异议申请: a case of its own (pipeline.cases.objections), no reply
        log.info("case %s is an objection citing %s", case_id, letter.objection.cited)
        return Handled.of(CaseState.OBJECTION, letter, None, exit_code=ExitCode.WAITING_REVIEW)
    outcome = None
    if letter.people:
        with sessions() as session:
            outcome = check_people(session, letter, settings, now)
    reasons = reasons_now(letter, outcome, settings, now)
    if reasons or outcome is None:
        log.info("case %s waits for review: %d reasons", case_id, len(reasons))
        return Handled.of(
            CaseState.WAITING_REVIEW, letter, outcome, reasons=reasons, exit_code=ExitCode.WAITING_REVIEW
        )
    number, outputs = stage_reply(
        letter, outcome, settings, sessions, staging, case_id=case_id, now=now, extra={"file": path.name}
    )
    log.info("case %s replied as %s", case_id, number)
    return Handled.of(CaseState.REPLIED, letter, outcome, reply_doc_number=number, outputs=outputs)


def read_here(path: Path, today: dt.date) -> Letter:
    """Read and extract in this process (the CLI's single letter, and tests)."""
    return extract(read_document(path), today=today)


def make_processor(
    settings: Settings, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime]
) -> Processor:
    """The real step, after checking the reply template, fonts and OCR models once: a broken setup
    stops the service at start instead of failing every letter. With `read_in_child` (the default)
    letters are read in limited child processes; the processor's `close` ends them."""
    from pipeline.reading.legacy import use_cache_folder
    from pipeline.reply import check_reply_setup

    check_reply_setup(settings)
    _check_ocr()
    use_cache_folder(settings.convert_cache_path())
    reader = None
    if settings.read_in_child:
        from pipeline.cases.isolation import IsolatedReader

        reader = IsolatedReader(
            workers=settings.workers, memory_mb=settings.reader_memory_mb, seconds=settings.reader_seconds
        )

    def process(letter: Path, case_id: int, staging: Path) -> Handled:
        return handle_letter(letter, settings, sessions, staging, case_id=case_id, now=clock(), reader=reader)

    process.close = reader.close if reader is not None else (lambda: None)  # type: ignore[attr-defined]
    process.isolated = reader is not None  # type: ignore[attr-defined]  # a letter cannot kill the service
    return process


def _check_ocr() -> None:
    """With the OCR extra installed but its models missing, stop with the fix; without the extra,
    run, and scans fail as unreadable."""
    try:
        from pipeline.reading import ocr_reader
    except ImportError:
        log.warning("OCR extra not installed: scanned letters will fail as unreadable")
        return
    ocr_reader.check_models()
