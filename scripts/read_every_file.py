"""Read every file of a folder with `letters extract`: each must read or fail with a clear reason, in time.

    python scripts/read_every_file.py ../shared/samples/ofd-real --limit 5

A clear reason is any of the command's own exit codes for an unreadable file or
a non-letter (3, 4, 5); an internal error (1), a traceback on stderr, or a file
that takes longer than --limit seconds (wall time, start-up included) fails
the run. Prints one line per file and exits 1 when any file failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

CLEAR = {0, 3, 4, 5}  # read; unreadable (reason given); scanned without OCR; not a letter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=float, default=5.0, help="seconds per file")
    parser.add_argument("--cmd", default=str(Path(sys.executable).with_name("letters")))
    args = parser.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.is_file() and p.suffix.lower() not in (".md", ""))
    failed = 0
    for path in files:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [args.cmd, "extract", str(path)], capture_output=True, text=True, timeout=args.limit * 4
            )
            rc, err = done.returncode, done.stderr
        except subprocess.TimeoutExpired:
            rc, err = -1, "timed out"
        took = time.perf_counter() - start
        ok = rc in CLEAR and "Traceback" not in err and took <= args.limit
        failed += not ok
        said = (err.strip().splitlines() or [""])[-1][:70]
        print(f"{'ok ' if ok else 'BAD'} {took:5.2f}s rc={rc:<2} {path.name[:48]:<48} {said}")
    print(f"{len(files) - failed}/{len(files)} files read or refused clearly within {args.limit:g} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
