"""README is a short front door; the reference lives in docs/, generated from the code where it can be,
and a test fails when a page is stale, missing or links to nothing."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS
from pipeline.reply import TEMPLATE_VARIABLES
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = (
    "clerks.md",
    "commands.md",
    "settings.md",
    "running-the-service.md",
    "reply-template.md",
    "letter-formats.md",
    "architecture.md",
    "development.md",
)


def _script(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    assert len(README.encode("utf-8")) <= 6 * 1024
    head = README[:1500]
    assert "make run" in head and "make test" in head


@pytest.mark.parametrize("doc", PAGES)
def test_readme_maps_every_page_of_the_docs(doc: str) -> None:
    assert (DOCS / doc).is_file(), f"docs/{doc} missing"
    assert f"(docs/{doc})" in README, f"README does not link docs/{doc}"


def test_every_relative_link_and_image_in_the_docs_resolves() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert not broken, broken


def test_the_generated_reference_is_current() -> None:
    """docs/commands.md, docs/settings.md and the regression table are what the code says now
    (after changing a command, a setting or a regression test: `make docs`)."""
    reference = _script("reference_docs")
    stale = [
        path.name
        for path, text in (
            (reference.COMMANDS_MD, reference.commands_md()),
            (reference.SETTINGS_MD, reference.settings_md()),
            (reference.DEVELOPMENT_MD, reference.development_md()),
        )
        if path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"stale: {stale}; run `make docs`"


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_says_what_it_is_for(name: str) -> None:
    field = next(f for f in dataclasses.fields(Settings) if f.name == name)
    assert field.metadata["help"].strip()
    assert f"| `{name}` |" in (DOCS / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_subcommand_has_its_section(name: str) -> None:
    from pipeline.cli import build_parser

    commands_md = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert f"## `letters {name}`" in commands_md
    parser = build_parser(name)
    sub = next(a for a in parser._actions if a.dest == "command")
    for action in sub.choices[name]._actions:
        if isinstance(getattr(action, "choices", None), dict):
            for child in action.choices:
                assert f"### `letters {name} {child}`" in commands_md


@pytest.mark.parametrize("name", TEMPLATE_VARIABLES)
def test_every_template_variable_is_documented(name: str) -> None:
    page = (DOCS / "reply-template.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{name}` \|", page, re.MULTILINE), f"template variable {name} missing"


def test_the_letters_life_picture_is_drawn_from_its_source() -> None:
    """Every stage in docs/diagrams/letter-life.toml is in the committed SVG (`make docs` redraws it)."""
    source = tomllib.loads((DOCS / "diagrams" / "letter-life.toml").read_text(encoding="utf-8"))
    drawing = (DOCS / "diagrams" / "letter-life.svg").read_text(encoding="utf-8")
    for node in source["node"]:
        assert f">{node['label']}<" in drawing, f"{node['label']} is not in the drawing"
    assert "diagrams/letter-life.svg" in (DOCS / "architecture.md").read_text(encoding="utf-8")


def test_the_layers_in_architecture_are_the_contract_lint_imports_enforces() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| ") and "`pipeline." in line]
    documented = [re.findall(r"`(pipeline[\w.]*)`", row) for row in rows]
    assert documented == [re.findall(r"pipeline[\w.]*", layer) for layer in contract["layers"]]


def test_every_exit_code_is_in_the_architecture_table() -> None:
    """Regression: `audit verify` exited 1 (an internal error) for a broken chain and Ctrl-C 130,
    both literals outside ExitCode; every code the command uses is named and documented now."""
    from pipeline.errors import ExitCode

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    documented = {int(n) for n in re.findall(r"^\| (\d+) \|", text, flags=re.MULTILINE)}
    assert documented == {int(c) for c in ExitCode}
