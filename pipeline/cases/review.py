"""Finishing a case that waits for review: approve it, correct it, or confirm a letter-level problem.

Used by `letters review …` and by the web console. Every action is by a
named person and leaves an audit event. The reply is only ever rendered
after a fresh check that leaves nothing but what an approval settles
(pipeline.domain.reasons.Settle); a second-review hit must be approved by
a 复核 (reviewer) other than whoever corrected the case or decided the verdict. Who acts is an
authenticated Account (pipeline.accounts), never a typed name; the rules hold for every edge. The
reply goes out through the case core (stage, record, publish), so a crash
half-way is finished by recovery like any other case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline.cases import actions, viewing
from pipeline.cases.actions import Action
from pipeline.cases.claims import review_claim
from pipeline.cases.context import ServiceContext
from pipeline.cases.core import CaseCore
from pipeline.cases.corrections import Correction, Requested, apply_corrections, mark_not_checked, requested
from pipeline.cases.decisions import store_decisions, stored_decisions
from pipeline.cases.drafts import drop_draft
from pipeline.cases.handling import Handled, reasons_now
from pipeline.cases.history import history_of, store_history
from pipeline.cases.holds import not_held_by_another
from pipeline.cases.numbering import void_unused
from pipeline.cases.replying import corrects_of, preview_reply, stage_reply
from pipeline.cases.transitions import move
from pipeline.checking import check_people
from pipeline.contract import letter_from_json, letter_to_json
from pipeline.domain.decision import DECIDABLE, ManualDecision, apply_decisions, decide
from pipeline.domain.history import (
    Fix,
    fixes_between,
    found_before,
    letter_fields_of,
    roster_of,
    verdict_fix,
    with_found,
)
from pipeline.domain.letter import Letter
from pipeline.domain.reasons import (
    Confirmation,
    Reason,
    ReasonCode,
    Settle,
    code_of,
    key_of,
    second_review,
)
from pipeline.domain.result import CheckOutcome, Verdict
from pipeline.domain.roles import Account
from pipeline.errors import INTERNAL_ERROR_ZH, CaseNotFound, InvalidRequest
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

RELEASE_ZH = "已核实无误，待预览复函后发出"


@dataclass(slots=True)
class ReviewResult:
    state: CaseState
    reasons: list[Reason] = field(default_factory=list)
    reply_doc_number: str | None = None


def _waiting_letter(ctx: ServiceContext, case_id: int) -> tuple[Letter, str]:
    """The letter as stored, with the tag of what a reply would be made from (content_tag)."""
    with ctx.db.sessions() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}", f"找不到第{case_id}号案件。")
        if case.state != CaseState.WAITING_REVIEW.value:
            raise InvalidRequest(
                f"case {case_id} is {case.state}",
                f"第{case_id}号案件状态为“{CaseState(case.state).label_zh}”，不在待人工复核中。",
            )
        if not case.letter_json:
            raise InvalidRequest("no letter data", f"第{case_id}号案件没有可用的来函提取结果，请人工办理。")
        return letter_from_json(case.letter_json), content_tag(session, case_id, case.letter_json)


def content_tag(session: Session, case_id: int, letter_json: dict | None) -> str:
    """A digest of what a reply is made from: the letter as stored and every decision on it. An action
    that loaded the letter refuses to conclude when the tag moved meanwhile (another person's
    correction would otherwise be answered with the older letter), and a release is refused when
    the case changed after the person looked at its preview."""
    decisions = [(d.seq, d.verdict.value, d.by, d.at.isoformat()) for d in stored_decisions(session, case_id)]
    body = json.dumps([letter_json, decisions], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def reply_tag(ctx: ServiceContext, case_id: int) -> str:
    """The tag of the case as it is now: shown with a preview, handed back on release."""
    return _waiting_letter(ctx, case_id)[1]


def _stale(d: ManualDecision) -> Reason:
    return Reason(
        ReasonCode.DECISION_STALE,
        f"第{d.seq}人（{d.name}）：{d.by}于{d.at:%Y-%m-%d %H:%M}作出的人工核实结论所依据的名单记录"
        "或查询对象信息已变化，该结论不再适用，需重新核实",
        d.seq,
    )


def check_now(
    ctx: ServiceContext,
    letter: Letter,
    case_id: int,
    now: dt.datetime,
    pending: list[ManualDecision] | None = None,
    fixes: list[Fix] | None = None,
) -> tuple[CheckOutcome | None, list[Reason]]:
    """A fresh check with the case's decisions (and `pending` ones) applied, and what is left for a
    person — judged with what the case has been and the `fixes` being made (pipeline.domain.history)."""
    outcome = None
    dropped: list[ManualDecision] = []
    with ctx.db.sessions() as session:
        history = history_of(session, case_id).with_fixes(fixes or [])
        if letter.people:
            raw = check_people(session, letter, ctx.settings, now)
            decisions = [*stored_decisions(session, case_id), *(pending or [])]
    if letter.people:
        outcome, dropped = apply_decisions(raw, decisions)
    reasons = reasons_now(letter, outcome, ctx.settings, now, history)
    if outcome is not None:
        undecided = {r.seq for r in outcome.needs_person}
        reasons.extend(_stale(d) for d in dropped if d.seq in undecided)
    return outcome, reasons


def _verdict_decisions(
    ctx: ServiceContext, letter: Letter, wanted: Mapping[int, Verdict], by: str, now: dt.datetime
) -> list[ManualDecision]:
    """Decisions on the people's fresh verdicts; refused for anyone the check itself settled."""
    if not wanted:
        return []
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
                "人工核实结论只能用于核查结论为“可能匹配（脱敏记录）”或“号码在名单中但姓名不同”的人员。",
            )
        done.append(decide(result, verdict, by, now.replace(microsecond=0)))
    return done


