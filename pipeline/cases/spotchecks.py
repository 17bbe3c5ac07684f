"""抽查抽检 and 结果核对: replies drawn after release, re-checked by someone who did not handle them.

The draw happens in the transaction that makes the case replied (core._finish),
by the rule in pipeline.domain.sampling, and is audited with its rule and
sample point. A person who took no part in the case compares the original,
the extraction and the reply, and records agreed or an error with what it
was; both are audited. The office's seed is made once beside the database
(0600) and shown to auditors, who can recompute every draw.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases.actions import Action, handlers, require
from pipeline.cases.context import ServiceContext
from pipeline.cases.history import history_of
from pipeline.cases.reads import Read, require_read
from pipeline.cases.transitions import move, note
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.reasons import Reason, ReasonCode
from pipeline.domain.roles import Account
from pipeline.domain.sampling import SpotStatus, draw, sample_point
from pipeline.errors import InvalidRequest
from pipeline.privacy import private_file
from pipeline.settings import Settings
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import AuditEvent, SpotCheck
from pipeline.storage.models import Case, CaseState

OPEN, AGREED, ERROR = SpotStatus.OPEN, SpotStatus.AGREED, SpotStatus.ERROR
STATUS_ZH = {s.value: s.label_zh for s in SpotStatus}


def seed(settings: Settings) -> bytes:
    """The office's sampling seed, made once (0600): without it nobody can tell which case will be drawn."""
    path = settings.path(settings.data_dir) / "spot-check.seed"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_file(path)
        path.write_text(secrets.token_hex(16), encoding="ascii")
    return path.read_text(encoding="ascii").strip().encode()


def draw_on_reply(session: Session, settings: Settings, case: Case, now: dt.datetime) -> bool:
    """In the transaction that makes `case` replied: draw it or not, by the rule; a draw is audited."""
    if session.get(SpotCheck, case.id) is not None:
        return True
    results = (case.check_json or {}).get("results", [])
    hit = any(r.get("verdict") == "listed" for r in results)
    automatic = not handlers(session, case.id)
    chosen = draw(
        seed(settings), settings.spot_check_share, case.id, case.file_sha256, automatic=automatic, hit=hit,
        identity_fixed=history_of(session, case.id).identity_changed,
    )  # fmt: skip
    if not chosen.drawn:
        return False
    session.add(SpotCheck(case_id=case.id, drawn_at=now, rule=chosen.rule, point=chosen.point, status=OPEN))
    note(session, case.id, actor=audit.SERVICE, reason=f"抽查抽检：抽中，{chosen.rule}", now=now)
    return True


