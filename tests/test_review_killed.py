"""kill -9 of `review correct` after it took the case: the correction is resumed, not lost, and the
letter is never read again (it was failed as 来函文件在归档前已被移走或替换, or re-extracted)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.cases import claims, review
from pipeline.cases.instances import recover
from pipeline.commands.fields import parse_fields
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.models import Case
from tests.builders.spec import bad_check_digit
from tests.review_office import account, die_claims, drop, state
from tests.service_letters import spec_for


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even the review's own error handling."""


@pytest.mark.slow
def test_a_review_killed_before_its_reply_resumes_with_its_correction(office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    ctx.settings.review_preview = False  # an office whose corrections answer at once (the reply is made here)
    spec = spec_for(191)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "bad-id.pdf", spec)
    assert state(ctx, case_id) == "waiting_review"

    def die(*_a, **_k):  # type: ignore[no-untyped-def]
        raise Killed

    monkeypatch.setattr(review, "stage_reply", die)
    monkeypatch.setattr(claims, "end_claim", lambda *_a: None)  # a killed process ends nothing
    with pytest.raises(Killed):
        review.correct(ctx, case_id, parse_fields([f"2.id_number={good}"]), account("王芳"))
    assert state(ctx, case_id) == "processing"
    monkeypatch.undo()

    recover(ctx.db, "the-next-watcher")
    assert state(ctx, case_id) == "processing"  # its process (this one) still runs: never taken back
    die_claims(ctx)
    recover(ctx.db, "the-next-watcher")  # the watcher's rescan finds the review's process dead
    assert state(ctx, case_id) == "waiting_review"  # back to a person, never re-read from the file
    with ctx.db.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.letter_json["people"][1]["id_number"] == good  # kept
        reasons = [e.reason for e in s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))]
    assert any(r.startswith("人工更正") for r in reasons) and any(r.startswith("复核中断") for r in reasons)
    assert (
        review.approve(ctx, case_id, account("王芳"), seen=review.reply_tag(ctx, case_id)).state.value
        == "replied"
    )
