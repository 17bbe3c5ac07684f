"""Shared fixtures. Tests never read ../shared: every letter is built in code (tests/builders)."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.workdays import WorkCalendar

pytest_plugins = [
    "tests.template_databases",  # every test database a copy of one migrated once
    "tests.review_office",  # the `office` fixture of the review tests
]


@pytest.fixture(autouse=True)
def _calendar_knows_this_year(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs on real dates. From a new year on, until chinesecalendar or holidays.toml
    knows it, every letter rightly waits with 节假日安排未录入; so that the suite keeps testing
    what it tests, this year and the next count as known (weekends and weekdays as before).
    Tests about unknown years are marked `unknown_holidays` and see the real calendar."""
    if request.node.get_closest_marker("unknown_holidays"):
        return
    this_year = dt.date.today().year
    real_source = WorkCalendar.source

    def source(self: WorkCalendar, year: int) -> str:
        found = real_source(self, year)
        return "chinesecalendar" if found == "weekends" and year in (this_year, this_year + 1) else found

    monkeypatch.setattr(WorkCalendar, "source", source)


@pytest.fixture
def cli_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project folder to run `letters` commands in, with no settings leaking in from outside."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    for key in ("LETTERS_CONFIG", "LETTERS_DATABASE_URL", "LETTERS_BASE_DIR", "LETTERS_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


@pytest.fixture(autouse=True, scope="session")
def the_packaged_defaults_stay_as_shipped():  # type: ignore[no-untyped-def]
    """Regression: a test that wrote "the configured holiday file" wrote the packaged default (the
    setting resolves to it when the project has none), and the corrupted file was committed."""
    import hashlib

    from pipeline.defaults import FOLDER

    def digest() -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(FOLDER.iterdir())
            if p.is_file()
        }

    before = digest()
    yield
    changed = sorted(name for name, value in digest().items() if before.get(name) != value)
    assert not changed, f"tests changed the packaged defaults: {changed}"


@pytest.fixture(autouse=True)
def _no_random_spot_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """At the default share (5 %) a reply is drawn by a random seed, which would add an audit event to
    one test run in twenty; tests about spot checks set a share of their own."""
    from pipeline.cases import spotchecks
    from pipeline.settings import Settings

    default = Settings.__dataclass_fields__["spot_check_share"].default
    real = spotchecks.draw

    def draw(seed, share, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real(seed, 0.0 if share == default else share, *args, **kwargs)

    monkeypatch.setattr(spotchecks, "draw", draw)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeding six accounts with production argon2 took over a second per office, and every sign-in
    as long again. Tests hash with the smallest argon2id parameters; the production cost is tested
    by the tests marked `production_hasher`, which see the real hasher."""
    if request.node.get_closest_marker("production_hasher"):
        return
    from argon2 import PasswordHasher

    from pipeline.accounts import store

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(store, "_HASHER", cheap)
    monkeypatch.setattr(store, "_DUMMY", cheap.hash("never a real password"))


@pytest.fixture(autouse=True, scope="session")
def _one_browser_per_session() -> Iterator[None]:
    """The session's Chromium (started by the first browser test, if any) is closed at the end."""
    yield
    from tests.browser import close_shared_browser

    close_shared_browser()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that open a page (the browser fixture of tests/test_web.py) are marked `browser`, so
    `make test-fast` can leave them out."""
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True, scope="session")
def _private_conversion_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """LibreOffice's conversions are cached in a folder of this test process (one per xdist worker),
    not the user's shared one, so parallel workers never write one cache at once."""
    from pipeline.reading import legacy

    folder = tmp_path_factory.mktemp("convert-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LETTERS_CONVERT_CACHE", str(folder))  # the setting, for settings loaded in tests
        patch.setattr(legacy, "_cache_root", folder)  # readers called directly
        yield


@pytest.fixture(autouse=True, scope="session")
def _ocr_shares_the_cores_with_the_other_workers() -> None:
    """Each xdist worker is one of several processes reading at once, as the watcher's children are:
    OCR takes its share of the cores, not all of them (pipeline.reading.ocr.engine.share_cores)."""
    import os

    from pipeline.reading.ocr.engine import share_cores

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        share_cores(workers)
