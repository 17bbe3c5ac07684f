"""Bridge from the service's Processor interface to issue 3's `pipeline.process.process_letter`."""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.service.outcome import Processor, ProcessResult
from pipeline.settings import Settings
from pipeline.storage import Database

log = logging.getLogger(__name__)


def _check_ocr() -> None:
    """Scans need the OCR models on disk: with the OCR extra installed but its models missing the
    service stops at start with the fix; without the extra it runs and scans wait for a clerk."""
    try:
        from pipeline.reading import ocr_reader
    except ImportError:
        log.warning("OCR extra not installed: scanned letters will fail as unreadable")
        return
    ocr_reader.check_models()


def make_processor(settings: Settings, db: Database) -> Processor:
    """The real read → extract → check → reply step, writing into the case's staging folder.

    Checks the reply template and fonts first, so a broken setup stops the
    service at start instead of failing every letter.
    """
    from pipeline.process import process_letter
    from pipeline.reply import check_reply_setup

    check_reply_setup(settings)
    _check_ocr()

    def process(letter: Path, case_id: int, staging: Path) -> ProcessResult:
        return process_letter(letter, settings, db.sessions, staging, case_id=case_id)

    return process