def _may(
    ctx: ServiceContext,
    case_id: int,
    account: Account,
    action: Action,
    now: dt.datetime,
    checked: tuple[CheckOutcome | None, list[Reason]] | None = None,
) -> None:
    """The case core's one rule for `action` (pipeline.cases.actions); `checked`: a check just made,
    judged instead of the reasons the case stored (an approval settles only approvals, and a
    listed person's release needs a second person, on what is true now)."""
    fresh = None
    if checked is not None:
        outcome, reasons = checked
        fresh = (reasons, {r.decided.by for r in (outcome.hits if outcome else []) if r.decided})
    with ctx.db.sessions() as session:
        actions.require(session, case_id, account, action, now, fresh=fresh)


def _conclude(
    ctx: ServiceContext,
    case_id: int,
    letter: Letter,
    account: Account,
    *,
    event: str,
    approving: bool,
    changed: bool,
    decisions: list[ManualDecision] | None = None,
    fixes: list[Fix] | None = None,
    now: dt.datetime,
    tag: str,
    respect_hold: bool = True,
    checked: tuple[CheckOutcome | None, list[Reason]] | None = None,
) -> ReviewResult:
    """Take the case (with the person's audit event and decisions), then reply or wait again.
    `tag`: content_tag of the letter as loaded; `respect_hold`: False for a release, which edits
    nothing (the tag guards the content), so a reviewer releases a case its clerk still has open;
    `checked`: the check a release was judged on."""
    by = account.signature
    outcome, reasons = checked or check_now(ctx, letter, case_id, now, decisions, fixes)
    if not approving and not reasons and ctx.settings.review_preview:
        reasons = [Reason(ReasonCode.RELEASE, RELEASE_ZH)]  # nothing goes out before a person saw it
    if approving:
        second = second_review(reasons)
        event = "复核通过" + (f"（二次复审：{len(second)}人）" if second else "") + "，生成复函"
    with review_claim(ctx.db, case_id, by) as me:
        core = CaseCore(ctx.settings, ctx.db, None, instance_id=me, calendar=ctx.calendar, clock=lambda: now)
        _take(
            ctx, case_id, me, by, event, corrected=changed, decisions=decisions or [], now=now, tag=tag,
            respect_hold=respect_hold, letter=letter if changed else None, fixes=fixes or [],
            outcome=outcome,
        )  # fmt: skip
        try:
            staging = core.fresh_staging(case_id)
            if approving or not reasons:
                assert outcome is not None
                number, outputs = stage_reply(
                    letter, outcome, ctx.settings, ctx.db.sessions, staging, case_id=case_id, now=now,
                    extra={"reviewed_by": by},
                )  # fmt: skip
                handled = Handled.of(
                    CaseState.REPLIED, letter, outcome, reply_doc_number=number, outputs=outputs
                )
            else:
                handled = Handled.of(CaseState.WAITING_REVIEW, letter, outcome, reasons=reasons)
            core.complete(case_id, handled, staging)
        except Exception as exc:
            _give_back(ctx, case_id, me, by, exc, now)
            raise
        return ReviewResult(handled.state, handled.reasons, handled.reply_doc_number)


