"""异议: an objection letter's case, from its receipt to the letter that tells the unit the result.

The letter arrives in the inbox like a query; extraction recognises it
(pipeline.extraction.objection) and the case core ends its processing in the
state 'objection', opening the chain here in the same transaction: linked to
the reply it cites (by the reply's 文号, else by unit and ID), or waiting for a
clerk to link it. Each step is a named person's, audited, and checked against
the chain's stage; the letters go out through the reply's format and
templates (objection_apply.docx, objection_notice.docx), and as replies do: previewed first, and
sent only as previewed (the preview's tag), numbered when sent. When the result
changes the outcome for a person, the original case records it and the
letter to the unit states the correction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases import viewing
from pipeline.cases.context import ServiceContext
from pipeline.cases.letters import letter_fields, send_letter
from pipeline.cases.reads import Read, require_read
from pipeline.cases.transitions import move, note
from pipeline.contract import letter_from_json
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.letter import Letter
from pipeline.domain.objection import NATIONAL, Clock, Delay, Level, Result, Stage, clocks
from pipeline.domain.result import Verdict
from pipeline.domain.roles import Account, Role
from pipeline.errors import CaseNotFound, InvalidRequest
from pipeline.privacy import mask_id
from pipeline.settings import Settings
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import Objection
from pipeline.storage.models import Case, CaseState
from pipeline.workdays import WorkCalendar

log = logging.getLogger("pipeline.cases.objections")

VERDICT_ZH = {Verdict.LISTED.value: "属于失信联合惩戒对象", Verdict.CLEAR.value: "不属于失信联合惩戒对象"}


def _original(session: Session, letter: Letter) -> Case | None:
    """The replied case the objection is about: the cited reply 文号, else one case of the same
    unit that answered one of these IDs."""
    replied = select(Case).where(Case.state == CaseState.REPLIED.value, Case.reply_doc_number.is_not(None))
    claim = letter.objection
    for cited in claim.cited if claim else []:
        found = [c for c in session.scalars(replied) if cited.endswith(c.reply_doc_number or "\0")]
        if len(found) == 1:
            return found[0]
    ids = {p.id_number for p in letter.people}
    if letter.unit and ids:
        found = [
            c for c in session.scalars(replied.where(Case.unit == letter.unit))
            if ids & {r["id_number"] for r in (c.check_json or {}).get("results", [])}
        ]  # fmt: skip
        if len(found) == 1:
            return found[0]
    return None


def _people(letter: Letter, original: Case | None) -> list[dict]:
    """The persons concerned with what the original reply said of them. A letter that names nobody
    objects for everyone the reply answered."""
    results = (original.check_json or {}).get("results", []) if original else []
    by_id = {r["id_number"]: r for r in results}
    named = [(p.name, p.id_number) for p in letter.people] or [(r["name"], r["id_number"]) for r in results]
    return [
        {"name": name, "id_number": number, "seq": by_id.get(number, {}).get("seq"),
         "was": by_id.get(number, {}).get("verdict")}
        for name, number in named
    ]  # fmt: skip


def open_objection(session: Session, settings: Settings, case: Case, now: dt.datetime) -> None:
    """In the transaction that ends the letter's processing: the chain starts at its receipt."""
    if session.get(Objection, case.id) is not None:
        return
    letter = letter_from_json(case.letter_json or {})
    original = _original(session, letter)
    level = Level(settings.office_level)
    stage = Stage.LINK if original is None else Stage.APPLY if level is Level.PROVINCE else Stage.NOTIFY
    session.add(
        Objection(
            case_id=case.id, level=level.value, original_case_id=original.id if original else None,
            cited_reply=(letter.objection.cited[0] if letter.objection and letter.objection.cited else None),
            people=_people(letter, original), reason=letter.objection.reason if letter.objection else None,
            received_on=case.received_at.date(), stage=stage.value, delays=[],
        )
    )  # fmt: skip
    if original is None:
        note(session, case.id, actor=audit.SERVICE, now=now,
             reason="异议申请：未能确定所针对的复函，待工作人员关联原查询案件")  # fmt: skip
    else:
        note(session, case.id, actor=audit.SERVICE, now=now,
             reason=f"异议申请：针对第{original.id}号案件的复函（{original.reply_doc_number}）")  # fmt: skip
        note(session, original.id, actor=audit.SERVICE, now=now,
             reason=f"收到针对本案复函的异议申请（第{case.id}号案件）")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ObjectionView:
    case_id: int
    level: Level
    stage: Stage
    unit: str | None
    doc_number: str | None
    letter_date: dt.date | None
    original_case_id: int | None
    original_reply: str | None
    cited_reply: str | None
    reason: str | None
    people: list[dict]
    result: Result | None
    result_people: list[dict]
    result_received_on: dt.date | None
    result_by: str | None
    apply_number: str | None
    notice_number: str | None
    clocks: list[Clock]
    outputs: dict


