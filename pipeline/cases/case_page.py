"""One case on one screen: what it is, why it waits, its roster with the evidence of each verdict,
its deadline and how it was counted, what happened, and what this person may do now.

`case_page` reads it all in one transaction, records the look (全程留痕) and, in the console,
takes the case for the person opening it; the console renders it as HTML and `letters review show`
as text, so both show the same facts and neither decides anything itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pipeline.cases import drafts, objections, spotchecks, viewing
from pipeline.cases.actions import Action, facts_of, refusal
from pipeline.cases.context import ServiceContext
from pipeline.cases.decisions import stored_decisions
from pipeline.cases.drafts import Draft
from pipeline.cases.history import history_of
from pipeline.cases.listing import deadline_in
from pipeline.cases.lookup import get_case
from pipeline.cases.reads import Read, require_read
from pipeline.cases.spotchecks import SpotRow
from pipeline.contract import letter_from_json
from pipeline.domain import comparison
from pipeline.domain.deadlines import Deadline
from pipeline.domain.history import CaseHistory, Fix
from pipeline.domain.idnumber import normalise_id
from pipeline.domain.letter import Letter
from pipeline.domain.objection import Result, Stage
from pipeline.domain.reasons import Reason, ReasonCode, Settle, code_of
from pipeline.domain.result import Verdict
from pipeline.domain.roles import Account
from pipeline.privacy import mask_id
from pipeline.records.store import RecordStores
from pipeline.storage import audit, write_transaction
from pipeline.storage.models import Case, CaseState, Snapshot


def _state_zh(state: str | None) -> str:
    return CaseState(state).label_zh if state else "—"


@dataclass(slots=True)
class MatchedRecord:
    """The list record a hit, a possible match or a name mismatch rests on, as the list shows it:
    what the clerk saw when deciding, and what the second reviewer and the spot-checker see."""

    list_name: str
    line: int
    name: str | None  # None: the record went with a newer import of its list
    id_masked: str = ""
    authority: str | None = None  # 认定部门
    doc_ref: str | None = None  # 认定文书号
    listed_on: dt.date | None = None
    removed_on: dt.date | None = None
    imported_at: dt.datetime | None = None  # when the list version checked against was imported
    category: str | None = None  # 名单类别


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
    decision_zh: str | None = None  # what a person decided for this row, on which records
    objected: tuple[str, int] | None = None  # (verdict now, objection case) when an objection changed it
    to_compare: bool = False  # a scan's row not yet compared with the original (domain.comparison)


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
    confirmed: list[tuple[str, str, str]] = field(default_factory=list)  # (problem, by, at) confirmed
    compared: list[tuple[str, str, str]] = field(default_factory=list)  # (item, by, at) of a scan, compared
    decisions: list[tuple[str, str, str]] = field(default_factory=list)  # (at, by, what) verdicts decided
    corrected_by: str | None = None  # who corrected the case last
    duplicate_of: int | None = None  # the earlier case with the same file
    duplicate_reply: str | None = None  # that case's reply 文号, if it was answered
    from_scan: bool = False
    # A scan's header fields not yet compared with the original, by name (unit, doc_number …).
    fields_to_compare: list[str] = field(default_factory=list)


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
_EVIDENCED = (*_DECIDABLE, Verdict.LISTED.value)  # verdicts that rest on list records
NO_LIST = "未核查（核查时尚无可用的失信名单）"


def _matched(session: Session, result: dict) -> list[MatchedRecord]:
    out = []
    stores = RecordStores(session.get_bind())  # type: ignore[arg-type]
    for ref in result.get("records") or []:
        found = stores.by_record_id(session, ref["snapshot_id"], [ref["record_id"]])
        row = found[0] if found else None
        snapshot = session.get(Snapshot, ref["snapshot_id"])
        imported = snapshot.imported_at if snapshot is not None else None
        if row is None:  # the snapshot was replaced since: its records are gone
            out.append(MatchedRecord(ref["list_name"], ref["line"], None, imported_at=imported))
            continue
        out.append(
            MatchedRecord(
                ref["list_name"], ref["line"], row.name, mask_id(row.id_number), row.authority, row.doc_ref,
                row.listed_on, row.removed_on, imported, row.category,
            )
        )  # fmt: skip
    return out


def _reply_number(session: Session, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    earlier = session.get(Case, case_id)
    return earlier.reply_doc_number if earlier is not None else None


def _marked(past: CaseHistory, letter: Letter | None) -> list[tuple[Fix, bool]]:
    """Every correction with whether it is in effect (none is, without a letter to weigh it on)."""
    return past.marked(letter) if letter is not None else [(f, False) for f in past.fixes]


def _id_marks(printed: str | None, number: str) -> list[tuple[str, bool]]:
    """The printed ID's characters, marked where OCR's repair changed them (empty: nothing changed)."""
    read = normalise_id(printed or "")
    if not printed or len(read) != len(number) or read == number:
        return []
    return [(c, c != n) for c, n in zip(read, number, strict=True)]


def _detail(session: Session, case_id: int) -> CaseDetail:
    """The case's fields, reasons, roster and history (full IDs: the caller records the look)."""
    case, tracking = get_case(session, case_id)
    events = audit.events_for(session, case_id)
    past = history_of(session, case_id)
    decisions = stored_decisions(session, case_id)
    verdicts = {r["seq"]: r for r in (case.check_json or {}).get("results", [])}
    # A check that consulted no list (none imported, or all emptied) found nobody: that is no
    # 未列入, and the page must not say it is.
    unchecked = NO_LIST if case.check_json and not case.check_json.get("snapshots") else None
    if unchecked:
        verdicts = {}
    matched = {seq: _matched(session, r) for seq, r in verdicts.items() if r["verdict"] in _EVIDENCED}
    decided = {d.seq: d.describe_zh() for d in decisions}  # the latest decision per person
    changed = objections.verdicts_after_objections(session, [case_id]).get(case_id, {})
    letter = letter_from_json(case.letter_json) if case.letter_json else None
    left = comparison.open_items(letter) if letter is not None else []
    rows_left = {i.seq for i in left if i.seq is not None}
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
                verdict_zh=Verdict(verdict).label_zh if verdict else "待更正号码后核查" if wrong_id else unchecked or "未核查",
                problems=[str(x) for x in p.problems], decided_by=(v or {}).get("decided", {}).get("by") if v and v.get("decided") else None,
                not_checked_by=p.not_checked_by,
                id_invalid=wrong_id,
                decidable=verdict in _DECIDABLE, matched=matched.get(i, []), doubts=list(p.confirm),
                id_marks=_id_marks(p.id_as_printed, p.id_number),
                name_confidence=p.name_source.confidence if p.name_source and p.name_source.confidence < 1 else None,
                unsure=bool(p.confirm), decision_zh=decided.get(i),
                objected=(Verdict(changed[p.id_number][0]).label_zh, changed[p.id_number][1]) if p.id_number in changed else None,
                to_compare=i in rows_left,
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
        confirmed=[(c.text, c.by, c.at[:16].replace("T", " ")) for c in letter.confirmed if c.code is not ReasonCode.SCAN_CONFIRM] if letter else [],
        compared=[(c.text, c.by, c.at[:16].replace("T", " ")) for c in letter.confirmed if c.code is ReasonCode.SCAN_CONFIRM] if letter else [],
        decisions=[(d.at.strftime("%Y-%m-%d %H:%M"), d.by, d.describe_zh()) for d in decisions],
        corrected_by=tracking.corrected_by,
        duplicate_of=tracking.duplicate_of,
        duplicate_reply=_reply_number(session, tracking.duplicate_of),
        id=case.id, state=case.state, state_zh=CaseState(case.state).label_zh, original_name=case.original_name,
        received_at=case.received_at, due=tracking.due_date, archive_path=tracking.archive_path, kind=case.kind,
        unit=letter.unit if letter else case.unit, doc_number=letter.doc_number if letter else case.doc_number,
        date=letter.date if letter else None, addressee=letter.addressee if letter else None,
        reply_doc_number=case.reply_doc_number, error=case.error, reasons=case.review_reasons(),
        confirmable=confirmable, people=people, letter_json=case.letter_json,
        from_scan=bool(letter and letter.from_scan),
        fields_to_compare=[i.field for i in left if i.field is not None],
        history=[
            (ev.at[:16].replace("T", " "), "系统" if ev.actor == audit.SERVICE else ev.actor,
             f"{_state_zh(ev.from_state)}→{_state_zh(ev.to_state)}", ev.reason)
            for ev in events
        ],
    )  # fmt: skip


