"""What a person may do to a case, decided once: the console's buttons and every refusal come from here.

Each action a person takes on a case (correct, confirm, preview, release, route, delay, close,
reprocess, attach a loose roster, answer a duplicate again) has one rule: the roles that may take
it and the case conditions it needs. `allowed_actions` answers for a case and an account (the
console shows those buttons, and only those); `require` is called by the core function that does
the action, so the CLI, the console and any later edge get the same answer from the same rule,
and no template or command restates one (Datasette's single `allowed()` every view asks).

The facts are read from what the case stores; the action itself still re-checks against the lists
when it acts (pipeline.cases.review), so a stored state can only make this stricter, never looser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases import viewing
from pipeline.cases.decisions import stored_decisions
from pipeline.cases.history import history_of
from pipeline.cases.lookup import get_case
from pipeline.contract import letter_from_json
from pipeline.domain.reasons import Reason, Settle, left_after_approval, second_review
from pipeline.domain.result import Verdict
from pipeline.domain.roles import Account, Role
from pipeline.domain.sampling import SpotStatus
from pipeline.errors import FailureKind, InvalidRequest, LettersError, NotAllowed
from pipeline.storage import audit
from pipeline.storage.case_models import AuditEvent, SpotCheck
from pipeline.storage.models import Case, CaseState


class Action(StrEnum):
    CORRECT = "correct"  # 更正 fields and roster, decide verdicts, keep a draft
    CONFIRM = "confirm"  # 核实后确认 a letter-level problem no field fixes
    PREVIEW = "preview"  # 预览复函: the reply a release would send
    RELEASE = "release"  # 发出: approve and send the previewed reply (复核批准)
    ROUTE = "route"  # 退回 / 转办 a letter this office does not answer
    DELAY = "delay"  # 延期 agreed with the sender
    CLOSE = "close"  # 关闭 a failed or duplicate file that owes no reply
    REPROCESS = "reprocess"  # 重新处理 a failed file from its archived original
    ATTACH = "attach"  # 附到来函: a loose roster joins its letter
    ANSWER_AGAIN = "answer_again"  # 再次答复 a duplicate
    SPOT_CHECK = "spot_check"  # 抽查抽检: record the re-check of a drawn reply
    CLAIM = "claim"  # 领取办理: take a waiting case, so others only read it while one works on it
    RELEASE_CLAIM = "release_claim"  # 释放领取: a 复核 (the desk's supervisor) frees another's claim

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.CORRECT: "更正",
    Action.CONFIRM: "核实后确认",
    Action.PREVIEW: "预览复函",
    Action.RELEASE: "发出复函",
    Action.ROUTE: "退回或转办",
    Action.DELAY: "延期",
    Action.CLOSE: "关闭案件",
    Action.REPROCESS: "重新处理",
    Action.ATTACH: "附到来函",
    Action.ANSWER_AGAIN: "再次答复",
    Action.SPOT_CHECK: "抽查抽检",
    Action.CLAIM: "领取办理",
    Action.RELEASE_CLAIM: "释放领取",
}

# Events that are a person's work on the case (not a look at it): whoever made them may not check it.
LOOKS = (*viewing.LOOKS, "开始办理", "领取办理", "放弃领取", "释放领取")

_WAITING = (CaseState.WAITING_REVIEW,)
# States in which the office still owes the sender an answer within the deadline.
OPEN_STATES = (CaseState.RECEIVED, CaseState.PROCESSING, CaseState.WAITING_REVIEW)
# A failed file (unreadable, not a letter) or a duplicate owes none: a clerk closes it, saying why.
CLOSABLE_STATES = (CaseState.FAILED, CaseState.DUPLICATE)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the rules need to know about one case, as stored."""

    case_id: int
    state: CaseState
    has_letter: bool
    reasons: tuple[Reason, ...]
    held_by: str | None  # who holds it in the console now (signature), if anyone
    correctors: frozenset[str]  # whose corrections are in the letter as it stands
    hit_deciders: frozenset[str]  # who decided a person listed
    archived: bool  # an archived original to read again
    loose_roster: bool  # a roster that came without its letter
    parked: bool  # a duplicate whose file waits to be answered again
    spot_check: SpotStatus | None  # the drawn reply's re-check; None if it was not drawn
    handlers: frozenset[str]  # who worked on the case (not who only looked at it)

    @property
    def approval_only(self) -> bool:
        """Nothing is left that an approval does not settle: the reply can be previewed and sent."""
        return self.has_letter and not left_after_approval(list(self.reasons))

    @property
    def second_review(self) -> bool:
        return bool(second_review(list(self.reasons)))

    @property
    def confirmable(self) -> bool:
        return any(r.settled_by is Settle.CONFIRMATION for r in self.reasons)


@dataclass(frozen=True, slots=True)
class Rule:
    roles: tuple[Role, ...]
    states: tuple[CaseState, ...]
    respects_hold: bool  # refused while another person holds the case in the console


