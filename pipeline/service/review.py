"""Finish a case that waits for review: show it, approve it, or correct it (re-check, re-render).

Used by `letters review …` now and by the web console later. Every action
is by a named person and leaves an audit event. A correction may also be a
person's decision on a verdict the check cannot settle (`N.result=clear|listed`
on a possible or name_mismatch person): it is stored with the case and
applied at every re-check while the same records still match
(pipeline.domain.decision). A reply is only ever
rendered after a fresh check that leaves nothing for a person to decide
except the notice's second review of hits on civil-servant queries — and
that approval must come from someone other than the person who corrected
the case. The reply is published through the case life (staging, record,
publish), so a crash half-way is finished by the service's recovery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.contract import letter_from_json, letter_to_json
from pipeline.domain.actor import actor_name
from pipeline.domain.decision import (
    DECIDABLE,
    ManualDecision,
    apply_decisions,
    decide,
    record_from_json,
    record_to_json,
)
from pipeline.domain.idnumber import NOTE_CONVERTED_15, NOTE_UNKNOWN_REGION
from pipeline.domain.letter import Kind, Letter
from pipeline.domain.names import normalise_name
from pipeline.domain.result import CheckOutcome, Verdict
from pipeline.errors import INTERNAL_ERROR_ZH, InvalidRequest
from pipeline.extraction.checks import check_person
from pipeline.privacy import mask_id
from pipeline.process import SECOND_REVIEW, approvable
from pipeline.service.context import ServiceContext
from pipeline.service.lifecycle import CaseService
from pipeline.service.outcome import ProcessResult
from pipeline.service.queries import get_case
from pipeline.service.recovery import register_instance, stop_instance
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import CaseDecision, CaseTracking
from pipeline.storage.models import Case, CaseState

LETTER_FIELDS = {"kind", "unit", "doc_number", "date", "addressee"}
PERSON_FIELDS = {"name", "id_number"}
RESULT_FIELD = "result"  # N.result=clear|listed: a person's decision on a possible/name_mismatch verdict
RESULT_VALUES = {"clear": Verdict.CLEAR, "listed": Verdict.LISTED}
FIELD_HELP = (
    "可更正：unit=来函单位、doc_number=来函文号、date=2026-06-04、kind=civil_servant|public_institution、"
    "addressee=主送单位、N.name=姓名、N.id_number=身份证号码、"
    "N.result=clear|listed（人工核实结论：clear=不属于、listed=属于失信联合惩戒对象，"
    "仅限核查结论为“可能匹配”或“号码在名单中但姓名不同”的人员）（N为序号）"
)


def split_decisions(fields: list[str]) -> tuple[dict[int, Verdict], list[str]]:
    """Separate `N.result=…` decisions from the corrections of the letter itself."""
    wanted: dict[int, Verdict] = {}
    rest: list[str] = []
    for item in fields:
        key, sep, value = item.partition("=")
        seq, _, attr = key.strip().partition(".")
        if attr != RESULT_FIELD or not sep:
            rest.append(item)
            continue
        if not seq.isdigit():
            raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key.strip()}”。{FIELD_HELP}")
        verdict = RESULT_VALUES.get(value.strip())
        if verdict is None:
            raise InvalidRequest(
                "bad result",
                f"第{seq}人的人工核实结论只能是 clear（不属于失信联合惩戒对象）"
                f"或 listed（属于失信联合惩戒对象）：{value.strip()}",
            )
        if int(seq) in wanted:
            raise InvalidRequest("result twice", f"第{seq}人的人工核实结论写了两次，请只写一个。")
        wanted[int(seq)] = verdict
    return wanted, rest


def apply_corrections(letter: Letter, fields: list[str]) -> list[str]:
    """Apply `key=value` corrections; returns Chinese descriptions (IDs masked) for the audit log."""
    done = []
    for item in fields:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InvalidRequest(f"bad field {item!r}", f"更正内容格式应为 字段=值：{item}。{FIELD_HELP}")
        if key in LETTER_FIELDS:
            if key == "kind":
                try:
                    letter.kind = Kind(value)
                except ValueError:
                    raise InvalidRequest(
                        "bad kind", "kind 只能是 civil_servant（公务员）或 public_institution（事业单位）。"
                    ) from None
            elif key == "date":
                try:
                    letter.date = dt.date.fromisoformat(value)
                except ValueError:
                    raise InvalidRequest(
                        "bad date", f"来函日期格式无效：{value}（应写作 2026-06-04）"
                    ) from None
            else:
                setattr(letter, key, value or None)
            done.append(f"{key}={value}")
            continue
        seq, _, attr = key.partition(".")
        if not seq.isdigit() or attr not in PERSON_FIELDS:
            raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key}”。{FIELD_HELP}")
        index = int(seq) - 1
        if not 0 <= index < len(letter.people):
            raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{len(letter.people)}人）。")
        person = letter.people[index]
        if attr == "name":
            person.name = normalise_name(value)  # as extraction stores names
        else:
            person.id_number = value
            person.notes = []  # the old number's notes no longer apply
        # The same person checks as extraction: one definition of a blocking name or ID.
        id_notes = {NOTE_CONVERTED_15, NOTE_UNKNOWN_REGION}
        person.problems = []
        person.notes = [n for n in person.notes if n not in id_notes]
        check_person(person, dt.date.today())
        if attr == "name":
            done.append(f"第{seq}人姓名={person.name}")
        else:
            done.append(f"第{seq}人身份证号码={mask_id(person.id_number)}")
    return done


@dataclass(slots=True)
class ReviewResult:
    state: str
    reasons: list[str]
    reply_doc_number: str | None


def _stored_decisions(session: Session, case_id: int) -> list[ManualDecision]:
    """Every decision recorded for the case, oldest first (the latest per person counts)."""
    rows = session.execute(
        select(CaseDecision).where(CaseDecision.case_id == case_id).order_by(CaseDecision.id)
    ).scalars()
    return [
        ManualDecision(
            seq=row.seq,
            name=row.name,
            id_number=row.id_number,
            was=Verdict(row.was),
            verdict=Verdict(row.verdict),
            records=tuple(record_from_json(r) for r in row.records),
            lists=tuple(row.lists),
            by=row.by,
            at=row.at,
        )
        for row in rows
    ]


def _no_longer_applies(d: ManualDecision) -> str:
    return (
        f"第{d.seq}人（{d.name}）：{d.by}于{d.at:%Y-%m-%d %H:%M}作出的人工核实结论所依据的名单记录"
        "或查询对象信息已变化，该结论不再适用，需重新核实"
    )


def _reasons_now(
    ctx: ServiceContext,
    letter: Letter,
    now: dt.datetime,
    case_id: int,
    pending: list[ManualDecision] | None = None,
) -> tuple[CheckOutcome | None, list[str]]:
    """A fresh check with the case's decisions (and `pending` ones) applied, and what is left for a person."""
    from pipeline.checking import check_people
    from pipeline.process import review_reasons

    outcome = None
    dropped: list[ManualDecision] = []
    if letter.people:
        with ctx.db.sessions() as session:
            raw = check_people(session, letter, ctx.settings, now)
            decisions = [*_stored_decisions(session, case_id), *(pending or [])]
        outcome, dropped = apply_decisions(raw, decisions)
    reasons = review_reasons(letter, outcome, ctx.settings, now.date())
    if outcome is not None:
        undecided = {r.seq for r in outcome.needs_person}
        reasons.extend(_no_longer_applies(d) for d in dropped if d.seq in undecided)
    return outcome, reasons


