"""Every figure of a periodic report, derived from the case records and the audit log.

A letter counts as received in the period it was received, and as answered
in the period of its audit event that made it replied; people, hits and
settled verdicts are those of the answered replies' check results; timeliness
compares the reply's day with the case's due date (3 working days, or an
agreed delay). The figures never come from a counter kept beside the cases,
so they cannot drift from them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases.actions import LOOKS
from pipeline.cases.objections import chain_clocks, verdicts_after_objections
from pipeline.domain.letter import Kind
from pipeline.domain.objection import Result
from pipeline.domain.result import Verdict
from pipeline.reports.period import Period
from pipeline.storage import audit
from pipeline.storage.case_models import AuditEvent, CaseDelay, CaseTracking, Objection, SpotCheck
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

UNKNOWN_UNIT = "（未识别）"


@dataclass(slots=True)
class Delay:
    case_id: int
    unit: str
    new_due: dt.date
    reason: str
    by: str


@dataclass(slots=True)
class Figures:
    period: Period
    received: int = 0
    received_by_kind: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    answered_by_kind: dict[str, int] = field(default_factory=dict)
    by_unit: list[tuple[str, int, int]] = field(default_factory=list)  # (unit, received, answered)
    failed: int = 0
    duplicates: int = 0
    closed: int = 0
    still_open: int = 0  # received in the period and not finished when the report was made
    people: int = 0  # people in the answered replies
    hits: int = 0
    hits_by_list: dict[str, int] = field(default_factory=dict)
    not_checked: int = 0  # 身份证号码有误，未予查询
    settled: dict[str, int] = field(default_factory=dict)  # "可能匹配→不属于" …: a person's decisions
    on_time: int = 0  # answered within 3 working days of receipt
    within_delay: int = 0  # late on the 3 days, but within an agreed delay
    late: int = 0
    workdays: list[int] = field(default_factory=list)  # per answered letter, receipt to reply
    delays: list[Delay] = field(default_factory=list)
    spot_drawn: int = 0
    spot_checked: int = 0
    spot_errors: int = 0
    spot_findings: list[tuple[int, str]] = field(default_factory=list)
    workload: dict[str, int] = field(default_factory=dict)  # person -> cases worked on (管理员, 审计 only)
    objections: int = 0  # objection letters received
    objection_results: dict[str, int] = field(default_factory=dict)  # 维持 / 更正 -> n
    objection_steps_on_time: int = 0  # chain steps done in the period by their due date
    objection_steps_late: int = 0
    changed_on_objection: int = 0  # people of the period's replies whose result an objection changed
    previous: Figures | None = None  # the period before, for comparison

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.answered if self.answered else None

    @property
    def median_workdays(self) -> float | None:
        return statistics.median(self.workdays) if self.workdays else None

    @property
    def worst_workdays(self) -> int | None:
        return max(self.workdays) if self.workdays else None


def _kind_zh(kind: str | None) -> str:
    return Kind(kind).label_zh if kind else "（未识别类别）"


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def figures(session: Session, calendar: WorkCalendar, period: Period) -> Figures:
    f = Figures(period)
    since, until = period.since.isoformat(), period.until.isoformat()
    replied_at: dict[int, dt.datetime] = {}
    for case_id, at in session.execute(
        select(AuditEvent.case_id, AuditEvent.at)
        .where(
            AuditEvent.to_state == CaseState.REPLIED.value, AuditEvent.from_state != CaseState.REPLIED.value
        )
        .order_by(AuditEvent.seq)
    ):
        if case_id is not None:
            replied_at.setdefault(case_id, _when(at))  # the first reply of the case
    objection_ids = set(session.scalars(select(Objection.case_id)))  # their own section, not queries
    received = [
        row for row in session.execute(
            select(Case, CaseTracking)
            .join(CaseTracking, CaseTracking.case_id == Case.id)
            .where(Case.received_at >= period.since, Case.received_at < period.until)
        ).all()
        if row[0].id not in objection_ids
    ]  # fmt: skip
    answered_ids = [i for i, at in replied_at.items() if period.contains(at) and i not in objection_ids]
    answered = (
        session.execute(
            select(Case, CaseTracking).join(CaseTracking, CaseTracking.case_id == Case.id).where(Case.id.in_(answered_ids))
        ).all()
        if answered_ids
        else []
    )  # fmt: skip
    units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kinds_in: Counter[str] = Counter()
    kinds_out: Counter[str] = Counter()
    for case, _ in received:
        # A duplicate, a file that failed and a closed one are counted apart: none is a letter
        # received for an answer (a duplicate was drawn as 未识别类别 and counted twice).
        if case.state in (CaseState.FAILED.value, CaseState.DUPLICATE.value, CaseState.CLOSED.value):
            f.failed += case.state == CaseState.FAILED.value
            f.duplicates += case.state == CaseState.DUPLICATE.value
            f.closed += case.state == CaseState.CLOSED.value
            continue
        f.received += 1
        kinds_in[_kind_zh(case.kind)] += 1
        units[case.unit or UNKNOWN_UNIT][0] += 1
        f.still_open += case.state in (
            CaseState.RECEIVED.value, CaseState.PROCESSING.value, CaseState.WAITING_REVIEW.value,
        )  # fmt: skip
    delays = _latest_delays(session)
    objected = verdicts_after_objections(session, [case.id for case, _ in answered]) if answered else {}
    hits_by_list: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    for case, tracking in answered:
        f.answered += 1
        kinds_out[_kind_zh(case.kind)] += 1
        units[case.unit or UNKNOWN_UNIT][1] += 1
        for r in (case.check_json or {}).get("results", []):
            f.people += 1
            verdict = r.get("verdict")
            now = objected.get(case.id, {}).get(r.get("id_number", ""))
            if now is not None and now[0] != verdict:  # an objection's review changed the result
                f.changed_on_objection += 1
                verdict = now[0]
            if verdict == Verdict.LISTED.value:
                f.hits += 1
                for name in r.get("lists") or ["（未注明名单）"]:
                    hits_by_list[name] += 1
            elif verdict == Verdict.NOT_CHECKED.value:
                f.not_checked += 1
            decided = r.get("decided")
            if decided:
                settled[f"{Verdict(decided['was']).label_zh}→{Verdict(verdict).label_zh}"] += 1
        day = replied_at[case.id].date()
        f.workdays.append(calendar.workdays_between(case.received_at.date(), day))
        if day <= tracking.due_date:
            f.on_time += 1
        elif case.id in delays and day <= delays[case.id]:
            f.within_delay += 1
        else:
            f.late += 1
    f.received_by_kind, f.answered_by_kind = dict(kinds_in), dict(kinds_out)
    f.by_unit = sorted(((u, n[0], n[1]) for u, n in units.items()), key=lambda x: (-x[1] - x[2], x[0]))
    f.hits_by_list, f.settled = dict(hits_by_list.most_common()), dict(settled.most_common())
    for delay, unit in session.execute(
        select(CaseDelay, Case.unit)
        .join(Case, Case.id == CaseDelay.case_id)
        .where(CaseDelay.at >= period.since, CaseDelay.at < period.until)
        .order_by(CaseDelay.id)
    ):
        f.delays.append(
            Delay(delay.case_id, unit or UNKNOWN_UNIT, delay.new_due_date, delay.reason, delay.by)
        )
    for check in session.execute(
        select(SpotCheck).where(SpotCheck.drawn_at >= period.since, SpotCheck.drawn_at < period.until)
    ).scalars():
        f.spot_drawn += 1
        f.spot_checked += check.status != "open"
        if check.status == "error":
            f.spot_errors += 1
            f.spot_findings.append((check.case_id, check.finding or ""))
    _objections(session, calendar, period, f)
    worked: dict[str, set[int]] = defaultdict(set)
    for actor, case_id, reason in session.execute(
        select(AuditEvent.actor, AuditEvent.case_id, AuditEvent.reason).where(
            AuditEvent.at >= since, AuditEvent.at < until, AuditEvent.case_id.is_not(None),
            AuditEvent.actor != audit.SERVICE,
        )
    ):  # fmt: skip
        if case_id is not None and not reason.startswith(LOOKS):
            worked[actor].add(case_id)
    f.workload = dict(sorted(((a, len(c)) for a, c in worked.items()), key=lambda x: (-x[1], x[0])))
    return f


def _objections(session: Session, calendar: WorkCalendar, period: Period, f: Figures) -> None:
    results: Counter[str] = Counter()
    for row in session.scalars(select(Objection)):
        if period.contains(row.received_on):
            f.objections += 1
            if row.result:
                results[Result(row.result).label_zh] += 1
        for clock in chain_clocks(calendar, row):
            if clock.done_at is not None and period.contains(clock.done_at):
                if clock.done_at.date() <= clock.due:
                    f.objection_steps_on_time += 1
                else:
                    f.objection_steps_late += 1
    f.objection_results = dict(results.most_common())


def _latest_delays(session: Session) -> dict[int, dt.date]:
    latest: dict[int, dt.date] = {}
    for case_id, due in session.execute(
        select(CaseDelay.case_id, CaseDelay.new_due_date).order_by(CaseDelay.id)
    ):
        latest[case_id] = due
    return latest
