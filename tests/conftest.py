"""Shared fixtures. Tests never read ../shared: every letter is built in code (tests/builders)."""

from pathlib import Path

import pytest


@pytest.fixture
def cli_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project folder to run `letters` commands in, with no settings leaking in from outside."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder
    for key in ("LETTERS_CONFIG", "LETTERS_DATABASE_URL", "LETTERS_BASE_DIR", "LETTERS_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path