def _decisions(
    ctx: ServiceContext, letter: Letter, wanted: dict[int, Verdict], by: str, now: dt.datetime
) -> list[ManualDecision]:
    """Decisions on the people's fresh verdicts; refused for anyone the check itself settled."""
    if not wanted:
        return []
    from pipeline.checking import check_people

    for seq in wanted:
        if not 1 <= seq <= len(letter.people):
            raise InvalidRequest("no such person", f"名单中没有第{seq}人（共{len(letter.people)}人）。")
    with ctx.db.sessions() as session:
        fresh = check_people(session, letter, ctx.settings, now)
    done = []
    for seq, verdict in wanted.items():
        result = fresh.results[seq - 1]
        if result.verdict not in DECIDABLE:
            why = (
                "身份证号码和姓名与名单记录完全一致，不能人工改判"
                if result.verdict == Verdict.LISTED
                else "未匹配任何名单记录，不能人工认定"
            )
            raise InvalidRequest(
                f"verdict {result.verdict} is not a person's to decide",
                f"第{seq}人（{result.name}）的核查结论为“{result.verdict.label_zh}”，{why}。"
                "人工核实结论（N.result）只能用于核查结论为“可能匹配（脱敏记录）”"
                "或“号码在名单中但姓名不同”的人员。",
            )
        done.append(decide(result, verdict, by, now.replace(microsecond=0)))
    return done


