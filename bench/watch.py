"""Benchmark the watched inbox: latency, throughput, idle CPU and peak memory of `letters watch`.

    .venv/bin/python bench/watch.py [--latency-runs 20] [--letters 200] [--idle-seconds 30]

The service runs as its own process (tests/service_runner.py, the real
processor) on a temporary folder with a one-person list imported, so its
CPU and memory are measured alone. Figures:

- latency: drop (atomic rename into inbox/) → case final with its reply in
  outbox/, for a 30-person .docx; median of N, once with the default
  stability wait (2 s) and once with it near zero (0.05 s);
- throughput: 200 letters (.docx and text PDF, 3 people each) dropped at
  once, 2 workers, default stability wait;
- idle CPU of the service over 30 s, with file events and in polling mode;
- peak memory (VmHWM) of the service process;
- the watcher's own peak and resident memory after 10 scanned letters, with letters read (and OCR run)
  in limited child processes, side by side with reading them inline.

Targets (issue 4): median latency < 2 s (default stability wait reported
separately), idle CPU < 1 %, memory < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.settings import load_settings  # noqa: E402
from pipeline.storage import open_database  # noqa: E402
from tests.service_letters import import_records, spec_for, write_letter  # noqa: E402

FINAL = ("replied", "waiting_review", "failed", "duplicate")
CLK = os.sysconf("SC_CLK_TCK")


class Running:
    """One `letters watch` child process on `base`."""

    def __init__(
        self, base: Path, *, stable: float, workers: int = 2, poll: bool = False, in_child: bool = True
    ) -> None:
        env = dict(os.environ)
        env.update(
            LETTERS_READ_IN_CHILD="true" if in_child else "false",
            LETTERS_STABLE_SECONDS=str(stable),
            LETTERS_WORKERS=str(workers),
            LETTERS_TEMPLATES=str(ROOT / "letter_templates"),
            PYTHONPATH=str(ROOT),
        )
        args = [sys.executable, "-m", "tests.service_runner", str(base)] + (["--poll"] if poll else [])
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert self.proc.stderr is not None
        if self.proc.stderr.readline().strip() != b"ready":
            raise SystemExit("the service did not start")
        self.db = sqlite3.connect(f"file:{base / 'data' / 'letters.db'}?mode=ro", uri=True, timeout=30)

    def states(self, names: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(names))
        rows = self.db.execute(
            f"SELECT original_name, state FROM cases WHERE original_name IN ({marks})", names
        )
        return dict(rows.fetchall())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.db.close()
        self.proc.terminate()
        self.proc.wait(60)


def fresh_base(root: Path, name: str) -> Path:
    base = root / name
    (base / "inbox").mkdir(parents=True)
    (base / "hold").mkdir()
    settings = load_settings(env={}, base_dir=base, config=base / "none.toml")
    db = open_database(settings)
    try:
        import_records(db, settings, base)
    finally:
        db.dispose()
    return base


def wait_final(svc: Running, names: list[str], timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = svc.states(names)
        if len(got) == len(names) and all(s in FINAL for s in got.values()):
            return time.monotonic()
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {len(names)} letters")


def latency(root: Path, stable: float, runs: int) -> dict:
    base = fresh_base(root, f"latency-{stable}")
    letters = []
    for n in range(runs + 1):
        path = write_letter(base / "hold" / f"30人来函{n:02d}.docx", spec_for(1000 + n, people=30))
        letters.append(path)
    svc = Running(base, stable=stable)
    times = []
    try:
        for path in letters:
            target = base / "inbox" / path.name
            start = time.monotonic()
            os.replace(path, target)
            done = wait_final(svc, [path.name], timeout=120)
            times.append(done - start)
        states = svc.states([p.name for p in letters])
        peak = svc.peak_mb()
    finally:
        svc.stop()
    first, rest = times[0], times[1:]
    return {
        "stable_seconds": stable,
        "runs": len(rest),
        "first_letter_s": round(first, 3),
        "median_s": round(statistics.median(rest), 3),
        "min_s": round(min(rest), 3),
        "max_s": round(max(rest), 3),
        "replied": sum(s == "replied" for s in states.values()),
        "peak_mb": round(peak, 1),
    }


def throughput(root: Path, count: int, workers: int, stable: float) -> dict:
    base = fresh_base(root, "throughput")
    names = []
    for n in range(count):
        name = f"来函{n:03d}{'.pdf' if n % 2 else '.docx'}"
        write_letter(base / "hold" / name, spec_for(n, people=3))
        names.append(name)
    svc = Running(base, stable=stable, workers=workers)
    try:
        start = time.monotonic()
        for name in names:
            os.replace(base / "hold" / name, base / "inbox" / name)
        done = wait_final(svc, names)
        states = svc.states(names)
        peak = svc.peak_mb()
    finally:
        svc.stop()
    seconds = done - start
    return {
        "letters": count,
        "workers": workers,
        "stable_seconds": stable,
        "seconds": round(seconds, 1),
        "letters_per_minute": round(count / seconds * 60, 1),
        "replied": sum(s == "replied" for s in states.values()),
        "peak_mb": round(peak, 1),
    }


def scans(root: Path, count: int, in_child: bool) -> dict:
    """The watcher's own memory after `count` scanned letters (OCR), reading in child processes or not."""
    from tests.builders.scan_builder import build_scan

    base = fresh_base(root, f"scans-{'child' if in_child else 'inline'}")
    names = []
    for n in range(count):
        name = f"扫描件{n:02d}.pdf"
        build_scan(spec_for(7000 + n, people=6), base / "hold" / name, seed=n)
        names.append(name)
    svc = Running(base, stable=0.5, in_child=in_child)
    try:
        for name in names:
            os.replace(base / "hold" / name, base / "inbox" / name)
        wait_final(svc, names)
        time.sleep(1.0)
        peak, now = svc.peak_mb(), svc.rss_mb()
        states = svc.states(names)
    finally:
        svc.stop()
    return {
        "scans": count,
        "read_in_child": in_child,
        "watcher_peak_mb": round(peak, 1),
        "watcher_rss_after_mb": round(now, 1),
        "final": sum(s in FINAL for s in states.values()),
    }


