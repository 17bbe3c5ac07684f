"""Where `letters` finds its settings, and what an installed `letters` ships with.

Regression: run from another folder, `letters` silently created a new empty
database there (data/letters.db under whatever folder it was run from) and
answered a letter against no lists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import defaults
from pipeline import settings as settings_module
from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.reply import template_path
from pipeline.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that is not a project folder, with no system-wide settings file."""
    folder = tmp_path / "somewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for key in [k for k in os.environ if k.startswith("LETTERS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setattr(settings_module, "SYSTEM_CONFIG", tmp_path / "etc" / "letters.toml")
    return folder


def test_letters_refuses_to_run_outside_a_project_folder(
    elsewhere: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["records", "status"]) == 6
    err = capsys.readouterr().err
    assert "未找到配置文件" in err and "LETTERS_CONFIG" in err
    assert not (elsewhere / "data").exists()  # no empty database was created


def test_letters_config_wins_then_local_file_then_system_file(elsewhere: Path, tmp_path: Path) -> None:
    system = settings_module.SYSTEM_CONFIG
    system.parent.mkdir(parents=True)
    system.write_text(f'base_dir = "{tmp_path / "office"}"\noffice_name = "系统"\n', encoding="utf-8")
    assert load_settings().office_name == "系统"
    (elsewhere / "letters.toml").write_text('office_name = "本地"\n', encoding="utf-8")
    local = load_settings()
    assert local.office_name == "本地" and local.base_dir == elsewhere
    named = tmp_path / "named.toml"
    named.write_text('office_name = "指定"\n', encoding="utf-8")
    assert load_settings(env={"LETTERS_CONFIG": str(named)}).office_name == "指定"


def test_letters_config_naming_a_missing_file_is_refused(elsewhere: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"LETTERS_CONFIG": str(elsewhere / "gone.toml")})
    assert "不存在" in exc.value.message_zh


@pytest.mark.parametrize("marker", ["data/letters.db", "inbox+letter_templates"])
def test_a_project_folder_without_settings_file_runs_on_defaults(elsewhere: Path, marker: str) -> None:
    if marker == "data/letters.db":
        (elsewhere / "data").mkdir()
        (elsewhere / "data" / "letters.db").write_bytes(b"")
    else:
        (elsewhere / "inbox").mkdir()
        (elsewhere / "letter_templates").mkdir()
    assert load_settings().office_name == Settings().office_name


def test_packaged_defaults_are_the_project_files() -> None:
    assert defaults.REPLY_TEMPLATE.read_bytes() == (ROOT / "letter_templates" / "reply.docx").read_bytes()
    assert defaults.HOLIDAYS.read_bytes() == (ROOT / "holidays.toml").read_bytes()


def test_installed_letters_falls_back_to_packaged_template_and_holidays(tmp_path: Path) -> None:
    bare = Settings(base_dir=tmp_path)  # a folder with neither file
    assert template_path(bare) == defaults.REPLY_TEMPLATE
    assert bare.holidays_path() == defaults.HOLIDAYS
    (tmp_path / "letter_templates").mkdir()
    (tmp_path / "letter_templates" / "reply.docx").write_bytes(defaults.REPLY_TEMPLATE.read_bytes())
    (tmp_path / "holidays.toml").write_text("", encoding="utf-8")
    assert template_path(bare) == tmp_path / "letter_templates" / "reply.docx"  # the office's own copy wins
    assert bare.holidays_path() == tmp_path / "holidays.toml"
    configured = Settings(base_dir=tmp_path, templates=Path("elsewhere"))  # set on purpose: never replaced
    assert template_path(configured) == tmp_path / "elsewhere" / "reply.docx"