def _render(
    ctx: ServiceContext,
    letter: Letter,
    outcome: CheckOutcome,
    case_id: int,
    staging: Path,
    by: str,
    now: dt.datetime,
) -> ProcessResult:
    """Render, verify and stage the reply with issue 3's write_reply (same content rules as processing)."""
    from pipeline.checking import outcome_to_json
    from pipeline.process import write_reply

    number, outputs = write_reply(
        letter,
        outcome,
        ctx.settings,
        ctx.db.sessions,
        staging,
        case_id=case_id,
        now=now,
        extra={"reviewed_by": by},
    )
    assert letter.kind is not None
    return ProcessResult(
        state="replied",
        reply_doc_number=number,
        outputs=outputs,
        kind=letter.kind.value,
        unit=letter.unit,
        doc_number=letter.doc_number,
        letter_json=letter_to_json(letter),
        check_json=outcome_to_json(outcome),
    )


def _take(
    ctx: ServiceContext,
    case_id: int,
    owner: str,
    by: str,
    reason: str,
    corrected: bool,
    decisions: list[ManualDecision] | None = None,
) -> None:
    """waiting_review → processing, held by this review run, with the person's audit event
    and their decisions, committed together."""
    with write_transaction(ctx.db.sessions) as session:
        case, _ = get_case(session, case_id)
        if case.state != CaseState.WAITING_REVIEW.value:
            raise InvalidRequest(
                f"case {case_id} is {case.state}",
                f"第{case_id}号案件状态为“{CaseState(case.state).label_zh}”，不在待人工复核中。",
            )
        now = dt.datetime.now()
        taken = session.execute(
            update(Case)
            .where(Case.id == case_id, Case.state == CaseState.WAITING_REVIEW.value)
            .values(state=CaseState.PROCESSING.value, updated_at=now)
        ).rowcount
        if taken != 1:
            raise InvalidRequest("taken by someone else", f"第{case_id}号案件正由他人处理。")
        values: dict[str, object] = {"owner": owner, "claimed_at": now, "outcome": None}
        if corrected:
            values["corrected_by"] = by
        session.execute(update(CaseTracking).where(CaseTracking.case_id == case_id).values(**values))
        session.add_all(
            CaseDecision(
                case_id=case_id,
                seq=d.seq,
                name=d.name,
                id_number=d.id_number,
                was=d.was.value,
                verdict=d.verdict.value,
                records=[record_to_json(r) for r in d.records],
                lists=list(d.lists),
                by=d.by,
                at=d.at,
            )
            for d in decisions or []
        )
        audit.append(
            session,
            actor=by,
            case_id=case_id,
            from_state=CaseState.WAITING_REVIEW,
            to_state=CaseState.PROCESSING,
            reason=reason,
            at=now,
        )


