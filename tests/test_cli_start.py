"""Regression: every `letters` command paid about a second before doing anything (`letters --help`
imported Alembic, the report's charts and fonts, and hashed an argon2 password at import). What a
command does not use is not loaded for it: `--help` and `status` load no migration tool, no web
framework, no OCR, no Arrow, no report, and compute no password hash; `--help` not even the
database layer (each command module imports the case core inside the function that runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("alembic", "flask", "rapidocr", "onnxruntime", "pyarrow", "matplotlib", "reportlab", "pdfplumber")

PROBE = """
import contextlib, io, sys
from pipeline import cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    cli.main(sys.argv[1:])
database = "sqlalchemy" in sys.modules
from pipeline.accounts import store
heavy = {heavy!r}
print(sorted(m for m in heavy if m in sys.modules), store._DUMMY is not None)
print(database)
"""


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["--help"], ["status"]], ids=["help", "status"])
def test_a_command_loads_only_what_it_uses(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "letters.toml").write_text("", encoding="utf-8")  # a project folder, default settings
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    # The office exists (its first command creates the database: that one migrates).
    subprocess.run([sys.executable, "-m", "pipeline", "status"], cwd=tmp_path, env=env, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        cwd=tmp_path, capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    *_, heavy, database = done.stdout.strip().splitlines()
    assert heavy == "[] False", done.stdout + done.stderr
    assert database == str(argv != ["--help"])  # status reads the database; --help does not load it


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    """The check that skips an upgrade reads the newest revision from the files; it must be the one
    Alembic would upgrade to, or a new migration would never run."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from pipeline.storage.database import MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [head_revision()]
