"""One case: the letter's fields, why it waits, the roster with its verdicts, and the actions.

Every action is a POST with a CSRF token that calls the case core with the
signed-in account; the core decides what that account may do. Viewing a
case's personal data is an audit event.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from pipeline.cases import actions, drafts, holds, requests, review, routing, viewing
from pipeline.cases import attach as attaching
from pipeline.cases import reprocess as reprocessing
from pipeline.cases.case_page import case_page
from pipeline.cases.corrections import (
    AddRow,
    Compared,
    Correction,
    DeleteRow,
    FieldFix,
    LetterField,
    PersonField,
    PersonFix,
    VerdictDecision,
    roster_rules,
)
from pipeline.cases.queue import handed_over, next_case
from pipeline.domain.reasons import Settle
from pipeline.domain.result import Verdict
from pipeline.errors import CaseNotFound, InvalidRequest
from pipeline.storage import write_transaction
from pipeline.web.auth import me
from pipeline.web.heavy import heavy
from pipeline.web.pages import boxes as original_boxes
from pipeline.web.pages import page_count as original_pages
from pipeline.web.pages import (
    page_image,
    preview_image,
    refused,
    render_preview,
    sent_image,
    sent_pages,
)
from pipeline.web.state import context

blueprint = Blueprint("case", __name__, url_prefix="/cases")
MAX_ROWS = 5000  # a roster the rules check in one request


@blueprint.route("/<int:case_id>")
@login_required
def show(case_id: int):  # type: ignore[no-untyped-def]
    ctx = context()
    # One read of the case core: the look recorded (全程留痕), a waiting case taken for this person
    # (others see it read-only), and the buttons as the core's answer, never restated here.
    view = case_page(ctx, case_id, me())  # looking takes nothing: a claim or a first edit does
    detail = view.detail
    pages = original_pages(ctx, case_id)
    not_shown = refused(ctx, case_id) if pages == 0 else None
    sent = sent_pages(ctx, case_id) if detail.state == "replied" else 0
    return render_template(
        "case.html", case=detail, deadline=view.deadline, Settle=Settle, Verdict=Verdict, Action=actions.Action,
        allowed=view.allowed, why_not=view.why_not, pages=pages, boxes=original_boxes(ctx, case_id, detail.letter_json),
        held_by=view.held_by, draft=view.draft, spot=view.spot, objected=view.objections, sent=sent,
        not_shown=not_shown,
    )  # fmt: skip


@blueprint.route("/<int:case_id>/pages/<int:number>")
@login_required
@heavy
def page(case_id: int, number: int):  # type: ignore[no-untyped-def]
    viewing.see(context(), case_id, me(), viewing.original_page(number))
    found = page_image(context(), case_id, number)
    return _page(found[0] if found else None, f"no page {number} of case {case_id}", "找不到该页。",
                 found[1] if found else "image/png")  # fmt: skip


def _page(found: Path | None, missing: str, missing_zh: str, mimetype: str = "image/png"):  # type: ignore[no-untyped-def]
    """A page image of personal data: sent, never kept by the browser."""
    if found is None:
        raise CaseNotFound(missing, missing_zh)
    response = send_file(found, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _done(case_id: int, result: review.ReviewResult):  # type: ignore[no-untyped-def]
    if result.state == "replied":  # sent: on to the next case that is this person's move
        return _on_to_next(
            case_id, f"第{case_id}号案件已生成复函：{result.reply_doc_number}（已放入发件箱）。"
        )
    if handed_over(context(), case_id, me()):  # submitted for the reviewer: likewise
        return _on_to_next(
            case_id, f"第{case_id}号案件已保存并提交复核（列入“待二次复审”，由复核人员预览后发出）。"
        )
    flash("已保存并重新核查。" + "；".join(r.text for r in result.reasons), "warn")
    return redirect(url_for("case.show", case_id=case_id))


def _on_to_next(case_id: int, said: str):  # type: ignore[no-untyped-def]
    """Open the next case that is this person's move, the way review tools do (保存并下一件)."""
    following = next_case(context(), me(), after=case_id)
    more = f"已打开下一件：第{following}号。" if following else "待办列表中已没有您可以办理的来函。"
    flash(said + more, "ok")
    return redirect(url_for("case.show", case_id=following) if following else url_for("queue.index"))


