"""README documents every setting, every command and every template variable."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS, build_parser
from pipeline.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_documented(name):
    assert re.search(rf"^\| `{name}` \|", README, re.MULTILINE), f"setting {name} missing from README"
    assert dataclasses.fields(Settings)[[f.name for f in dataclasses.fields(Settings)].index(name)].metadata[
        "help"
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command):
    assert f"letters {command}" in README, f"command {command} missing from README"


def test_every_subcommand_is_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        nested = [a for a in subparser._actions if getattr(a, "choices", None) and a.dest != "help"]
        for action in nested:
            if isinstance(action.choices, dict):
                for child in action.choices:
                    assert f"letters {name} {child}" in README, f"letters {name} {child} missing from README"


def test_every_template_variable_is_documented():
    from pipeline.reply import TEMPLATE_VARIABLES

    for name in TEMPLATE_VARIABLES:
        assert re.search(rf"^\| `{name}` \|", README, re.MULTILINE), f"template variable {name} missing"


def test_readme_starts_with_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head
