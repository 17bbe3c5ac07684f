"""The review office for tests: settings in a project folder, the lists, and an inbox intake."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.accounts import add_account
from pipeline.cases.context import ServiceContext, open_context
from pipeline.cases.core import CaseCore
from pipeline.cases.handling import make_processor
from pipeline.cases.instances import register_instance
from pipeline.domain.roles import Account, Role
from pipeline.inbox.intake import InboxIntake
from pipeline.settings import load_settings
from pipeline.storage import write_transaction
from tests.service_letters import ROOT, import_records, write_letter

PASSWORD = "test-password-0123"
# The suite's own variables, not the office's settings: the server to test on, the per-process
# conversion cache (tests/conftest.py), where the browser tests leave their screenshots.
TEST_ENVIRONMENT = {"LETTERS_TEST_PG_URL", "LETTERS_CONVERT_CACHE", "LETTERS_SCREENSHOTS"}
# The office's people: login -> (name, roles). 李科长 is the second reviewer.
PEOPLE = {
    "wangfang": ("王芳", ["clerk"]),
    "like": ("李科长", ["clerk", "reviewer"]),
    "zhao": ("赵处长", ["clerk"]),
    "zhou": ("周复核", ["reviewer"]),
    "sun": ("孙审计", ["auditor"]),
    "admin": ("管理员甲", ["admin"]),
}
LOGIN_OF = {name: login for login, (name, _) in PEOPLE.items()}


class _Passwords(io.StringIO):
    def readline(self, *args: object) -> str:  # type: ignore[override]
        return PASSWORD + "\n"

    def isatty(self) -> bool:
        return False


def add_people(ctx: ServiceContext) -> None:
    with write_transaction(ctx.db.sessions) as session:
        for login, (name, roles) in PEOPLE.items():
            add_account(session, login, name, roles, PASSWORD, by="初始化", now=dt.datetime.now())


def account(name: str) -> Account:
    """The Account the case core sees for one of PEOPLE (by name), as after a correct password."""
    login = LOGIN_OF[name]
    return Account(login, name, frozenset(Role(r) for r in PEOPLE[login][1]))


def as_user(name: str) -> list[str]:
    """CLI arguments that sign in as one of PEOPLE (the password comes from the patched stdin)."""
    return ["--user", LOGIN_OF[name], "--password-stdin"]


def open_office(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    load_lists: Callable[[ServiceContext, Path], None],
    db_url: str | None = None,
) -> tuple[ServiceContext, InboxIntake]:
    """A project folder in `tmp_path` (the working folder), its lists loaded, and an inbox intake
    running the real processor."""
    for key in list(os.environ):
        if key.startswith("LETTERS_") and key not in TEST_ENVIRONMENT:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    monkeypatch.setenv("LETTERS_TEMPLATES", str(ROOT / "letter_templates"))
    if db_url is not None:
        monkeypatch.setenv("LETTERS_DATABASE_URL", db_url)
    # Letters are read in this process: spawning a reading child (a fresh interpreter importing the
    # readers, about a second of CPU) for every office made it most of these tests' cost. Reading
    # in children is tested where it is the subject: tests/test_isolation.py and the service tests
    # that run `letters watch` on its default settings.
    monkeypatch.setenv("LETTERS_READ_IN_CHILD", "false")
    settings = load_settings()
    ctx = open_context(settings)
    load_lists(ctx, tmp_path)
    add_people(ctx)
    monkeypatch.setattr("sys.stdin", _Passwords())  # every --password-stdin reads PASSWORD
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


@pytest.fixture
def as_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The office's letters read as their reader reads them, then taken as scans (OCR's document
    type): for the flow after reading a scan, without seconds of OCR a page. Real scans reach
    `from_scan` in test_ocr and test_photos_and_faxes."""
    import dataclasses

    from pipeline.cases import handling
    from pipeline.reading import read_document

    def read(path: Path):  # type: ignore[no-untyped-def]
        return dataclasses.replace(read_document(path), source_type="ocr")

    monkeypatch.setattr(handling, "read_document", read)


def die_claims(ctx: ServiceContext) -> None:
    """The review's process is gone: its claims now name a process that started at another time."""
    from sqlalchemy import update

    from pipeline.storage import write_transaction
    from pipeline.storage.case_models import ReviewClaim

    with write_transaction(ctx.db.sessions) as s:
        s.execute(update(ReviewClaim).where(ReviewClaim.ended_at.is_(None)).values(pid_started=-1))


@pytest.fixture
def web(office: tuple[ServiceContext, InboxIntake]) -> tuple:
    """The office with its console as a Flask app (for Flask's test client)."""
    from pipeline.web.app import create_app

    ctx, intake = office
    return ctx, intake, create_app(ctx=ctx)


def drop(service: InboxIntake, name: str, spec) -> int:  # type: ignore[no-untyped-def]
    path = write_letter(service.folders.inbox / name, spec)
    case_id = service.handle_file(path)
    assert case_id is not None
    return case_id


def state(ctx: ServiceContext, case_id: int) -> str:
    from pipeline.storage.models import Case

    with ctx.db.sessions() as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]


def seen(ctx: ServiceContext, case_id: int) -> list[str]:
    """`--seen TAG` of the case as it is now: what `letters review preview` prints for a person who
    looked at the reply (tests/test_actions.py runs the preview command itself)."""
    from pipeline.cases.review import reply_tag

    return ["--seen", reply_tag(ctx, case_id)]


def release(ctx: ServiceContext, case_id: int, name: str) -> int:
    """`letters review approve` by `name` of the reply as it is now, as after its preview: a person's
    correction that leaves nothing else waits for a release under the office's preview rule."""
    from pipeline.cli import main

    return main(["review", "approve", str(case_id), *as_user(name), *seen(ctx, case_id)])