@blueprint.route("/<int:case_id>/approve", methods=["POST"])
@login_required
def approve(case_id: int):  # type: ignore[no-untyped-def]
    """Release exactly the reply previewed: refused if the case changed since (the preview's tag)."""
    return _done(case_id, review.approve(context(), case_id, me(), seen=request.form.get("seen", "")))


def _verdict(value: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        raise InvalidRequest(f"bad verdict {value!r}", "核实结论无效。") from None


@blueprint.route("/<int:case_id>/correct", methods=["POST"])
@login_required
def correct(case_id: int):  # type: ignore[no-untyped-def]
    """The form holds every field and person; only what the clerk changed becomes a correction."""
    form = request.form
    items: list[Correction] = []
    deleted = {int(seq) for seq in form.getlist("delete") if seq.isdigit()}
    for letter_field in LetterField:
        typed = form.get(letter_field.value)
        if typed is not None and typed.strip() != form.get(f"was_{letter_field.value}", "").strip():
            items.append(FieldFix(letter_field, typed.strip()))
    for key, value in form.items():
        seq, _, attr = key.partition(".")
        if not seq.isdigit() or int(seq) in deleted:
            continue
        if attr in PersonField.__members__.values() and value.strip() != form.get(f"was_{key}", "").strip():
            items.append(PersonFix(int(seq), PersonField(attr), value.strip()))
        elif attr == "result" and value:
            items.append(VerdictDecision(int(seq), _verdict(value)))
    items.extend(DeleteRow(seq) for seq in sorted(deleted))
    # A scan's rows (序号) and header fields, compared with the original (the core passes over a row
    # deleted in the same request).
    items.extend(map(Compared.named, form.getlist("compared")))
    for name, number in zip(form.getlist("add.name"), form.getlist("add.id_number"), strict=False):
        if name.strip() or number.strip():
            items.append(AddRow(name.strip(), number.strip()))
    if not items:
        flash("没有修改任何内容。", "warn")
        return redirect(url_for("case.show", case_id=case_id))
    return _done(case_id, review.correct(context(), case_id, items, me()))


@blueprint.route("/<int:case_id>/draft", methods=["POST"])
@login_required
def save_draft(case_id: int):  # type: ignore[no-untyped-def]
    """The form as the clerk left it (JSON, CSRF token in the header); saving keeps the case held."""
    saved = drafts.save_draft(context(), case_id, me(), request.get_json(silent=True))
    return jsonify({"ok": True, "saved_at": f"{saved.saved_at:%H:%M:%S}"})


@blueprint.route("/<int:case_id>/draft/discard", methods=["POST"])
@login_required
def discard_draft(case_id: int):  # type: ignore[no-untyped-def]
    if drafts.discard_draft(context(), case_id, me()):
        flash("草稿已放弃，已恢复为案件当前保存的内容。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/rules", methods=["POST"])
@login_required
@heavy
def rules(case_id: int):  # type: ignore[no-untyped-def]
    """The roster's rules for rows as the clerk types them (nothing stored): what submit will say."""
    rows = (request.get_json(silent=True) or {}).get("rows")
    if (
        not isinstance(rows, list)
        or len(rows) > MAX_ROWS
        or not all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(v, str) and len(v) < 200 for v in r)
            for r in rows
        )
    ):
        raise InvalidRequest("bad rows", "名单内容格式无效。")
    checked = roster_rules([(n, i) for n, i in rows], dt.date.today())
    response = jsonify({"rows": [
        {"name": r.name, "id_number": r.id_number, "problems": r.problems, "notes": r.notes, "same_id_as": r.same_id_as,
         "same_id_count": r.same_id_count}
        for r in checked
    ]})  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/<int:case_id>/confirm", methods=["POST"])
@login_required
def confirm(case_id: int):  # type: ignore[no-untyped-def]
    return _done(case_id, review.confirm(context(), case_id, request.form.getlist("code"), me()))


@blueprint.route("/<int:case_id>/claim", methods=["POST"])
@login_required
def claim(case_id: int):  # type: ignore[no-untyped-def]
    holds.claim(context(), case_id, me())
    flash("已领取本案件，其他人员暂为只读。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/unclaim", methods=["POST"])
@login_required
def unclaim(case_id: int):  # type: ignore[no-untyped-def]
    was = holds.release_claim(context(), case_id, me())
    flash(f"已释放本案件（原由{was}领取）。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/handback", methods=["POST"])
@login_required
def handback(case_id: int):  # type: ignore[no-untyped-def]
    if holds.hand_back(context(), case_id, me()):
        flash("已放弃领取，其他人员可以办理本案件。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/delay", methods=["POST"])