class Step(StrEnum):
    """What a person does to an objection, one step of its chain."""

    LINK = "link"  # 关联原查询案件
    APPLY = "apply"  # 申请异议复核 (province)
    RESULT = "result"  # 登记复核结果
    NOTIFY = "notify"  # 告知异议申请单位
    DELAY = "delay"  # 延期 of the running clock


_STEP_ROLES: dict[Step, tuple[Role, ...]] = {
    Step.LINK: (Role.CLERK,),
    Step.APPLY: (Role.CLERK,),
    Step.RESULT: (Role.CLERK, Role.REVIEWER),
    Step.NOTIFY: (Role.CLERK,),
    Step.DELAY: (Role.CLERK,),
}


def _step_open(view: ObjectionView, step: Step) -> bool:
    """The objection is at the stage where `step` is taken."""
    if step is Step.RESULT:  # the centre's result (province), or the office's own before the notice (city)
        return view.stage is Stage.RESULT or (view.stage is Stage.NOTIFY and view.result is None)
    if step is Step.NOTIFY:
        return view.stage is Stage.NOTIFY and view.result is not None
    if step is Step.DELAY:
        return view.stage in (Stage.APPLY, Stage.NOTIFY)
    return view.stage is {Step.LINK: Stage.LINK, Step.APPLY: Stage.APPLY}[step]


def allowed_steps(view: ObjectionView, account: Account) -> frozenset[Step]:
    """The steps `account` may take now: what the console offers (each step function checks again)."""
    return frozenset(s for s in Step if _step_open(view, s) and any(account.has(r) for r in _STEP_ROLES[s]))


def _require_step(account: Account, step: Step) -> None:
    account.require(*_STEP_ROLES[step])


def _row(session: Session, case_id: int) -> tuple[Case, Objection]:
    case, row = session.get(Case, case_id), session.get(Objection, case_id)
    if case is None or row is None:
        raise CaseNotFound(f"no objection {case_id}", f"第{case_id}号案件不是异议申请。")
    return case, row


def page(
    ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None
) -> ObjectionView:
    """One objection with the people it names: the look is recorded (全程留痕)."""
    viewing.see(ctx, case_id, account, viewing.OBJECTION, now)
    return view(ctx, case_id)


def view(ctx: ServiceContext, case_id: int) -> ObjectionView:
    with ctx.db.sessions() as session:
        case, row = _row(session, case_id)
        original = session.get(Case, row.original_case_id) if row.original_case_id else None
        letter = letter_from_json(case.letter_json or {})
        return ObjectionView(
            case.id, Level(row.level), Stage(row.stage), letter.unit or case.unit, letter.doc_number, letter.date,
            row.original_case_id, original.reply_doc_number if original else None, row.cited_reply, row.reason,
            list(row.people), Result(row.result) if row.result else None, list(row.result_people or []),
            row.result_received_on, row.result_by, row.apply_number, row.notice_number,
            chain_clocks(ctx.calendar, row), dict(row.outputs or {}),
        )  # fmt: skip


