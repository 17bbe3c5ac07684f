"""A month of generated history through the real case core, and its periodic report, as PNG pages.

    .venv/bin/python scripts/report_demo.py [--month 2026-11] [--letters 60] [--out DIR]

A temporary office (one list, the test accounts) receives `--letters` letters
spread over the month's working days, on a clock that runs through the month:
most are answered by themselves, some carry a hit (civil-servant ones get
their second review), some a wrong ID answered 未予查询, a few are delayed or
answered late, a few files are unreadable. Spot checks are recorded. Then
`letters report` for the month is built and its PDF rendered to PNG
(pdftoppm) in --out, for a person to look at.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.accounts import add_account  # noqa: E402
from pipeline.cases import (  # noqa: E402
    requests,
    review,
    spotchecks,
)
from pipeline.cases.context import open_context  # noqa: E402
from pipeline.cases.core import CaseCore  # noqa: E402
from pipeline.cases.corrections import FieldFix, LetterField, VerdictDecision  # noqa: E402
from pipeline.cases.handling import make_processor  # noqa: E402
from pipeline.cases.instances import register_instance  # noqa: E402
from pipeline.domain.result import Verdict  # noqa: E402
from pipeline.domain.roles import Account, Role  # noqa: E402
from pipeline.inbox.intake import InboxIntake  # noqa: E402
from pipeline.reports.build import build_report  # noqa: E402
from pipeline.reports.period import parse_period  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.storage import write_transaction  # noqa: E402
from pipeline.storage.models import Case  # noqa: E402
from tests.builders.spec import bad_check_digit  # noqa: E402
from tests.service_letters import import_records, spec_for, write_letter  # noqa: E402

STAFF = {
    "wangfang": ("王芳", [Role.CLERK]),
    "zhao": ("赵处长", [Role.CLERK]),
    "zhou": ("周复核", [Role.REVIEWER]),
    "sun": ("孙审计", [Role.AUDITOR]),  # reads the workload the report includes
}
UNITS = [
    "陕西省人力资源和社会保障厅",
    "陕西省教育厅",
    "西安市人力资源和社会保障局",
    "陕西省水利厅",
    "宝鸡市委组织部",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", default=None, help="默认上个月")
    parser.add_argument("--letters", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "letters-report-demo")
    args = parser.parse_args()
    today = dt.date.today()
    month = args.month or f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    period = parse_period(month)
    rng = random.Random(20261101)
    with tempfile.TemporaryDirectory(prefix="report-demo-") as tmp:
        base = Path(tmp)
        (base / "letters.toml").write_text("", encoding="utf-8")
        os.chdir(base)
        settings = load_settings(base_dir=base, config=base / "letters.toml")
        ctx = open_context(settings)
        import_records(ctx.db, settings, base)
        people = {}
        with write_transaction(ctx.db.sessions) as s:
            for login, (name, roles) in STAFF.items():
                add_account(s, login, name, [r.value for r in roles], "demo-password-1", by="初始化",
                            now=dt.datetime.now())  # fmt: skip
                people[login] = Account(login, name, frozenset(roles))
        clock = [period.since + dt.timedelta(hours=9)]
        core = CaseCore(settings, ctx.db, make_processor(settings, ctx.db.sessions, lambda: clock[0]),
                        instance_id=register_instance(ctx.db, mode="demo", inbox=base), clock=lambda: clock[0])  # fmt: skip
        intake = InboxIntake(core)
        days = [d for d in (period.start + dt.timedelta(n) for n in range((period.end - period.start).days))
                if ctx.calendar.is_workday(d)]  # fmt: skip
        for n in range(args.letters):
            clock[0] = dt.datetime.combine(days[n * len(days) // args.letters], dt.time(9 + n % 7, 10))
            roll = rng.random()
            kind = "civil_servant" if rng.random() < 0.4 else "public_institution"
            spec = spec_for(500 + n, people=rng.randint(1, 12), kind=kind, hit=roll < 0.12)
            spec.unit = UNITS[n % len(UNITS)]
            if 0.12 <= roll < 0.25:
                spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
            if roll > 0.97:
                path = intake.folders.inbox / f"{n}.doc"
                path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + str(n).encode() * 50)
            else:
                path = write_letter(intake.folders.inbox / f"{n}.docx", spec)
            case_id = intake.handle_file(path)
            assert case_id is not None  # a whole file, handled at once
            with ctx.db.sessions() as s:
                state = s.get(Case, case_id).state  # type: ignore[union-attr]
            if state != "waiting_review":
                continue
            later = rng.choice([1, 1, 2, 3, 5])  # working days until the clerk gets to it
            clock[0] = dt.datetime.combine(ctx.calendar.add_workdays(clock[0].date(), later), dt.time(15, 30))
            if later > 3 and rng.random() < 0.5:
                with write_transaction(ctx.db.sessions) as s:
                    requests.delay(s, ctx.calendar, case_id, until=ctx.calendar.add_workdays(clock[0].date(), 2),
                                   reason="来函单位补充查询对象材料", account=people["zhao"],
                                   now=clock[0] - dt.timedelta(days=1))  # fmt: skip
            if roll < 0.12:
                review.correct(
                    ctx,
                    case_id,
                    [FieldFix(LetterField.ADDRESSEE, "陕西省信用办")],
                    people["wangfang"],
                    now=clock[0],
                )
                releaser = people["zhou"]  # a hit needs a second person; any release follows a preview
            else:
                review.correct(
                    ctx, case_id, [VerdictDecision(1, Verdict.NOT_CHECKED)], people["zhao"], now=clock[0]
                )
                releaser = people["zhao"]
            review.approve(ctx, case_id, releaser, now=clock[0], seen=review.reply_tag(ctx, case_id))
        for row in spotchecks.spot_checks(ctx, people["zhou"]):
            who = people["zhao"] if "王芳（wangfang）" in row.rule else people["wangfang"]
            try:
                wrong = rng.random() < 0.2
                spotchecks.record(ctx, row.case_id, who, agreed=not wrong, finding="附件中第1人姓名与原件不符" if wrong else "",
                                  now=row.drawn_at + dt.timedelta(hours=2))  # fmt: skip
            except Exception:
                other = people["zhao"] if who is people["wangfang"] else people["wangfang"]
                spotchecks.record(
                    ctx, row.case_id, other, agreed=True, now=row.drawn_at + dt.timedelta(hours=2)
                )
        files = build_report(ctx, period, base / "report", workload_for=people["sun"])
        args.out.mkdir(parents=True, exist_ok=True)
        for path in (files.docx, files.pdf, files.xlsx):
            shutil.copy(path, args.out / path.name)
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(files.pdf), str(args.out / "page")], check=True)
        ctx.close()
    print(f"report for {period.label_zh}: {sorted(p.name for p in args.out.iterdir())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
