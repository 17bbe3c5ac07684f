"""The review office for tests: settings in a project folder, the lists, and an inbox intake."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.cases.context import ServiceContext, open_context
from pipeline.cases.core import CaseCore
from pipeline.cases.handling import make_processor
from pipeline.cases.inbox import InboxIntake
from pipeline.cases.instances import register_instance
from pipeline.settings import load_settings
from tests.service_letters import ROOT, import_records, write_letter


def open_office(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    load_lists: Callable[[ServiceContext, Path], None],
    db_url: str | None = None,
) -> tuple[ServiceContext, InboxIntake]:
    """A project folder in `tmp_path` (the working folder), its lists loaded, and an inbox intake
    running the real processor."""
    for key in list(os.environ):
        if key.startswith("LETTERS_") and key != "LETTERS_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    monkeypatch.setenv("LETTERS_TEMPLATES", str(ROOT / "letter_templates"))
    if db_url is not None:
        monkeypatch.setenv("LETTERS_DATABASE_URL", db_url)
    settings = load_settings()
    ctx = open_context(settings)
    load_lists(ctx, tmp_path)
    intake = InboxIntake(
        CaseCore(
            settings,
            ctx.db,
            make_processor(settings, ctx.db.sessions, dt.datetime.now),
            instance_id=register_instance(ctx.db, mode="events", inbox=tmp_path),
        )
    )
    return ctx, intake


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ServiceContext, InboxIntake]]:
    ctx, intake = open_office(
        tmp_path, monkeypatch, lambda c, folder: import_records(c.db, c.settings, folder)
    )
    yield ctx, intake
    ctx.close()


def drop(service: InboxIntake, name: str, spec) -> int:  # type: ignore[no-untyped-def]
    path = write_letter(service.folders.inbox / name, spec)
    case_id = service.handle_file(path)
    assert case_id is not None
    return case_id


def state(ctx: ServiceContext, case_id: int) -> str:
    from pipeline.storage.models import Case

    with ctx.db.sessions() as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]