def chain_clocks(calendar: WorkCalendar, row: Objection) -> list[Clock]:
    return clocks(
        calendar, Level(row.level), row.received_on,
        applied=(row.applied_at, row.applied_by or "") if row.applied_at else None,
        result_received_on=row.result_received_on if row.level == Level.PROVINCE.value else None,
        notified=(row.notified_at, row.notified_by or "") if row.notified_at else None,
        delays=[Delay.from_json(d) for d in row.delays or []],
    )  # fmt: skip


def _at(session: Session, case_id: int, stage: Stage) -> tuple[Case, Objection]:
    case, row = _row(session, case_id)
    if row.stage != stage.value:
        raise InvalidRequest(
            f"objection {case_id} is at {row.stage}, not {stage}",
            f"第{case_id}号异议目前为“{Stage(row.stage).label_zh}”，不能进行此操作。",
        )
    return case, row


def link(
    ctx: ServiceContext, case_id: int, original_id: int, account: Account, now: dt.datetime | None = None
) -> None:
    """A clerk says which replied case the objection is about."""
    _require_step(account, Step.LINK)
    by, now = account.signature, now or dt.datetime.now()
    with write_transaction(ctx.db.sessions) as session:
        case, row = _at(session, case_id, Stage.LINK)
        original = session.get(Case, original_id)
        if original is None or original.state != CaseState.REPLIED.value or original_id == case_id:
            raise InvalidRequest(
                f"case {original_id} is no reply", f"第{original_id}号案件不是已复函的查询案件。"
            )
        letter = letter_from_json(case.letter_json or {})
        row.original_case_id, row.people = original.id, _people(letter, original)
        row.stage = (Stage.APPLY if row.level == Level.PROVINCE.value else Stage.NOTIFY).value
        note(session, case_id, actor=by, now=now,
             reason=f"关联原查询案件：第{original.id}号（复函{original.reply_doc_number}）")  # fmt: skip
        note(
            session, original.id, actor=by, now=now, reason=f"收到针对本案复函的异议申请（第{case_id}号案件）"
        )


QUOTE_CHARS = 120  # the unit's own words quoted in the application, at most


def _quoted(reason: str | None) -> str:
    """The unit's stated reason as a quotation: its "我单位" is the unit, not this office, so it is
    never run into the office's own sentence; a long statement is cut, the letter itself is attached."""
    said = " ".join((reason or "").split()).strip("。；;，, ")
    if not said:
        return "。"
    if len(said) > QUOTE_CHARS:
        said = said[:QUOTE_CHARS].rstrip("，,；;、 ") + "……"
    return f"，来函称：“{said}”。"


def _fields(ctx: ServiceContext, case: Case, row: Objection, *, kind: str, now: dt.datetime) -> dict:
    """The letter's own parts: to the national centre (apply) or to the unit (notice)."""
    letter = letter_from_json(case.letter_json or {})
    with ctx.db.sessions() as session:
        original = session.get(Case, row.original_case_id) if row.original_case_id else None
    cited = f"（{letter.doc_number}）" if letter.doc_number else ""
    day = f"{letter.date.month}月{letter.date.day}日" if letter.date else ""
    reply = original.reply_doc_number if original else row.cited_reply or ""
    if kind == "apply":
        return letter_fields(
            ctx.settings, now, title="关于申请社会信用记录\n查询结果异议复核的函", addressee=NATIONAL,
            incoming=f"{letter.unit or '来函单位'}{day}来函{cited}反映，我单位出具的社会信用记录查询结果复函（{reply}）中，"
            f"附件所列人员对查询结果有异议{_quoted(row.reason)}",
            conclusion="现申请异议复核，请予核查并反馈复核结果。", heading="异议复核申请人员名单",
            rows=[(p["name"], p["id_number"], VERDICT_ZH.get(p.get("was") or "", "—")) for p in row.people],
            list_follows=True,
        )  # fmt: skip
    review = f"经向{NATIONAL}申请异议复核" if row.level == Level.PROVINCE.value else "经复核"
    if row.result == Result.CHANGED.value:
        conclusion = f"原查询结果复函（{reply}）中附件所列人员的查询结果予以更正，以本函为准。"
    else:
        conclusion = f"维持原查询结果（{reply}）。"
    rows = [
        (p["name"], p["id_number"],
         VERDICT_ZH.get(p["now"], "—") + (f"（原为{VERDICT_ZH.get(p['was'], '—')}）" if p["now"] != p["was"] else ""))
        for p in row.result_people or []
    ]  # fmt: skip
    return letter_fields(
        ctx.settings, now, title="关于社会信用记录查询结果\n异议复核情况的函", addressee=letter.unit or "",
        incoming=f"你单位{day}来函{cited}收悉。{review}，现将结果函告如下。", conclusion=conclusion,
        heading="异议复核结果", rows=rows, list_follows=True,
    )  # fmt: skip


