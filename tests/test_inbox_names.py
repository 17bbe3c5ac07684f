"""File names as real shares deliver them: GBK bytes, and names near the 255-byte limit.

Found trying hostile input: a GBK (non-UTF-8) name raised 13 logging
tracebacks and could not be stored; a 245-byte name, or a reply name past 255
bytes (a 60-character unit plus a long 文号 — both legal), failed after a 文号
had been allocated.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
from pathlib import Path

import pytest

from pipeline.cases.core import CaseCore
from pipeline.cases.instances import register_instance
from pipeline.domain.letter import Letter
from pipeline.files import MAX_NAME_BYTES, fit_name
from pipeline.inbox.intake import InboxIntake
from pipeline.logs import MaskingJsonFormatter
from pipeline.outbox import MAX_STEM_BYTES, reply_stem
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.models import Case
from tests.service_fakes import fake_processor

pytest_plugins = ["tests.db_backends"]


@pytest.fixture
def service(settings: Settings, db: Database) -> InboxIntake:
    me = register_instance(db, mode="events", inbox=settings.path(settings.inbox))
    return InboxIntake(CaseCore(settings, db, fake_processor(settings, db), instance_id=me))


def test_gbk_file_name_is_taken_under_its_readable_name(service: InboxIntake, db: Database) -> None:
    raw = "西安市人社局来函".encode("gbk") + b".docx"
    path = service.folders.inbox / os.fsdecode(raw)
    path.write_text("OK gbk", encoding="utf-8")
    case_id = service.handle_file(path)
    with db.sessions() as s:
        case = s.get(Case, case_id)
    assert case is not None and case.state == "replied"
    assert case.original_name == "西安市人社局来函.docx"
    assert [p.name for p in service.folders.archive.rglob("*.docx")] == [
        f"{case_id:06d}-西安市人社局来函.docx"
    ]


def test_undecodable_name_never_breaks_a_log_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingJsonFormatter())
    logger = logging.getLogger("pipeline.test_names")
    logger.addHandler(handler)
    # Only the formatter under test sees the record: pytest's own capture keeps the raw surrogates,
    # which a pytest-xdist worker cannot send to the controller.
    logger.propagate = False
    try:
        logger.warning("cannot read %s", os.fsdecode(b"\xff\xfe\x80.docx"))
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    line = stream.getvalue()
    assert "cannot read" in line and "\ufffd" in line
    line.encode("utf-8")  # writable as UTF-8


def test_a_name_near_255_bytes_is_archived_and_failed_with_a_note(service: InboxIntake, db: Database) -> None:
    name = "来" * 80 + ".docx"  # 245 bytes
    path = service.folders.inbox / name
    path.write_text("BAD long", encoding="utf-8")
    case_id = service.handle_file(path)
    with db.sessions() as s:
        assert s.get(Case, case_id).state == "failed"  # type: ignore[union-attr]
    names = [p.name for p in service.folders.failed.iterdir()]
    assert len(names) == 2 and all(len(n.encode()) <= 255 for n in names)
    assert any(n.endswith(".原因.txt") for n in names)


def test_reply_name_stays_under_255_bytes_and_keeps_the_doc_number() -> None:
    letter = Letter(unit="陕" * 60, doc_number="陕西省人力资源和社会保障厅人事考试中心函〔2026〕1234号")
    stem = reply_stem(letter, dt.date(2026, 6, 8))
    assert len(stem.encode()) <= MAX_STEM_BYTES
    assert stem.startswith("2026-06-08_陕") and stem.endswith("〔2026〕1234号_复函")
    assert len(f".{stem}_结果(12).json.123456.part".encode()) < 255


def test_fit_name_keeps_the_suffix_and_whole_characters() -> None:
    assert fit_name("来函.docx") == "来函.docx"
    long = fit_name("来" * 100 + ".pdf")
    assert long.endswith("….pdf") and len(long.encode()) <= MAX_NAME_BYTES
    assert len(Path(long).stem.rstrip("…")) == (MAX_NAME_BYTES - 4 - 3) // 3


def test_reply_stem_of_a_long_ascii_unit_keeps_the_character_limit() -> None:
    """Regression: the byte budget counted 3 bytes a character, so an ASCII unit passed 120 characters."""
    from pipeline.outbox import MAX_STEM

    stem = reply_stem(Letter(unit="A" * 300, doc_number="X〔2026〕1号"), dt.date(2026, 6, 8))
    assert len(stem) <= MAX_STEM and len(stem.encode()) <= MAX_STEM_BYTES
    assert stem.endswith("…_X〔2026〕1号_复函")