def _take(
    ctx: ServiceContext,
    case_id: int,
    owner: str,
    by: str,
    event: str,
    *,
    corrected: bool,
    decisions: list[ManualDecision],
    now: dt.datetime,
    tag: str,
    respect_hold: bool,
    letter: Letter | None = None,
    fixes: list[Fix] | None = None,
    outcome: CheckOutcome | None = None,
) -> None:
    """waiting_review → processing, held by this review, with the person's event, decisions and corrected
    `letter`, together: a review killed before its reply went out leaves the correction saved, and the
    case goes back to 待复核 with it (pipeline.cases.instances.recover)."""
    tracking: dict[str, object] = {"owner": owner, "claimed_at": now, "decided": None}
    with write_transaction(ctx.db.sessions) as session:
        if respect_hold:
            not_held_by_another(session, case_id, by, now)
        stored = session.get(Case, case_id)
        if stored is None or content_tag(session, case_id, stored.letter_json) != tag:
            raise InvalidRequest(
                f"case {case_id} changed since it was loaded",
                f"第{case_id}号案件刚刚被他人修改，请重新查看后再操作。",
            )
        history = history_of(session, case_id).observe(letter, outcome).with_fixes(fixes or [])
        # A correction that only puts values back to what the letter was read as (a reviewer undoing a
        # clerk's change) leaves its author free to approve: nothing of theirs is in the reply.
        put_back = letter is not None and bool(fixes) and by not in history.correctors(letter)
        if corrected and not put_back:
            tracking["corrected_by"] = by
        if not move(
            session, case_id, source=CaseState.WAITING_REVIEW, target=CaseState.PROCESSING, actor=by,
            reason=event[:2000], now=now, tracking=tracking,
            case={"letter_json": letter_to_json(letter)} if letter is not None else None,
        ):  # fmt: skip
            raise InvalidRequest(
                "taken by someone else",
                f"第{case_id}号案件状态刚刚发生变化（可能正由他人处理），请重新查看。",
            )
        store_decisions(session, case_id, decisions)
        store_history(session, case_id, history)
        drop_draft(session, case_id)  # what the draft held is now the case, or was set aside


def _give_back(ctx: ServiceContext, case_id: int, me: str, by: str, exc: Exception, now: dt.datetime) -> None:
    """Rendering failed after the case was taken: back to the review queue, its correction kept, and
    any number it took voided. Only while this review still holds the case: a reply made final
    meanwhile is published by recovery, never taken back."""
    message = getattr(exc, "message_zh", None) or INTERNAL_ERROR_ZH
    with write_transaction(ctx.db.sessions) as session:
        tracking = session.get(CaseTracking, case_id)
        if tracking is None or tracking.owner != me or tracking.decided is not None:
            return
        move(
            session, case_id, source=CaseState.PROCESSING, target=CaseState.WAITING_REVIEW, actor=by,
            reason=f"复核未完成，退回待复核：{message}"[:500], now=now, tracking={"owner": None, "decided": None},
        )  # fmt: skip
        void_unused(session, now, case_id=case_id)


def approve(
    ctx: ServiceContext,
    case_id: int,
    account: Account,
    *,
    now: dt.datetime | None = None,
    seen: str | None = None,
) -> ReviewResult:
    """Re-check now and reply, when nothing is left but what an approval settles. `seen`: the tag of
    the preview the person looked at (reply_tag); refused when the case changed since."""
    now = now or dt.datetime.now()
    letter, tag = _waiting_letter(ctx, case_id)
    checked = check_now(ctx, letter, case_id, now)
    _may(ctx, case_id, account, Action.RELEASE, now, checked)
    if seen is None and ctx.settings.review_preview:
        raise InvalidRequest(
            f"case {case_id}: release without a preview",
            f"第{case_id}号案件的复函须先预览：核对预览无误后，凭预览标识发出。",
        )
    if seen is not None and seen != tag:
        raise InvalidRequest(
            f"case {case_id} changed after its preview",
            f"第{case_id}号案件在预览后已被修改，请重新预览复函后再发出。",
        )
    return _conclude(
        ctx, case_id, letter, account, event="", approving=True, changed=False, now=now, tag=tag,
        respect_hold=False, checked=checked,
    )  # fmt: skip


