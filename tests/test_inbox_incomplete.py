"""A file copied in pieces, with pauses longer than the quiet time, is never taken half-written.

Found trying the service as a clerk would: such a file was moved to failed/ as
文件已损坏, the rest of the copy went into the moved file, and the letter was
lost from the inbox. A young file that does not end as its format ends is
looked at again later; only one that stays broken once settled is failed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cases.core import CaseCore
from pipeline.cases.faults import PassingFault
from pipeline.cases.instances import register_instance
from pipeline.inbox.intake import InboxIntake
from pipeline.inbox.run import Service
from pipeline.reading.sniff import looks_complete
from pipeline.settings import Settings, load_settings
from pipeline.storage import Database
from pipeline.storage.models import Case
from tests.service_fakes import fake_processor
from tests.service_helpers import wait_for
from tests.service_letters import ROOT, import_records, spec_for, write_letter

pytest_plugins = ["tests.db_backends"]


def halves(path: Path) -> tuple[bytes, bytes]:
    data = path.read_bytes()
    return data[: len(data) // 2], data[len(data) // 2 :]


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_looks_complete_tells_a_half_copied_letter(tmp_path: Path, suffix: str) -> None:
    whole = write_letter(tmp_path / f"whole{suffix}", spec_for(1))
    assert looks_complete(whole)
    first, _ = halves(whole)
    half = tmp_path / f"half{suffix}"
    half.write_bytes(first)
    assert not looks_complete(half)
    empty = tmp_path / f"empty{suffix}"
    empty.write_bytes(b"")
    assert not looks_complete(empty)


def test_looks_complete_knows_image_ends(tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "a.png"
    Image.new("L", (40, 40), 255).save(png)
    jpg = tmp_path / "a.jpg"
    Image.new("L", (40, 40), 255).save(jpg)
    assert looks_complete(png) and looks_complete(jpg)
    for path in (png, jpg):
        path.write_bytes(path.read_bytes()[:-8])
        assert not looks_complete(path)


@pytest.fixture
def service(settings: Settings, db: Database) -> InboxIntake:
    me = register_instance(db, mode="events", inbox=settings.path(settings.inbox))
    return InboxIntake(CaseCore(settings, db, fake_processor(settings, db), instance_id=me))


def test_half_written_young_letter_is_left_in_the_inbox_then_taken_whole(
    service: InboxIntake, db: Database, tmp_path: Path
) -> None:
    first, rest = halves(write_letter(tmp_path / "src.pdf", spec_for(2)))
    path = service.folders.inbox / "来函.pdf"
    path.write_bytes(first)
    with pytest.raises(PassingFault):
        service.handle_file(path)
    assert path.read_bytes() == first  # not moved, not archived, not failed
    with db.sessions() as s:
        assert s.scalars(select(Case)).all() == []
    assert not list(service.folders.failed.iterdir())
    with path.open("ab") as fh:  # the copy goes on
        fh.write(rest)
    case_id = service.handle_file(path)
    with db.sessions() as s:
        assert s.get(Case, case_id).state == "replied"  # type: ignore[union-attr]


def test_broken_file_that_stays_broken_is_failed_once_settled(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    first, _ = halves(write_letter(tmp_path / "src.pdf", spec_for(3)))
    settled = Settings(**{**settings.__dict__, "incomplete_wait_seconds": 0.0})
    me = register_instance(db, mode="events", inbox=settled.path(settled.inbox))
    service = InboxIntake(CaseCore(settled, db, fake_processor(settled, db), instance_id=me))
    path = service.folders.inbox / "来函.pdf"
    path.write_bytes(first)
    assert service.handle_file(path) is not None  # taken as it is: the fake processor decides


@pytest.mark.slow
def test_watch_takes_a_letter_copied_in_pieces_with_long_pauses(tmp_path: Path) -> None:
    """Through `letters watch`, with the real processor: pauses longer than the quiet time."""
    settings = load_settings(
        env={},
        config=tmp_path / "none.toml",
        base_dir=tmp_path,
        stable_seconds=0.2,
        templates=ROOT / "letter_templates",
    )
    svc = Service(settings)
    import_records(svc.db, settings, tmp_path)
    source = write_letter(tmp_path / "src.pdf", spec_for(4))
    data = source.read_bytes()
    svc.start()
    try:
        target = settings.path(settings.inbox) / "来函.pdf"
        step = len(data) // 3
        with target.open("wb") as fh:
            for i in range(3):
                fh.write(data[i * step : (i + 1) * step if i < 2 else len(data)])
                fh.flush()
                time.sleep(1.0)  # five times the quiet time

        def final() -> Case | None:
            with svc.db.sessions() as s:
                case = s.scalars(select(Case)).first()
            return case if case is not None and case.state not in ("received", "processing") else None

        case = wait_for(final, timeout=60, what="letter decided")
        assert case.state == "replied", case.error
        assert not list(settings.path(settings.failed).iterdir())
    finally:
        svc.stop()
