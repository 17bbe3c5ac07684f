"""Benchmark: import N generated records, check a 10,000-person roster, apply a daily delta.

    .venv/bin/python bench/records.py [--rows N] [--roster N] [--delta N] [--database-url URL]

Targets (issue 13, the national list): at 20,000,000 rows, import >= 250,000 rows/s into SQLite
(within 2x of sqlite3's own .import, timed here side by side when the sqlite3 shell is installed),
peak memory under 300 MB, the 10,000-person check under 0.3 s; a delta of 20,000 rows (half
additions, half removals) applied as a new snapshot in under 5 s. Everything lives in a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.checking import check_people
from pipeline.domain.letter import Kind, Letter, Person
from pipeline.domain.result import Verdict
from pipeline.records import import_list
from pipeline.settings import Settings, load_settings
from pipeline.storage import Database, open_database

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGIONS = ("610102", "610113", "610402", "610302", "110108", "320102", "420106", "650103")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def make_id(rng: random.Random) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def make_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate(
    path: Path, rows: int, rng: random.Random
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str, int, dt.date]]]:
    """Write the CSV; return samples of (name, id) on the list with full and with masked IDs, and
    of records still in force (name, id, row, listed) for a delta to remove."""
    sample: list[tuple[str, str]] = []
    removable: list[tuple[str, str, int, dt.date]] = []
    masked: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("姓名,身份证号码,名单类别,认定部门,认定文书号,列入日期,移出日期\n")
        for i in range(rows):
            name, ident = make_name(rng), make_id(rng)
            if i % 100 == 0:
                shown = ident[:10] + "****" + ident[14:]
                if len(masked) < 1_000:
                    masked.append((name, ident))
            else:
                shown = ident
                if len(sample) < 20_000:
                    sample.append((name, ident))
            listed = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3000))
            removed = listed + dt.timedelta(days=400) if i % 10 == 5 else ""
            if i % 100 == 7 and len(removable) < 50_000:
                removable.append((name, ident, i, listed))
            fh.write(f"{name},{shown},失信被执行人,西安市中级人民法院,(2020)陕01执{i}号,{listed},{removed}\n")
    return sample, masked, removable


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """SQLite: the default file in the temp folder. PostgreSQL: a schema of its own, dropped afterwards."""
    if not url.startswith("postgresql"):
        yield url
        return
    schema = f"bench_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def shell_import(csv_path: Path, base: Path) -> None:
    """sqlite3's own .import of the same CSV into a bare table: the yardstick for the import rate."""
    shell = shutil.which("sqlite3")
    if shell is None:
        print("sqlite3 .import: the sqlite3 shell is not installed; skipped")
        return
    target = base / "shell.db"
    started = time.perf_counter()
    subprocess.run([shell, str(target), ".mode csv", f".import '{csv_path}' records"], check=True)
    seconds = time.perf_counter() - started
    rows = sum(1 for _ in csv_path.open("rb")) - 1
    print(
        f"sqlite3 .import (no index, no checks): {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s"
    )
    target.unlink()


def delta_step(
    db: Database,
    settings: Settings,
    base: Path,
    rng: random.Random,
    removable: list[tuple[str, str, int, dt.date]],
    people: list[Person],
    size: int,
) -> None:
    """A day's delta: half additions, half removals of records in force; applied, then checked."""
    today = dt.date.today()
    gone = removable[: size // 2]
    path = base / "失信被执行人_增量.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("姓名,身份证号码,名单类别,认定部门,认定文书号,列入日期,移出日期\n")
        for name, ident, i, listed in gone:
            fh.write(f"{name},{ident},失信被执行人,西安市中级人民法院,(2020)陕01执{i}号,{listed},{today}\n")
        for i in range(size - len(gone)):
            fh.write(
                f"{make_name(rng)},{make_id(rng)},失信被执行人,西安市中级人民法院,(2026)陕01执{i}号,{today},\n"
            )
    result = import_list(db.sessions, path, settings, delta=True)
    print(
        f"delta: {result.rows_imported:,} rows ({len(gone):,} removals) applied as snapshot "
        f"{result.snapshot_id} in {result.seconds:.2f} s; peak {peak_mb():.0f} MB"
    )
    asked = [Person(name, ident) for name, ident, _i, _listed in gone[:1000]] + people[
        : 10_000 - min(1000, len(gone))
    ]
    letter = Letter(kind=Kind.PUBLIC_INSTITUTION, people=asked)
    with db.sessions() as session:
        started = time.perf_counter()
        outcome = check_people(session, letter, settings, dt.datetime.now() + dt.timedelta(days=1))
        seconds = time.perf_counter() - started
    cleared = sum(r.verdict == Verdict.CLEAR for r in outcome.results[: min(1000, len(gone))])
    print(
        f"check after the delta: {len(asked):,} people in {seconds:.3f} s over both layers; "
        f"{cleared:,} of the {min(1000, len(gone)):,} people whose record was removed now clear "
        "(the others hold another record in force: generated IDs repeat)"
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--roster", type=int, default=10_000)
    parser.add_argument("--delta", type=int, default=20_000, help="rows of the daily delta (0: none)")
    parser.add_argument("--database-url", default="", help="default: a SQLite file in the temp folder")
    args = parser.parse_args()
    rng = random.Random(20260604)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        settings = load_settings(
            env={}, config=base / "none.toml", base_dir=base, database_url=args.database_url
        )
        csv_path = base / "失信被执行人.csv"
        started = time.perf_counter()
        sample, masked, removable = generate(csv_path, args.rows, rng)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s; peak {peak_mb():.0f} MB"
        )
        shell_import(csv_path, base)
        db = open_database(settings)
        cpu = time.process_time()
        result = import_list(db.sessions, csv_path, settings)
        cpu = time.process_time() - cpu
        print(
            f"import: {result.rows_imported:,} rows in {result.seconds:.2f} s = "
            f"{result.rows_per_second:,.0f} rows/s ({db.engine.dialect.name}); "
            f"CPU {cpu:.1f} s over both threads; load average {os.getloadavg()[0]:.1f}; peak {peak_mb():.0f} MB"
        )
        helper = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parsing helper process, if one ran
        print(
            f"parsing helper: CPU {helper.ru_utime + helper.ru_stime:.1f} s; peak {helper.ru_maxrss / 1024:.0f} MB"
        )
        half = args.roster // 2
        people = [Person(n, i) for n, i in rng.sample(sample, min(half, len(sample)))]
        people += [Person(n, i) for n, i in masked[: args.roster // 100]]
        people += [Person(make_name(rng), make_id(rng)) for _ in range(args.roster - len(people))]
        letter = Letter(kind=Kind.PUBLIC_INSTITUTION, people=people)
        times = []
        for _ in range(2):  # the first check of a process also pays one-time costs (statement caches)
            with db.sessions() as session:
                started = time.perf_counter()
                outcome = check_people(session, letter, settings, dt.datetime.now())
                times.append(time.perf_counter() - started)
        counts = {v.value: sum(r.verdict == v for r in outcome.results) for v in Verdict}
        print(
            f"check: {len(people):,} people in {times[0]:.3f} s (again: {times[1]:.3f} s); verdicts {counts}; "
            f"peak {peak_mb():.0f} MB"
        )
        if args.delta:
            delta_step(db, settings, base, rng, removable, people, args.delta)
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