def correct(
    ctx: ServiceContext,
    case_id: int,
    items: Sequence[Correction],
    account: Account,
    *,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """Apply corrections and decisions, re-check, and reply — or, under the office's preview rule
    (Settings.review_preview), wait for a person to preview and release it; or wait again with
    what remains."""
    by, now = account.signature, now or dt.datetime.now()
    _may(ctx, case_id, account, Action.CORRECT, now)
    request = requested(items)
    letter, tag = _waiting_letter(ctx, case_id)
    before, before_fields = roster_of(letter), letter_fields_of(letter)
    at = now.isoformat(timespec="seconds")
    done, wanted = apply_corrections(letter, request, now.date(), by=by, at=at)
    fixes = fixes_between(before, before_fields, letter, by=by, at=at)
    verdicts = {s: v for s, v in wanted.items() if v != Verdict.NOT_CHECKED}
    for s, v in wanted.items():
        if v == Verdict.NOT_CHECKED:
            done.append(mark_not_checked(letter, s, by))
            fixes.append(verdict_fix(s, letter.people[s - 1].name, Verdict.NOT_CHECKED, v, by, at))
    decisions = _verdict_decisions(ctx, letter, verdicts, by, now)
    done.extend(d.describe_zh() for d in decisions)
    fixes.extend(verdict_fix(d.seq, d.name, d.was, d.verdict, by, at) for d in decisions)
    with ctx.db.sessions() as session:
        stored = session.get(Case, case_id)
        fixes = with_found(fixes, found_before(stored.check_json if stored else None))
    return _conclude(
        ctx, case_id, letter, account, event=_correction_event(request, done), approving=False, changed=True,
        decisions=decisions, fixes=fixes, now=now, tag=tag,
    )  # fmt: skip


def _correction_event(request: Requested, done: list[str]) -> str:
    """The history's line: a request that only compares changes nothing, so it is no 人工更正."""
    only_compared = not (request.fields or request.verdicts or request.deletes or request.adds)
    return "，".join(done) if only_compared and done else "人工更正：" + "，".join(done)


def confirm(
    ctx: ServiceContext,
    case_id: int,
    codes: list[str],
    account: Account,
    *,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """A named person confirms letter-level problems no field fixes (a count that disagrees, a 序号 gap,
    a problem in the file itself), having checked them with the sender or the original."""
    by, now = account.signature, now or dt.datetime.now()
    _may(ctx, case_id, account, Action.CONFIRM, now)
    letter, tag = _waiting_letter(ctx, case_id)
    confirmable = {
        code_of(p)
        for p in letter.problems
        if code_of(p).settled_by is Settle.CONFIRMATION and not any(c.covers(p) for c in letter.confirmed)
    }
    wanted = []
    for raw in codes or [""]:
        try:
            code = ReasonCode(raw.strip())
        except ValueError:
            code = None
        if code not in confirmable:
            listed = "、".join(sorted(c.value for c in confirmable)) or "（无）"
            raise InvalidRequest(
                f"nothing to confirm as {raw!r}",
                f"第{case_id}号案件没有可确认的问题“{raw.strip()}”。可确认的问题代码：{listed}",
            )
        wanted.append(code)
    at = now.isoformat(timespec="seconds")
    confirmed = [
        p for p in letter.problems if code_of(p) in wanted and not any(c.covers(p) for c in letter.confirmed)
    ]
    letter.confirmed.extend(Confirmation(code_of(p), str(p), by, at, key_of(p)) for p in confirmed)
    event = "人工确认：" + "；".join(str(p) for p in confirmed)
    return _conclude(
        ctx, case_id, letter, account, event=event, approving=False, changed=True, now=now, tag=tag
    )


def preview(
    ctx: ServiceContext, case_id: int, account: Account, workdir: Path, *, now: dt.datetime | None = None
) -> tuple[Path, str]:
    """The reply PDF a release would send (its 文号 aside), after a fresh check, and the tag a release
    of exactly this content hands back (approve's `seen`); refused while anything but an approval is
    left. No 文号 is used; the look at the reply's personal data is recorded (pipeline.cases.viewing)."""
    now = now or dt.datetime.now()
    letter, tag = _waiting_letter(ctx, case_id)
    checked = check_now(ctx, letter, case_id, now)
    _may(ctx, case_id, account, Action.PREVIEW, now, checked)
    outcome = checked[0]
    if outcome is None:  # no one to check: a reason the rule above already refuses
        raise InvalidRequest("nothing to preview", f"第{case_id}号案件没有查询对象，暂不能预览复函。")
    viewing.see(ctx, case_id, account, viewing.PREVIEW, now)
    corrects = corrects_of(ctx.db.sessions, case_id)
    return preview_reply(letter, outcome, ctx.settings, workdir, now, corrects), tag