# The letter each stage sends: (step, template kind, label).
_LETTERS = {
    Stage.APPLY: (Step.APPLY, "apply", "异议复核申请"),
    Stage.NOTIFY: (Step.NOTIFY, "notice", "异议复核结果告知"),
}


def letter_tag(fields: dict) -> str:
    """The letter a release sends, as a tag: every value but its date of issue (previewed one day and
    sent the next, it is the same letter; any other change needs a new preview)."""
    body = {k: v for k, v in fields.items() if k != "issue_date"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Due:
    """The letter an objection's stage sends: which step sends it, its template, label and values,
    and the unit it is filed under in the outbox."""

    step: Step
    kind: str
    label: str
    fields: dict
    unit: str | None


def _due_letter(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime) -> _Due:
    """The letter this objection's stage sends, if `account` may send it."""
    with ctx.db.sessions() as session:
        case, row = _row(session, case_id)
        stage = Stage(row.stage)
        if stage not in _LETTERS:
            raise InvalidRequest(
                f"no letter at stage {stage}", f"第{case_id}号异议目前（{stage.label_zh}）没有待发出的函件。"
            )
        step, kind, label = _LETTERS[stage]
        _require_step(account, step)
        if step is Step.NOTIFY and row.result is None:
            raise InvalidRequest("no result yet", f"第{case_id}号异议尚未登记复核结果，请先登记。")
        return _Due(step, kind, label, _fields(ctx, case, row, kind=kind, now=now), case.unit)


def preview_letter(
    ctx: ServiceContext, case_id: int, account: Account, workdir: Path, now: dt.datetime | None = None
) -> tuple[Path, str, Step]:
    """The letter the objection's stage sends (the application, or the notice of the result) as its
    PDF with no 文号, the tag its release hands back, and the step that sends it. The look at the
    people it names is recorded."""
    from pipeline.reply import render_letter  # heavy: only when a letter is drawn

    now = (now or dt.datetime.now()).replace(microsecond=0)
    due = _due_letter(ctx, case_id, account, now)
    viewing.see(ctx, case_id, account, viewing.PREVIEW, now)
    made = render_letter(ctx.settings, f"objection_{due.kind}.docx", due.fields, workdir)
    return made.pdf, letter_tag(due.fields), due.step


def _send(
    ctx: ServiceContext, case_id: int, account: Account, step: Step, seen: str, now: dt.datetime
) -> tuple[str, dict]:
    """The chain's letter for `step`, exactly as previewed (`seen`), numbered, rendered and published;
    its 文号 and files. Refused before any 文号 is used."""
    due = _due_letter(ctx, case_id, account, now)
    if due.step is not step:
        raise InvalidRequest(f"{step} is not due", f"第{case_id}号异议目前不在该环节。")
    if seen != letter_tag(due.fields):
        raise InvalidRequest(
            "not the letter previewed",
            "发出前须预览函件；预览后内容已有变化（或尚未预览），请重新预览、核对后再发出。",
        )
    return send_letter(ctx, case_id, f"objection_{due.kind}.docx", due.fields, label=due.label, unit=due.unit,
                       now=now, key=f"{due.kind}_")  # fmt: skip


def apply(
    ctx: ServiceContext, case_id: int, account: Account, *, seen: str, now: dt.datetime | None = None
) -> str:
    """Province: the application for 异议复核 to the national centre, as previewed, sent; returns its 文号."""
    _require_step(account, Step.APPLY)
    by, now = account.signature, (now or dt.datetime.now()).replace(microsecond=0)
    with ctx.db.sessions() as session:
        _at(session, case_id, Stage.APPLY)
    number, names = _send(ctx, case_id, account, Step.APPLY, seen, now)
    with write_transaction(ctx.db.sessions) as session:
        _, row = _at(session, case_id, Stage.APPLY)
        row.applied_at, row.applied_by, row.apply_number = now, by, number
        row.outputs, row.stage = {**(row.outputs or {}), **names}, Stage.RESULT.value
        note(session, case_id, actor=by, now=now, reason=f"向{NATIONAL}申请异议复核（{number}）")
    return number


def record_result(
    ctx: ServiceContext, case_id: int, account: Account, *, changes: dict[str, str], received_on: dt.date,
    now: dt.datetime | None = None,
) -> Result:  # fmt: skip
    """The review's result: the national centre's (province, with the day it was received) or the
    office's own (city). `changes`: ID → clear|listed for the persons whose result changes."""
    _require_step(account, Step.RESULT)
    by, now = account.signature, (now or dt.datetime.now()).replace(microsecond=0)
    with write_transaction(ctx.db.sessions) as session:
        _, row = _row(session, case_id)
        wanted = Stage.RESULT if row.level == Level.PROVINCE.value else Stage.NOTIFY
        _at(session, case_id, wanted)
        if row.result is not None:
            raise InvalidRequest("result recorded", f"第{case_id}号异议的复核结果已由{row.result_by}登记。")
        if received_on > now.date() or received_on < row.received_on:
            raise InvalidRequest("bad received_on", "收到复核结果的日期应在收到异议申请之后、不晚于今天。")
        ids = {p["id_number"] for p in row.people}
        unknown = [mask_id(i) for i in changes if i not in ids]
        if unknown or any(v not in VERDICT_ZH for v in changes.values()):
            raise InvalidRequest(
                "bad change", "只能更正本异议所涉人员的结果（属于 / 不属于失信联合惩戒对象）。"
            )
        people = [{**p, "now": changes.get(p["id_number"], p.get("was"))} for p in row.people]
        changed = [p for p in people if p["now"] != p.get("was")]
        result = Result.CHANGED if changed else Result.UPHELD
        row.result, row.result_people, row.result_received_on, row.result_by = (
            result.value,
            people,
            received_on,
            by,
        )
        row.stage = Stage.NOTIFY.value
        said = "；".join(f"{p['name']}（{mask_id(p['id_number'])}）{VERDICT_ZH.get(p.get('was') or '', '—')}→"
                         f"{VERDICT_ZH[p['now']]}" for p in changed)  # fmt: skip
        where = (
            f"收到{NATIONAL}异议复核结果（{received_on:%Y年%m月%d日}收到）"
            if row.level == Level.PROVINCE.value
            else "异议复核"
        )
        note(
            session,
            case_id,
            actor=by,
            now=now,
            reason=f"{where}：{result.label_zh}" + (f"：{said}" if said else ""),
        )
        if changed and row.original_case_id:
            note(session, row.original_case_id, actor=by, now=now,
                 reason=f"异议复核（第{case_id}号案件）更正查询结果：{said}，以告知函为准")  # fmt: skip
    return result


def notify(
    ctx: ServiceContext, case_id: int, account: Account, *, seen: str, now: dt.datetime | None = None
) -> str:
    """The letter to the unit with the result, as previewed, sent; the objection's case is answered."""
    _require_step(account, Step.NOTIFY)
    by, now = account.signature, (now or dt.datetime.now()).replace(microsecond=0)
    with ctx.db.sessions() as session:
        _at(session, case_id, Stage.NOTIFY)
    number, names = _send(ctx, case_id, account, Step.NOTIFY, seen, now)
    with write_transaction(ctx.db.sessions) as session:
        _, row = _at(session, case_id, Stage.NOTIFY)
        row.notified_at, row.notified_by, row.notice_number = now, by, number
        row.outputs, row.stage = {**(row.outputs or {}), **names}, Stage.DONE.value
        move(session, case_id, source=CaseState.OBJECTION, target=CaseState.REPLIED, actor=by, now=now,
             reason=f"书面告知异议申请单位复核结果（{number}）", case={"reply_doc_number": number})  # fmt: skip
    return number


def delay(
    ctx: ServiceContext, case_id: int, account: Account, *, until: dt.date, contacted_who: str,
    contacted_at: dt.datetime, how: str, reason: str, now: dt.datetime | None = None,
) -> Delay:  # fmt: skip
    """延期 of the running clock, after a recorded communication with the unit (the notice requires it)."""
    _require_step(account, Step.DELAY)
    by, now = account.signature, (now or dt.datetime.now()).replace(microsecond=0)
    contacted_who, how, reason = (" ".join(x.split()) for x in (contacted_who, how, reason))
    if not (contacted_who and how and reason):
        raise InvalidRequest("no communication", "延期须先与异议申请单位沟通：请写明沟通对象、方式和原因。")
    bounded(contacted_who, Typed.NAME)
    bounded(how, Typed.NAME)
    bounded(reason, Typed.REASON)
    if contacted_at > now:
        raise InvalidRequest("communication in the future", "沟通时间不能晚于现在。")
    with write_transaction(ctx.db.sessions) as session:
        _, row = _row(session, case_id)
        clock = {Stage.APPLY.value: "apply", Stage.NOTIFY.value: "notify"}.get(row.stage)
        if clock is None:
            raise InvalidRequest("no running clock", f"第{case_id}号异议目前没有正在计时的办理期限。")
        if until <= now.date() or not ctx.calendar.is_workday(until):
            raise InvalidRequest("bad until", "延期后的期限应为今天以后的工作日。")
        made = Delay(clock, until, contacted_who, contacted_at, how, reason, by, now)
        row.delays = [*(row.delays or []), made.to_json()]
        note(session, case_id, actor=by, now=now,
             reason=f"异议办理延期至{until:%Y年%m月%d日}：{contacted_at:%m月%d日%H:%M}{how}与{contacted_who}沟通，{reason}")  # fmt: skip
    return made


def objections(ctx: ServiceContext, account: Account, *, open_only: bool = True) -> list[ObjectionView]:
    """The objections (open ones, or all), oldest first, for those who may read them."""
    require_read(account, Read.OBJECTIONS)
    with ctx.db.sessions() as session:
        query = select(Objection.case_id).order_by(Objection.received_on, Objection.case_id)
        if open_only:
            query = query.where(Objection.stage != Stage.DONE.value)
        ids = list(session.scalars(query))
    return [view(ctx, i) for i in ids]


def about(ctx: ServiceContext, original_case_id: int) -> list[tuple[int, Stage, Result | None]]:
    """The objections to a case's reply: (objection case, its stage, its result), for the case page."""
    with ctx.db.sessions() as session:
        return about_in(session, original_case_id)


def about_in(session: Session, original_case_id: int) -> list[tuple[int, Stage, Result | None]]:
    rows = session.scalars(select(Objection).where(Objection.original_case_id == original_case_id))
    return [(r.case_id, Stage(r.stage), Result(r.result) if r.result else None) for r in rows]


def verdicts_after_objections(
    session: Session, case_ids: list[int] | None = None
) -> dict[int, dict[str, tuple[str, int]]]:
    """For each replied case, the people whose result an objection's review changed:
    {case: {id_number: (verdict now, objection case)}}, the latest recorded result winning. What the
    case page and the reports count as the person's result from then on."""
    query = select(Objection).where(Objection.result.is_not(None), Objection.original_case_id.is_not(None))
    if case_ids is not None:
        query = query.where(Objection.original_case_id.in_(case_ids))
    out: dict[int, dict[str, tuple[str, int]]] = {}
    for row in session.scalars(query.order_by(Objection.result_received_on, Objection.case_id)):
        for person in row.result_people or []:
            if person.get("now") and person.get("now") != person.get("was"):
                assert row.original_case_id is not None
                out.setdefault(row.original_case_id, {})[person["id_number"]] = (person["now"], row.case_id)
    return out