def idle_cpu(root: Path, seconds: float, poll: bool) -> dict:
    base = fresh_base(root, f"idle-{'poll' if poll else 'events'}")
    for n in range(50):  # a realistic inbox tree to watch/poll, and some history
        write_letter(base / "hold" / f"x{n}.docx", spec_for(5000 + n))
    svc = Running(base, stable=2.0, poll=poll)
    try:
        time.sleep(3.0)  # let start-up settle before measuring
        before, t0 = svc.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        used, elapsed = svc.cpu_seconds() - before, time.monotonic() - t0
        peak = svc.peak_mb()
    finally:
        svc.stop()
    return {
        "mode": "polling" if poll else "events",
        "seconds": round(elapsed, 1),
        "cpu_percent": round(100 * used / elapsed, 2),
        "peak_mb": round(peak, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--letters", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--scans", type=int, default=10, help="scanned letters for the memory figure")
    parser.add_argument("--only-scans", action="store_true", help="only the scans' memory figure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "watch.json")
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        root = Path(tmp)
        for in_child in (True, False):  # side by side: the OCR engine in the reading children, or inline
            key = f"scans_{'in_child' if in_child else 'inline'}"
            results[key] = scans(root, args.scans, in_child)
            print(f"{args.scans} scans, watcher memory:", results[key], flush=True)
        if args.only_scans:
            print(json.dumps(results, ensure_ascii=False))
            return 0
        results["latency_default_wait"] = latency(root, 2.0, args.latency_runs)
        print("latency, default stability wait:", results["latency_default_wait"], flush=True)
        results["latency_near_zero_wait"] = latency(root, 0.05, args.latency_runs)
        print("latency, stability wait 0.05 s:", results["latency_near_zero_wait"], flush=True)
        results["throughput"] = throughput(root, args.letters, args.workers, 2.0)
        print("throughput:", results["throughput"], flush=True)
        results["idle_events"] = idle_cpu(root, args.idle_seconds, poll=False)
        print("idle (events):", results["idle_events"], flush=True)
        results["idle_polling"] = idle_cpu(root, args.idle_seconds, poll=True)
        print("idle (polling):", results["idle_polling"], flush=True)
    peak = max(v.get("peak_mb", 0) for v in results.values())
    results["scan_memory_under_200mb"] = results["scans_in_child"]["watcher_peak_mb"] < 200
    results["targets"] = {
        "median_latency_under_2s": results["latency_near_zero_wait"]["median_s"] < 2.0,
        "idle_cpu_under_1_percent": max(
            results["idle_events"]["cpu_percent"], results["idle_polling"]["cpu_percent"]
        )
        < 1.0,
        "memory_under_200mb": peak < 200,
        "peak_mb": peak,
    }
    print("targets:", results["targets"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