def _finish_review(
    ctx: ServiceContext,
    case_id: int,
    letter: Letter,
    by: str,
    *,
    approving: bool,
    corrections: list[str] | None = None,
    decisions: list[ManualDecision] | None = None,
    now: dt.datetime | None = None,
) -> ReviewResult:
    now = now or dt.datetime.now()
    outcome, reasons = _reasons_now(ctx, letter, now, case_id, decisions)
    second = [r for r in reasons if r.endswith(SECOND_REVIEW)]
    others = [r for r in reasons if not approvable(r)]
    with ctx.db.sessions() as session:
        _, tracking = get_case(session, case_id)
        corrector = tracking.corrected_by
    if approving:
        if others:
            raise InvalidRequest(
                "still has problems",
                "该案件仍有需处理的问题，请先用 letters review correct 更正：\n"
                + "\n".join(f"  - {r}" for r in others),
            )
        if second and corrector and corrector == by:
            raise InvalidRequest(
                "approver is the corrector",
                f"该案件由{by}更正，查询结果含失信联合惩戒对象，须由更正人以外的人员复核批准。",
            )
        deciders = {r.decided.by for r in (outcome.hits if outcome else []) if r.decided}
        if second and by in deciders:
            raise InvalidRequest(
                "approver made the listed decision",
                f"失信联合惩戒对象的人工核实结论由{by}作出，须由其他人员复核批准。",
            )
    instance = register_instance(ctx.db, mode="review", inbox=ctx.settings.path(ctx.settings.inbox))
    try:
        service = CaseService(
            ctx.settings, ctx.db, _no_processor, instance_id=instance, calendar=ctx.calendar
        )
        if approving:
            _take(
                ctx,
                case_id,
                instance,
                by,
                "复核通过" + (f"（二次复审：{len(second)}人）" if second else "") + "，生成复函",
                corrected=False,
            )
        else:
            removed = "；".join(letter.problems)
            _take(
                ctx,
                case_id,
                instance,
                by,
                "人工更正："
                + "，".join(corrections or [])
                + (f"；已核实并清除：{removed}" if removed else ""),
                corrected=True,
                decisions=decisions,
            )
            letter.problems = []
            outcome, reasons = _reasons_now(ctx, letter, now, case_id)
            second = [r for r in reasons if r.endswith(SECOND_REVIEW)]
            others = [r for r in reasons if not approvable(r)]
        try:
            staging = service.fresh_staging(case_id)
            if approving or not reasons:
                assert outcome is not None
                result = _render(ctx, letter, outcome, case_id, staging, by, now)
            else:
                from pipeline.checking import outcome_to_json

                result = ProcessResult(
                    state="waiting_review",
                    reasons=reasons,
                    kind=letter.kind.value if letter.kind else None,
                    unit=letter.unit,
                    doc_number=letter.doc_number,
                    letter_json=letter_to_json(letter),
                    check_json=outcome_to_json(outcome) if outcome else None,
                )
            service.complete(case_id, result, staging)
        except Exception as exc:
            _give_back(ctx, case_id, by, exc)
            raise
        return ReviewResult(result.state, result.reasons, result.reply_doc_number)
    finally:
        stop_instance(ctx.db, instance)


def _give_back(ctx: ServiceContext, case_id: int, by: str, exc: Exception) -> None:
    """Rendering failed after the case was taken: put it back in the review queue, unchanged."""
    message = getattr(exc, "message_zh", None) or INTERNAL_ERROR_ZH
    with write_transaction(ctx.db.sessions) as session:
        now = dt.datetime.now()
        back = session.execute(
            update(Case)
            .where(Case.id == case_id, Case.state == CaseState.PROCESSING.value)
            .values(state=CaseState.WAITING_REVIEW.value, updated_at=now)
        ).rowcount
        if back == 1:
            session.execute(
                update(CaseTracking).where(CaseTracking.case_id == case_id).values(owner=None, outcome=None)
            )
            audit.append(
                session,
                actor=by,
                case_id=case_id,
                from_state=CaseState.PROCESSING,
                to_state=CaseState.WAITING_REVIEW,
                reason=f"复核未完成，退回待复核：{message}"[:500],
                at=now,
            )


def _no_processor(letter: Path, case_id: int, staging: Path) -> ProcessResult:  # pragma: no cover
    raise AssertionError("review never runs the watcher's processor")


