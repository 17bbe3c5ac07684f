"""Run the watched-inbox service in a child process, as the fault test and bench need.

    python -m tests.service_runner BASE_DIR [--fake] [--poll]

Settings come from LETTERS_* environment variables, with base_dir = BASE_DIR.
`--fake` uses the stand-in processor of tests/service_fakes.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.inbox.run import Service, run_forever
from pipeline.logs import setup_logging
from pipeline.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", type=Path)
    parser.add_argument("--fake", action="store_true")
    parser.add_argument("--poll", action="store_true")
    args = parser.parse_args()
    settings = load_settings(base_dir=args.base, config=args.base / "letters.toml")
    setup_logging(log_file=settings.path(settings.log_file))
    factory = None
    if args.fake:
        from tests.service_fakes import fake_processor

        factory = fake_processor
    service = Service(settings, processor_factory=factory, poll=args.poll or None)
    return run_forever(service, on_ready=lambda: print("ready", file=sys.stderr, flush=True))


if __name__ == "__main__":
    sys.exit(main())
