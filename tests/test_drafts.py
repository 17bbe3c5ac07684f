"""A clerk's draft of a waiting case: kept, shaped, held, and gone once submitted."""

from __future__ import annotations

import pytest

from pipeline.cases import drafts, holds, review
from pipeline.commands.fields import parse_fields
from pipeline.errors import InvalidRequest, NotAllowed
from pipeline.storage import audit
from tests.builders.spec import bad_check_digit
from tests.review_office import account, drop, state
from tests.service_letters import spec_for


@pytest.fixture
def waiting(office):  # type: ignore[no-untyped-def]
    ctx, service = office
    spec = spec_for(21)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    return ctx, drop(service, "draft.docx", spec), good


def test_a_draft_is_kept_and_submitting_removes_it(waiting) -> None:  # type: ignore[no-untyped-def]
    ctx, case_id, good = waiting
    body = {
        "fields": {"2.id_number": good},
        "deleted": [],
        "added": [["张三", "1101"]],
        "results": {},
        "compared": [],
    }
    saved = drafts.save_draft(ctx, case_id, account("王芳"), body)
    kept = drafts.load_draft(ctx, case_id)
    assert kept is not None and kept.body == body and kept.saved_by == saved.saved_by == "王芳（wangfang）"
    assert holds.hold(ctx, case_id, account("赵处长")) == "王芳（wangfang）"  # saving holds the case
    review.correct(ctx, case_id, parse_fields([f"2.id_number={good}"]), account("王芳"))
    assert drafts.load_draft(ctx, case_id) is None
    assert state(ctx, case_id) == "waiting_review"  # held for a release, nothing sent


def test_a_draft_is_refused_to_others_and_of_the_wrong_shape(waiting) -> None:  # type: ignore[no-untyped-def]
    ctx, case_id, _ = waiting
    drafts.save_draft(ctx, case_id, account("王芳"), {"fields": {"unit": "甲"}})
    with pytest.raises(InvalidRequest, match="held by"):
        drafts.save_draft(ctx, case_id, account("赵处长"), {"fields": {"unit": "乙"}})
    with pytest.raises(NotAllowed):
        drafts.save_draft(ctx, case_id, account("周复核"), {"fields": {}})  # a reviewer corrects nothing
    for bad in ({"script": "x"}, {"fields": {"unit": 3}}, {"added": [["only"]]}, {"deleted": ["1"]}, []):
        with pytest.raises(InvalidRequest):
            drafts.save_draft(ctx, case_id, account("王芳"), bad)
    with pytest.raises(InvalidRequest, match="too large"):
        drafts.save_draft(ctx, case_id, account("王芳"), {"fields": {"unit": "甲" * 200_000}})
    assert drafts.load_draft(ctx, case_id).body["fields"] == {"unit": "甲"}  # type: ignore[union-attr]


def test_discarding_a_draft_is_audited(waiting) -> None:  # type: ignore[no-untyped-def]
    ctx, case_id, _ = waiting
    drafts.save_draft(ctx, case_id, account("王芳"), {"fields": {"unit": "甲"}})
    assert drafts.discard_draft(ctx, case_id, account("王芳")) is True
    assert drafts.load_draft(ctx, case_id) is None
    assert drafts.discard_draft(ctx, case_id, account("王芳")) is False
    with ctx.db.sessions() as s:
        assert any(e.reason == "放弃草稿（王芳（wangfang）保存）" for e in audit.events_for(s, case_id))


def test_a_name_with_a_comma_added_in_the_console_stays_one_name(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: the console wrote its form as CLI syntax (`add=姓名,号码`) for the core to parse
    back, so a name with a comma in it was cut; corrections now travel as typed values."""
    from pipeline.storage.models import Case
    from tests.test_web_pages import Desk

    ctx, service, app = web
    spec = spec_for(22)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "comma.docx", spec)
    added = spec_for(23).people[0][1]
    done = Desk(app, "wangfang").post(
        f"/cases/{case_id}/correct", **{"2.id_number": good, "was_2.id_number": "", "add.name": "阿卜杜,热合曼",
                                        "add.id_number": added}
    )  # fmt: skip
    assert done.status_code == 302
    with ctx.db.sessions() as s:
        people = s.get(Case, case_id).letter_json["people"]  # type: ignore[union-attr]
    assert people[-1]["name"] == "阿卜杜,热合曼" and people[-1]["id_number"] == added