def _stored_letter(ctx: ServiceContext, case_id: int) -> Letter:
    with ctx.db.sessions() as session:
        case, _ = get_case(session, case_id)
        if case.state != CaseState.WAITING_REVIEW.value:
            raise InvalidRequest(
                f"case {case_id} is {case.state}",
                f"第{case_id}号案件状态为“{CaseState(case.state).label_zh}”，不在待人工复核中。",
            )
        if not case.letter_json:
            raise InvalidRequest("no letter data", f"第{case_id}号案件没有可用的来函提取结果，请人工办理。")
        return letter_from_json(case.letter_json)


def _named(by: str) -> str:
    return actor_name(by)


def approve(ctx: ServiceContext, case_id: int, by: str) -> ReviewResult:
    """Re-check now and reply, when nothing is left but (at most) the second review of hits."""
    by = _named(by)
    return _finish_review(ctx, case_id, _stored_letter(ctx, case_id), by, approving=True)


def correct(ctx: ServiceContext, case_id: int, fields: list[str], by: str) -> ReviewResult:
    """Apply corrections and decisions (`N.result=clear|listed`), re-check and reply — or wait again
    with the reasons that remain."""
    by = _named(by)
    if not fields:
        raise InvalidRequest("no fields", f"请写明更正内容。{FIELD_HELP}")
    wanted, rest = split_decisions(fields)
    letter = _stored_letter(ctx, case_id)
    done = apply_corrections(letter, rest)
    now = dt.datetime.now()
    decisions = _decisions(ctx, letter, wanted, by, now)
    done.extend(d.describe_zh() for d in decisions)
    return _finish_review(
        ctx, case_id, letter, by, approving=False, corrections=done, decisions=decisions, now=now
    )


def show(ctx: ServiceContext, case_id: int) -> str:
    """Everything a reviewer needs on one screen (IDs masked)."""
    with ctx.db.sessions() as session:
        case, tracking = get_case(session, case_id)
        events = audit.events_for(session, case_id)
        decisions = _stored_decisions(session, case_id)
    lines = [
        f"案件编号：{case.id}　状态：{CaseState(case.state).label_zh}",
        f"来函文件：{case.original_name}（{case.received_at:%Y-%m-%d %H:%M} 接收，期限 {tracking.due_date:%Y-%m-%d}）",
        f"来函单位：{case.unit or '（未识别）'}　来函文号：{case.doc_number or '（无）'}",
    ]
    if tracking.archive_path:
        lines.append(f"原件：archive/{tracking.archive_path}")
    if case.reply_doc_number:
        lines.append(f"复函文号：{case.reply_doc_number}")
    if case.error:
        lines.append(f"失败原因：{case.error}")
    if case.reasons:
        lines.append("需人工处理的原因：")
        lines.extend(f"  - {r}" for r in case.reasons)
    letter = letter_from_json(case.letter_json) if case.letter_json else None
    if letter is not None:
        if letter.problems:
            lines.append("来函层面的问题（更正后视为已核实）：")
            lines.extend(f"  - {p}" for p in letter.problems)
        verdicts = {r["seq"]: r for r in (case.check_json or {}).get("results", [])}
        lines.append(f"查询对象（共{len(letter.people)}人）：")
        for i, p in enumerate(letter.people, 1):
            v = verdicts.get(i)
            verdict = Verdict(v["verdict"]).label_zh if v else "未核查"
            if v and v.get("decided"):
                verdict += f"（人工核实：{v['decided']['by']}）"
            flag = "　✗ " + "；".join(p.problems) if p.problems else ""
            lines.append(f"  {i:>3}. {p.name}　{mask_id(p.id_number)}　{verdict}{flag}")
    if decisions:
        lines.append("人工核实记录（重新核查时，仅在所依据的名单记录未变化时适用）：")
        lines.extend(f"  {d.at:%Y-%m-%d %H:%M}  {d.by}  {d.describe_zh()}" for d in decisions)
    if tracking.corrected_by:
        lines.append(f"最近更正人：{tracking.corrected_by}")
    lines.append("办理记录：")
    for ev in events:
        actor = "系统" if ev.actor == audit.SERVICE else ev.actor
        lines.append(
            f"  {ev.at[:16].replace('T', ' ')}  {actor}  {ev.from_state or '—'}→{ev.to_state or '—'}  {ev.reason}"
        )
    return "\n".join(lines)