@login_required
def delay(case_id: int):  # type: ignore[no-untyped-def]
    """延期: a new due date agreed with the sender, with the reason."""
    ctx = context()
    try:
        until = dt.date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        raise InvalidRequest("bad date", "请填写新的办理期限（日期）。") from None
    with write_transaction(ctx.db.sessions) as session:
        requests.delay(session, ctx.calendar, case_id, until=until, reason=request.form.get("reason", ""),
                       account=me())  # fmt: skip
    flash(f"办理期限已延至{until:%Y年%m月%d日}。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/close", methods=["POST"])
@login_required
def close(case_id: int):  # type: ignore[no-untyped-def]
    """A failed or duplicate file owes no reply: closed by the signed-in clerk with the reason."""
    ctx = context()
    with write_transaction(ctx.db.sessions) as session:
        requests.close(session, case_id, reason=request.form.get("reason", ""), account=me())
    flash("案件已关闭。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/reprocess", methods=["POST"])
@login_required
def reprocess(case_id: int):  # type: ignore[no-untyped-def]
    """重新处理 a failed file (after a fix) from its archived original: the same case, the same due date."""
    reprocessing.reprocess(context(), case_id, me())
    flash("已交由收件箱服务重新处理（收件箱服务未运行时，将在其启动后处理），请稍后刷新查看结果。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/attach", methods=["POST"])
@login_required
def attach(case_id: int):  # type: ignore[no-untyped-def]
    """附到来函: this loose roster joins the letter of the case the clerk names; the letter is read again."""
    raw = request.form.get("letter", "").strip().lstrip("第").rstrip("号")
    if not raw.isdigit():
        raise InvalidRequest(f"letter case {raw!r}", "请填写来函所在案件的案件号（数字）。")
    letter = int(raw)
    attaching.attach_roster(context(), case_id, letter, me())
    flash(f"名单已附到第{letter}号案件的来函，已交由收件箱服务重新办理。", "ok")
    return redirect(url_for("case.show", case_id=letter))


@blueprint.route("/<int:case_id>/route", methods=["POST"])
@login_required
def route(case_id: int):  # type: ignore[no-untyped-def]
    """退回 / 转办 a letter this office should not answer: a clerk's decision, with where it belongs."""
    form = request.form
    number = routing.route(
        context(), case_id, me(), action=form.get("action", ""), target=form.get("target", ""),
        reason=form.get("reason", ""),
    )  # fmt: skip
    flash(f"已生成{routing.ACTIONS.get(form.get('action', ''), '')}函：{number}（已放入发件箱）。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/again", methods=["POST"])
@login_required
def again(case_id: int):  # type: ignore[no-untyped-def]
    """再次答复 a duplicate, on the clerk's word and reason (the sender's reply went astray)."""
    reprocessing.answer_again(context(), case_id, me(), request.form.get("reason", ""))
    flash("已交由收件箱服务作为新的来函办理，请稍后刷新查看结果。", "ok")
    return redirect(url_for("case.show", case_id=case_id))


@blueprint.route("/<int:case_id>/sent/<int:number>")
@login_required
@heavy
def sent_page(case_id: int, number: int):  # type: ignore[no-untyped-def]
    viewing.see(context(), case_id, me(), viewing.sent_page(number))
    found = sent_image(context(), case_id, number)
    return _page(found, f"no sent page {number} of case {case_id}", "找不到该页。")


@blueprint.route("/<int:case_id>/preview")
@login_required
@heavy
def preview(case_id: int):  # type: ignore[no-untyped-def]
    """The exact reply a release sends (its 文号 is given on release), as page images."""
    ctx = context()
    pages, tag = render_preview(ctx, case_id, me())  # the case core records the look at the reply
    view = case_page(ctx, case_id, me(), look=None)  # the look was recorded above; who may send: the core
    return render_template(
        "preview.html",
        case=view.detail,
        pages=pages,
        tag=tag,
        not_yours=view.why_not.get(actions.Action.RELEASE),
    )


@blueprint.route("/<int:case_id>/preview/<int:number>")
@login_required
@heavy
def preview_page(case_id: int, number: int):  # type: ignore[no-untyped-def]
    viewing.see(context(), case_id, me(), viewing.preview_page(number))
    found = preview_image(context(), case_id, number)
    return _page(found, f"no preview page {number} of case {case_id}", "找不到该页，请重新打开预览。")
