"""The sample letters through `letters process` and through `letters watch`: the same outcomes?

    .venv/bin/python scripts/sample_outcomes.py ../shared/samples [--root CHECKOUT] [--json OUT]

Two fresh project folders, each with the samples' records.csv imported: one
gets `letters process FILE` per letter, the other a `letters watch` with all
letters dropped into its inbox. Prints each letter's final state (and the
verdicts of its people) on both paths and the number that differ; exits 1 if
any do. `--root` runs another checkout's code (e.g. a worktree of an older
commit) so its table can be compared with this one's; `--json` writes the
table for that comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINAL = {"replied", "waiting_review", "failed", "duplicate", "closed"}


def letters(root: Path, folder: Path, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env = {k: v for k, v in env.items() if not k.startswith("LETTERS_")}
    return subprocess.run(  # type: ignore[call-overload]
        [sys.executable, "-m", "pipeline", *args], cwd=folder, env=env, capture_output=True, text=True, **kw
    )


def project(root: Path, folder: Path, records: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "letters.toml").write_text("", encoding="utf-8")
    done = letters(root, folder, "records", "import", str(records), "--list", "失信名单")
    if done.returncode not in (0, 8):
        raise SystemExit(f"records import failed: {done.stderr}")


def outcomes(folder: Path) -> dict[str, dict[str, object]]:
    """Final state and verdicts per letter file name (the name the letter had in its sample folder)."""
    db = sqlite3.connect(folder / "data" / "letters.db")
    out = {}
    for name, state, check in db.execute("SELECT original_name, state, check_json FROM cases ORDER BY id"):
        verdicts = [r["verdict"] for r in json.loads(check)["results"]] if check else []
        out[Path(name).name] = {"state": state, "verdicts": verdicts}
    db.close()
    return out


def run_process(root: Path, folder: Path, letters_in: list[Path]) -> dict[str, dict[str, object]]:
    for path in letters_in:
        letters(root, folder, "process", str(path))
    return outcomes(folder)


def run_watch(
    root: Path, folder: Path, letters_in: list[Path], timeout: float = 900
) -> dict[str, dict[str, object]]:
    inbox = folder / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in {**os.environ, "PYTHONPATH": str(root)}.items() if not k.startswith("LETTERS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "watch"], cwd=folder, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(2)
        for path in letters_in:
            tmp = inbox / f".{path.name}.part"
            tmp.write_bytes(path.read_bytes())
            os.rename(tmp, inbox / path.name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(1)
            try:
                got = outcomes(folder)
            except sqlite3.Error:
                continue
            if len(got) == len(letters_in) and all(v["state"] in FINAL for v in got.values()):
                return got
        raise SystemExit("letters watch did not finish every letter in time")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("samples", type=Path)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.samples, args.root = args.samples.resolve(), args.root.resolve()
    found = sorted(args.samples.glob("*/s*/letter.*"))
    # one name per letter: the watcher's inbox holds them side by side
    with tempfile.TemporaryDirectory(prefix="sample-outcomes-") as tmp:
        named = Path(tmp) / "letters"
        named.mkdir()
        files = []
        for path in found:
            copy = named / f"{path.parent.name}{path.suffix}"
            copy.write_bytes(path.read_bytes())
            files.append(copy)
        a, b = Path(tmp) / "process", Path(tmp) / "watch"
        project(args.root, a, args.samples / "records.csv")
        project(args.root, b, args.samples / "records.csv")
        processed = run_process(args.root, a, files)
        watched = run_watch(args.root, b, files)
    differ = 0
    print(f"{'letter':<10} {'letters process':<40} letters watch")
    for path in files:
        p, w = processed.get(path.name), watched.get(path.name)
        same = p == w
        differ += not same
        show = lambda o: f"{o['state']} {''.join(v[0] for v in o['verdicts'])}" if o else "—"  # noqa: E731
        print(f"{path.name:<10} {show(p):<40} {show(w)}{'' if same else '   ← differs'}")
    print(f"\n{len(files)} letters, {len(files) - differ} the same on both paths, {differ} differ")
    if args.json:
        args.json.write_text(
            json.dumps({"process": processed, "watch": watched}, ensure_ascii=False, indent=1)
        )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