@dataclass(slots=True)
class CasePage:
    detail: CaseDetail
    deadline: Deadline | None  # None: no answer is owed (failed, duplicate, closed, replied)
    allowed: frozenset[Action]  # what this person may do now (the console's buttons)
    why_not: dict[Action, str]  # for every other action, why not (Chinese)
    held_by: str | None  # who has taken the case now (this person included), if anyone
    draft: Draft | None
    spot: SpotRow | None
    objections: list[tuple[int, Stage, Result | None]]  # objections to this case's reply


def case_page(
    ctx: ServiceContext, case_id: int, account: Account, *, look: str | None = viewing.CASE,
    now: dt.datetime | None = None, today: dt.date | None = None,
) -> CasePage:  # fmt: skip
    """Everything one case page shows, read in one transaction that also records the look (`look`:
    what the person is looking at, in the audit log's words; None only where the same request's
    own action recorded it, as a preview does). Looking takes nothing (pipeline.cases.holds).
    Refused unless the account may read cases."""
    now = now or dt.datetime.now()
    today = today or now.date()
    with write_transaction(ctx.db.sessions) as session:
        if look is None:
            require_read(account, Read.CASE)
            get_case(session, case_id)
        else:
            viewing.look(session, case_id, account, look, now)  # refused before anything is read
        detail = _detail(session, case_id)
        case, tracking = get_case(session, case_id)
        facts = facts_of(session, case_id, now)
        refusals = {a: refusal(facts, account, a) for a in Action}
        return CasePage(
            detail=detail,
            deadline=deadline_in(session, case, tracking, today, ctx.calendar),
            allowed=frozenset(a for a, r in refusals.items() if r is None),
            why_not={a: r.zh for a, r in refusals.items() if r is not None},
            held_by=facts.held_by,
            draft=drafts.draft_in(session, case_id) if case.state == CaseState.WAITING_REVIEW.value else None,
            spot=spotchecks.spot_check_in(session, case_id),
            objections=objections.about_in(session, case_id),
        )
