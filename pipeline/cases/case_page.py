"""One case on one screen for a reviewer (Chinese, IDs masked): what it is, why it waits, what happened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pipeline.cases.context import ServiceContext
from pipeline.cases.decisions import stored_decisions
from pipeline.cases.history import history_of
from pipeline.cases.lookup import get_case
from pipeline.contract import letter_from_json
from pipeline.domain.history import CaseHistory, Fix
from pipeline.domain.idnumber import normalise_id
from pipeline.domain.letter import Letter
from pipeline.domain.reasons import Reason, ReasonCode, Settle, code_of
from pipeline.domain.result import Verdict
from pipeline.privacy import mask_id
from pipeline.records.store import RecordStores
from pipeline.storage import audit
from pipeline.storage.models import CaseState


def _state_zh(state: str | None) -> str:
    return CaseState(state).label_zh if state else "—"


def show(ctx: ServiceContext, case_id: int) -> str:
    """Everything a reviewer needs, each waiting reason with what settles it (and its code)."""
    with ctx.db.sessions() as session:
        case, tracking = get_case(session, case_id)
        events = audit.events_for(session, case_id)
        decisions = stored_decisions(session, case_id)
        past = history_of(session, case_id)
    due = (
        f"，期限 {tracking.due_date:%Y-%m-%d}"
        if case.state in ("received", "processing", "waiting_review")
        else ""
    )
    lines = [
        f"案件编号：{case.id}　状态：{CaseState(case.state).label_zh}",
        f"来函文件：{case.original_name}（{case.received_at:%Y-%m-%d %H:%M} 接收{due}）",
        f"来函单位：{case.unit or '（未识别）'}　来函文号：{case.doc_number or '（无）'}",
    ]
    if tracking.archive_path:
        lines.append(f"原件：archive/{tracking.archive_path}")
    if case.reply_doc_number:
        lines.append(f"复函文号：{case.reply_doc_number}")
    if case.error:
        lines.append(f"失败原因：{case.error}")
    reasons = case.review_reasons()
    if reasons:
        lines.append("需人工处理的原因（括号内为处理方式和代码）：")
        lines.extend(f"  - {r.text}（{r.settled_by.label_zh}：{r.code.value}）" for r in reasons)
    letter = letter_from_json(case.letter_json) if case.letter_json else None
    if letter is not None:
        if letter.confirmed:
            lines.append("已确认的问题：")
            lines.extend(f"  - {c.text}（{c.by}，{c.at[:16].replace('T', ' ')}）" for c in letter.confirmed)
        verdicts = {r["seq"]: r for r in (case.check_json or {}).get("results", [])}
        lines.append(f"查询对象（共{len(letter.people)}人）：")
        for i, p in enumerate(letter.people, 1):
            v = verdicts.get(i)
            verdict = Verdict(v["verdict"]).label_zh if v else "未核查"
            if v and v.get("decided"):
                verdict += f"（人工核实：{v['decided']['by']}）"
            if p.not_checked_by:
                verdict += f"（{p.not_checked_by}决定）"
            flag = "　✗ " + "；".join(p.problems) if p.problems and not p.not_checked_by else ""
            lines.append(f"  {i:>3}. {p.name}　{mask_id(p.id_number)}　{verdict}{flag}")
        unconfirmed = [p for p in letter.problems if code_of(p).settled_by is Settle.CONFIRMATION]
        if unconfirmed and not letter.confirmed:
            lines.append("以上“核实后确认”的问题，须与来函单位或原件核实后由具名人员确认。")
    if decisions:
        lines.append("人工核实记录（重新核查时，仅在所依据的名单记录未变化时适用）：")
        lines.extend(f"  {d.at:%Y-%m-%d %H:%M}  {d.by}  {d.describe_zh()}" for d in decisions)
    if past.fixes:
        lines.append("更正前后对照（号码已脱敏，完整号码见网页案件页面）：")
        lines.extend(
            f"  - {f.describe_zh()}" + ("" if in_effect else "（已改回原读，不再生效）")
            for f, in_effect in _marked(past, letter)
        )
    if tracking.corrected_by:
        lines.append(f"最近更正人：{tracking.corrected_by}")
    lines.append("办理记录：")
    for ev in events:
        actor = "系统" if ev.actor == audit.SERVICE else ev.actor
        lines.append(
            f"  {ev.at[:16].replace('T', ' ')}  {actor}  {_state_zh(ev.from_state)}→{_state_zh(ev.to_state)}  {ev.reason}"
        )
    return "\n".join(lines)


@dataclass(slots=True)
class MatchedRecord:
    """The list record a possible or name-mismatch verdict rests on, as the list shows it."""

    list_name: str
    line: int
    name: str | None  # None: the record went with a newer import of its list
    id_masked: str = ""
    authority: str | None = None  # 认定部门
    doc_ref: str | None = None  # 认定文书号
    listed_on: dt.date | None = None
    removed_on: dt.date | None = None


@dataclass(slots=True)
class PersonView:
    seq: int
    name: str
    id_number: str  # full: the case page shows what the original shows (its viewing is audited)
    verdict: str | None  # Verdict value, None when not checked yet
    verdict_zh: str
    problems: list[str]
    decided_by: str | None
    not_checked_by: str | None
    id_invalid: bool
    decidable: bool  # possible / name_mismatch: a person's decision settles it
    matched: list[MatchedRecord] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)  # compare with the original (OCR repairs, doubtful reads)
    # The ID as the scan read it, each character with whether the repair changed it (OCR-uncertain).
    id_marks: list[tuple[str, bool]] = field(default_factory=list)
    name_confidence: float | None = None  # OCR's confidence in the name's least certain character
    unsure: bool = False  # the name or ID is an uncertain read


@dataclass(slots=True)
class CaseDetail:
    id: int
    state: str
    state_zh: str
    original_name: str
    received_at: dt.datetime
    due: dt.date
    archive_path: str | None
    kind: str | None
    unit: str | None
    doc_number: str | None
    date: dt.date | None
    addressee: str | None
    reply_doc_number: str | None
    error: str | None
    reasons: list[Reason]
    confirmable: list[tuple[str, str]]  # (code, problem text) a named person may confirm
    people: list[PersonView]
    history: list[tuple[str, str, str, str]]  # (time, actor, states, reason)
    letter_json: dict | None = None  # with sources: where each value was read
    # The corrections beside the first reading (full values: the caller audits the view), and whether each
    # is still in effect: what a second reviewer compares with the original before approving.
    corrections: list[CorrectionView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CorrectionView:
    field_zh: str  # 第2人身份证号码, 来函查询类别 …
    before: str
    after: str
    by: str
    at: str
    found: str  # what the check had found for that person before (a hit and its record)
    in_effect: bool


_DECIDABLE = (Verdict.POSSIBLE.value, Verdict.NAME_MISMATCH.value)


def _matched(session: Session, result: dict) -> list[MatchedRecord]:
    out = []
    stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
    for ref in result.get("records") or []:
        found = stores.by_record_id(session, ref["snapshot_id"], [ref["record_id"]])
        row = found[0] if found else None
        if row is None:  # the snapshot was replaced since: its records are gone
            out.append(MatchedRecord(ref["list_name"], ref["line"], None))
            continue
        out.append(
            MatchedRecord(
                ref["list_name"], ref["line"], row.name, mask_id(row.id_number), row.authority, row.doc_ref,
                row.listed_on, row.removed_on,
            )
        )  # fmt: skip
    return out


def _marked(past: CaseHistory, letter: Letter | None) -> list[tuple[Fix, bool]]:
    """Every correction with whether it is in effect (none is, without a letter to weigh it on)."""
    return past.marked(letter) if letter is not None else [(f, False) for f in past.fixes]


def _id_marks(printed: str | None, number: str) -> list[tuple[str, bool]]:
    """The printed ID's characters, marked where OCR's repair changed them (empty: nothing changed)."""
    read = normalise_id(printed or "")
    if not printed or len(read) != len(number) or read == number:
        return []
    return [(c, c != n) for c, n in zip(read, number, strict=True)]


def case_detail(ctx: ServiceContext, case_id: int) -> CaseDetail:
    """One case as the console's case page needs it (full IDs: the caller audits the view)."""
    with ctx.db.sessions() as session:
        case, tracking = get_case(session, case_id)
        events = audit.events_for(session, case_id)
        past = history_of(session, case_id)
        verdicts = {r["seq"]: r for r in (case.check_json or {}).get("results", [])}
        matched = {seq: _matched(session, r) for seq, r in verdicts.items() if r["verdict"] in _DECIDABLE}
    letter = letter_from_json(case.letter_json) if case.letter_json else None
    people = []
    for i, p in enumerate(letter.people if letter else [], 1):
        v = verdicts.get(i)
        verdict = v["verdict"] if v else None
        wrong_id = any(code_of(x, ReasonCode.ID_INVALID) is ReasonCode.ID_INVALID for x in p.problems)
        if wrong_id and not p.not_checked_by:
            verdict = None  # a number that is no ID says nothing about the lists: no verdict to show
        people.append(
            PersonView(
                seq=i, name=p.name, id_number=p.id_number, verdict=verdict,
                verdict_zh=Verdict(verdict).label_zh if verdict else "待更正号码后核查" if wrong_id else "未核查",
                problems=[str(x) for x in p.problems], decided_by=(v or {}).get("decided", {}).get("by") if v and v.get("decided") else None,
                not_checked_by=p.not_checked_by,
                id_invalid=wrong_id,
                decidable=verdict in _DECIDABLE, matched=matched.get(i, []), doubts=list(p.confirm),
                id_marks=_id_marks(p.id_as_printed, p.id_number),
                name_confidence=p.name_source.confidence if p.name_source and p.name_source.confidence < 1 else None,
                unsure=bool(p.confirm),
            )
        )  # fmt: skip
    confirmable = []
    if letter is not None:
        confirmable = [
            (code_of(x).value, str(x))
            for x in letter.problems
            if code_of(x).settled_by is Settle.CONFIRMATION and not any(c.covers(x) for c in letter.confirmed)
        ]
    corrections = [
        CorrectionView(
            (f"第{f.seq}人" if f.seq is not None else "来函") + f.what.label_zh,
            f.describe_value(f.before), f.describe_value(f.after), f.by, f.at[:16].replace("T", " "), f.found,
            in_effect,
        )
        for f, in_effect in _marked(past, letter)
    ]  # fmt: skip
    return CaseDetail(
        corrections=corrections,
        id=case.id, state=case.state, state_zh=CaseState(case.state).label_zh, original_name=case.original_name,
        received_at=case.received_at, due=tracking.due_date, archive_path=tracking.archive_path, kind=case.kind,
        unit=letter.unit if letter else case.unit, doc_number=letter.doc_number if letter else case.doc_number,
        date=letter.date if letter else None, addressee=letter.addressee if letter else None,
        reply_doc_number=case.reply_doc_number, error=case.error, reasons=case.review_reasons(),
        confirmable=confirmable, people=people, letter_json=case.letter_json,
        history=[
            (ev.at[:16].replace("T", " "), "系统" if ev.actor == audit.SERVICE else ev.actor,
             f"{_state_zh(ev.from_state)}→{_state_zh(ev.to_state)}", ev.reason)
            for ev in events
        ],
    )  # fmt: skip