RULES: dict[Action, Rule] = {
    Action.CORRECT: Rule((Role.CLERK,), _WAITING, True),
    Action.CONFIRM: Rule((Role.CLERK,), _WAITING, True),
    Action.ROUTE: Rule((Role.CLERK,), _WAITING, True),
    # A release edits nothing (the preview's tag guards the content), so a reviewer releases a case
    # its clerk still has open.
    Action.PREVIEW: Rule((Role.CLERK, Role.REVIEWER), _WAITING, False),
    Action.RELEASE: Rule((Role.CLERK, Role.REVIEWER), _WAITING, False),
    Action.DELAY: Rule((Role.CLERK,), OPEN_STATES, True),
    Action.CLOSE: Rule((Role.CLERK,), CLOSABLE_STATES, False),
    Action.REPROCESS: Rule((Role.CLERK,), (CaseState.FAILED,), False),
    Action.ATTACH: Rule((Role.CLERK,), (CaseState.FAILED,), False),
    Action.ANSWER_AGAIN: Rule((Role.CLERK,), (CaseState.DUPLICATE,), False),
    # Any clerk or reviewer who took no part in the case (checked below, with the account).
    Action.SPOT_CHECK: Rule((Role.CLERK, Role.REVIEWER), (CaseState.REPLIED,), False),
    # Looking takes nothing: a person takes a case by claiming it or by their first edit.
    Action.CLAIM: Rule((Role.CLERK, Role.REVIEWER), _WAITING, True),
    # Anyone's claim, own included, is freed by a reviewer; a holder also hands back their own
    # (pipeline.cases.holds.hand_back), and an idle claim lapses.
    Action.RELEASE_CLAIM: Rule((Role.REVIEWER,), _WAITING, False),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action is refused: in English for the log, in Chinese for the person."""

    log: str
    zh: str
    role: bool  # the account lacks a role (not the case's condition)

    def error(self) -> LettersError:
        return NotAllowed(self.log, self.zh) if self.role else InvalidRequest(self.log, self.zh)


def second_person_refusal(
    account: Account, correctors: Iterable[str], hit_deciders: Iterable[str]
) -> Refusal | None:
    """A listed civil-servant candidate (or a case a correction changed after a hit) is approved by a
    复核 who neither corrected the case nor decided the listing: no one person clears a listing."""
    by = account.signature
    if not account.has(Role.REVIEWER):
        return Refusal(
            f"{account.login} is no reviewer",
            f"查询结果含失信联合惩戒对象，须由具有“复核”角色的人员复核批准；{by}没有该角色。",
            True,
        )
    if by in set(correctors):
        return Refusal(
            "approver is a corrector",
            f"该案件由{by}更正过，须由更正人以外的复核人员对照原件二次复审后批准。",
            False,
        )
    if by in set(hit_deciders):
        return Refusal(
            "approver made the listed decision",
            f"失信联合惩戒对象的人工核实结论由{by}作出，须由其他人员复核批准。",
            False,
        )
    return None


_ON_THE_LETTER = (Action.CORRECT, Action.CONFIRM, Action.ROUTE, Action.PREVIEW, Action.RELEASE)


def _condition(facts: CaseFacts, action: Action) -> str | None:
    """What the case lacks for `action` beyond its state, in Chinese (None: nothing)."""
    if action in _ON_THE_LETTER and not facts.has_letter:
        return "没有可用的来函提取结果，请人工办理"
    if action is Action.CONFIRM and not facts.confirmable:
        return "没有需要核实后确认的问题"
    if action in (Action.PREVIEW, Action.RELEASE) and not facts.approval_only:
        left = [
            f"  - {r.text}（需{r.settled_by.label_zh}）" for r in left_after_approval(list(facts.reasons))
        ]
        return "\n".join(["仍有需处理的问题，暂不能预览或发出复函：", *left])
    if action is Action.REPROCESS and not facts.archived:
        return "没有存档原件，无法重新处理，请将来函文件重新放入收件箱"
    if action is Action.ATTACH and not facts.loose_roster:
        return "不是未附来函的名单附件"
    if action is Action.ANSWER_AGAIN and not facts.parked:
        return "没有待再次答复的文件"
    if action is Action.RELEASE_CLAIM and facts.held_by is None:
        return "未被领取，无需释放"
    if action is Action.SPOT_CHECK and facts.spot_check is not SpotStatus.OPEN:
        return "未被抽中，无需抽查" if facts.spot_check is None else "已抽查"
    return None


def role_refusal(account: Account, action: Action) -> Refusal | None:
    """Why `account` may never take `action` (it lacks the role), whatever the case."""
    rule = RULES[action]
    if any(account.has(r) for r in rule.roles):
        return None
    needed = "或".join(r.label_zh for r in rule.roles)
    return Refusal(
        f"{account.login} lacks {'/'.join(rule.roles)} for {action}",
        f"“{action.label_zh}”需要“{needed}”角色，{account.signature}没有该角色。",
        True,
    )


def require_role(account: Account, action: Action) -> None:
    """Refused unless `account` holds a role that may take `action` (before there is a case to ask
    about: `letters process --again` on a file not yet registered)."""
    refused = role_refusal(account, action)
    if refused is not None:
        raise refused.error()


def refusal(facts: CaseFacts, account: Account, action: Action) -> Refusal | None:
    """Why `account` may not take `action` on the case now; None when it may."""
    rule = RULES[action]
    refused = role_refusal(account, action)
    if refused is not None:
        return refused
    n = facts.case_id
    if facts.state not in rule.states:
        allowed = "、".join(f"“{s.label_zh}”" for s in rule.states)
        return Refusal(
            f"case {n} is {facts.state}, {action} needs {'/'.join(rule.states)}",
            f"第{n}号案件状态为“{facts.state.label_zh}”，只有{allowed}的案件可以{action.label_zh}。",
            False,
        )
    lacking = _condition(facts, action)
    if lacking:
        ends = "" if "\n" in lacking else "。"
        return Refusal(f"case {n}: {action} refused", f"第{n}号案件{lacking}{ends}", False)
    if rule.respects_hold and facts.held_by not in (None, account.signature):
        return Refusal(
            f"case {n} held by {facts.held_by}", f"第{n}号案件正由{facts.held_by}办理，请稍后再试。", False
        )
    if action is Action.CLAIM and facts.held_by == account.signature:
        return Refusal(f"case {n} already held by {account.login}", f"第{n}号案件已由您领取。", False)
    if action is Action.SPOT_CHECK and account.signature in facts.handlers:
        return Refusal(
            f"{account.login} handled case {n}",
            f"{account.signature}参与办理了第{n}号案件，抽查须由未参与办理的人员进行。",
            False,
        )
    if action is Action.RELEASE and facts.second_review:
        return second_person_refusal(account, facts.correctors, facts.hit_deciders)
    return None


def allowed_actions(facts: CaseFacts, account: Account) -> frozenset[Action]:
    """Every action `account` may take on the case now: what the console offers."""
    return frozenset(a for a in Action if refusal(facts, account, a) is None)


def handlers(session: Session, case_id: int) -> set[str]:
    """Who worked on the case: every actor but the service and those who only looked."""
    events = session.execute(select(AuditEvent.actor, AuditEvent.reason).where(AuditEvent.case_id == case_id))
    return {actor for actor, reason in events if actor != audit.SERVICE and not reason.startswith(LOOKS)}


def is_loose_roster(case: Case) -> bool:
    """A failed file that is only a roster, waiting to be attached to the letter it came without."""
    return case.state == CaseState.FAILED.value and case.error_kind == FailureKind.LOOSE_ROSTER.value


def facts_of(session: Session, case_id: int, now: dt.datetime | None = None) -> CaseFacts:
    """The case's facts as stored (CaseNotFound for no such case)."""
    now = now or dt.datetime.now()
    case, tracking = get_case(session, case_id)
    letter = letter_from_json(case.letter_json) if case.letter_json else None
    held = tracking.holder(now)
    correctors = set(history_of(session, case_id).correctors(letter)) if letter is not None else set()
    if tracking.corrected_by:
        correctors.add(tracking.corrected_by)
    deciders = {d.by for d in stored_decisions(session, case_id) if d.verdict is Verdict.LISTED}
    return CaseFacts(
        case_id=case_id,
        state=CaseState(case.state),
        has_letter=letter is not None,
        reasons=tuple(case.review_reasons()),
        held_by=held,
        correctors=frozenset(correctors),
        hit_deciders=frozenset(deciders),
        archived=bool(tracking.archive_path),
        loose_roster=is_loose_roster(case),
        parked=tracking.parked_path is not None,
        spot_check=SpotStatus(spot.status) if (spot := session.get(SpotCheck, case_id)) is not None else None,
        handlers=frozenset(handlers(session, case_id)),
    )


def require(
    session: Session,
    case_id: int,
    account: Account,
    action: Action,
    now: dt.datetime | None = None,
    *,
    fresh: tuple[Iterable[Reason], Iterable[str]] | None = None,
) -> CaseFacts:
    """Refused (NotAllowed for a role, InvalidRequest for the case's condition) unless `account` may
    take `action` on the case now; the facts, when it may. `fresh`: the reasons and the listed
    people's deciders of a check just made, which an action that re-checks judges by instead of
    what the case stored."""
    facts = facts_of(session, case_id, now)
    if fresh is not None:
        facts = replace(facts, reasons=tuple(fresh[0]), hit_deciders=frozenset(fresh[1]))
    refused = refusal(facts, account, action)
    if refused is not None:
        raise refused.error()
    return facts


def allowed_for(session: Session, case_id: int, account: Account) -> frozenset[Action]:
    """The actions the console offers `account` on this case."""
    return allowed_actions(facts_of(session, case_id), account)