def _reopen_for_correction(session: Session, case: Case, by: str, finding: str, now: dt.datetime) -> None:
    """An error in a sent reply opens the way to a 更正函: the case waits for review again, and its
    next reply corrects this one (pipeline.domain.reply: corrects), through the same rules."""
    reason = Reason(
        ReasonCode.CORRECTION_LETTER,
        f"抽查发现复函（{case.reply_doc_number}）有误：{finding}；请更正后预览并发出更正函",
    )
    move(
        session, case.id, source=CaseState.REPLIED, target=CaseState.WAITING_REVIEW, actor=by, now=now,
        reason=f"抽查发现错误，重新办理以出具更正函（原复函{case.reply_doc_number}）"[:2000],
        tracking={"corrects_reply": case.reply_doc_number, "decided": None, "finished_at": None},
        case={"reasons": [reason.to_json()]},
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class SpotRow:
    case_id: int
    unit: str | None
    reply_doc_number: str | None
    drawn_at: dt.datetime
    rule: str
    point: float | None
    status: str
    checked_by: str | None
    checked_at: dt.datetime | None
    finding: str | None

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


def _rows(ctx: ServiceContext, *where: object, limit: int = 500) -> list[SpotRow]:
    with ctx.db.sessions() as session:
        return _rows_in(session, *where, limit=limit)


def _rows_in(session: Session, *where: object, limit: int = 500) -> list[SpotRow]:
    query = (
        select(SpotCheck, Case.unit, Case.reply_doc_number)
        .join(Case, Case.id == SpotCheck.case_id)
        .where(*where)
        .order_by(SpotCheck.drawn_at.desc(), SpotCheck.case_id.desc())
        .limit(limit)
    )
    return [
        SpotRow(s.case_id, unit, number, s.drawn_at, s.rule, s.point, s.status, s.checked_by, s.checked_at,
                s.finding)
        for s, unit, number in session.execute(query)
    ]  # fmt: skip


def spot_checks(
    ctx: ServiceContext, account: Account, *, status: SpotStatus | None = None, limit: int = 500
) -> list[SpotRow]:
    """The drawn replies (newest first), for those who may read them."""
    require_read(account, Read.SPOT_CHECKS)
    return _rows(ctx, *([SpotCheck.status == status.value] if status else []), limit=limit)


def draw_audit(ctx: ServiceContext, account: Account) -> tuple[Recount, str]:
    """The recount of every draw and the seed it was drawn with: for checking the draw itself, by
    those who oversee the people drawn for (administrators, auditors)."""
    require_read(account, Read.SPOT_CHECK_AUDIT)
    return recount(ctx), seed(ctx.settings).decode()


def spot_check_of(ctx: ServiceContext, case_id: int) -> SpotRow | None:
    with ctx.db.sessions() as session:
        return spot_check_in(session, case_id)


def spot_check_in(session: Session, case_id: int) -> SpotRow | None:
    found = _rows_in(session, SpotCheck.case_id == case_id, limit=1)
    return found[0] if found else None


def record(
    ctx: ServiceContext, case_id: int, account: Account, *, agreed: bool, finding: str = "",
    now: dt.datetime | None = None,
) -> SpotRow:  # fmt: skip
    """A drawn reply re-checked: agreed, or an error with what it is. Not by anyone who handled it."""
    by = account.signature
    now = (now or dt.datetime.now()).replace(microsecond=0)
    finding = bounded(" ".join(finding.split()), Typed.REASON)
    with write_transaction(ctx.db.sessions) as session:
        require(session, case_id, account, Action.SPOT_CHECK, now)
        if not agreed and not finding:
            raise InvalidRequest(
                "no finding", "发现错误时请写明错误内容（例如：第3人身份证号码与原件不符）。"
            )
        check = session.get(SpotCheck, case_id)
        case = session.get(Case, case_id)
        assert check is not None and case is not None  # the rule requires an open draw of a reply
        check.status, check.checked_by, check.checked_at = (AGREED if agreed else ERROR), by, now
        check.finding = finding or None
        said = "核对无误" if agreed else f"发现错误：{finding}"
        note(session, case_id, actor=by, reason=f"抽查抽检：{said}"[:2000], now=now)
        if not agreed:
            _reopen_for_correction(session, case, by, finding, now)
    found = spot_check_of(ctx, case_id)
    assert found is not None
    return found


@dataclass(frozen=True, slots=True)
class Recount:
    """The draw recomputed from the seed for every reply: what an auditor checks."""

    replies: int
    drawn: int
    mismatches: list[int]  # cases whose stored draw disagrees with the rule (drawn or not)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def recount(ctx: ServiceContext) -> Recount:
    """Every reply's sample point from the seed, against what was drawn: a case drawn by hand, or a
    reply the rule would have drawn but nobody did, shows as a mismatch."""
    from pipeline.storage.models import Case as CaseRow

    key = seed(ctx.settings)
    with ctx.db.sessions() as session:
        drawn = {s.case_id: s for s in session.scalars(select(SpotCheck))}
        first_reply = {
            case_id for case_id, in session.execute(
                select(AuditEvent.case_id).where(AuditEvent.reason.startswith("已生成复函"))
            )
        }  # fmt: skip
        mismatches, replies = [], 0
        for case in session.scalars(select(CaseRow).where(CaseRow.id.in_(first_reply))):
            replies += 1
            stored = drawn.get(case.id)
            if stored is not None and stored.point is not None:
                if abs(stored.point - sample_point(key, case.id, case.file_sha256)) > 1e-9:
                    mismatches.append(case.id)
            elif stored is None:  # every hit, and the automatic replies below the share, should be there
                results = (case.check_json or {}).get("results", [])
                hit = any(r.get("verdict") == "listed" for r in results)
                automatic = not handlers(session, case.id)
                share = ctx.settings.spot_check_share
                if draw(key, share, case.id, case.file_sha256, automatic=automatic, hit=hit).drawn:
                    mismatches.append(case.id)
    return Recount(replies, len(drawn), sorted(mismatches))
