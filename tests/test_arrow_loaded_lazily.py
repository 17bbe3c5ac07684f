"""Regression: the watcher held Arrow and NumPy (65 MB) from start-up on, and its peak after 10
scans went from 152 MB to 217 MB, past the 200 MB target. Every CLI process registered the
`records` command, whose module imported the list importer; the lists folder's scan imported
it too. They load now only when a list is actually imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from pathlib import Path
from pipeline import cli
cli.build_parser()
from pipeline.inbox.files import StabilityTracker
from pipeline.inbox.lists import import_waiting_lists
from pipeline.settings import load_settings
from pipeline.storage import open_database
base = Path(sys.argv[1])
(base / "lists").mkdir()
settings = load_settings(env={}, base_dir=base, config=base / "none.toml")
db = open_database(settings)
import_waiting_lists(settings, db, StabilityTracker(0.0))
print(sorted(m for m in ("pyarrow", "numpy", "adbc_driver_sqlite") if m in sys.modules))
"""


@pytest.mark.slow
def test_the_watcher_loads_no_arrow_until_a_list_arrives(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
