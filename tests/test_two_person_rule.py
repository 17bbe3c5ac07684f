"""The two-person rule holds against corrections: the second review is decided by what a case has been.

Found attacking the console as a dishonest clerk would: a clerk alone changed the ID of a listed
civil-servant candidate to another valid number (…33554 → …33562), or changed 查询类别 to 事业单位聘用,
and released a reply saying the blacklisted person is not listed, with no reviewer and no spot check.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cases import review
from pipeline.cli import main
from pipeline.commands.fields import parse_fields
from pipeline.errors import LettersError
from pipeline.storage.case_models import SpotCheck
from pipeline.storage.models import Case
from tests.review_office import account, as_user, drop, seen, state
from tests.service_letters import LISTED, person, spec_for


def _case(ctx, case_id: int) -> Case:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def _answered(ctx, case_id: int) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    """(name, ID) -> verdict, as the reply that went out answers each person."""
    return {(r["name"], r["id_number"]): r["verdict"] for r in _case(ctx, case_id).check_json["results"]}


def _reasons(ctx, case_id: int) -> str:  # type: ignore[no-untyped-def]
    return "；".join(r.text for r in _case(ctx, case_id).review_reasons())


def _drawn(ctx, case_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        spot = s.get(SpotCheck, case_id)
        return spot.rule if spot else None


OTHER_VALID_ID = person(9_901)[1]  # a valid number of somebody who is not listed


def test_a_clerk_alone_cannot_clear_a_listed_candidate_by_correcting_the_id_cli(office, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = drop(service, "hit.docx", spec_for(41, kind="civil_servant", hit=True))
    assert state(ctx, case_id) == "waiting_review"
    fix = ["review", "correct", str(case_id), "--field", f"1.id_number={OTHER_VALID_ID}"]
    assert main([*fix, *as_user("王芳")]) == 10  # waits: never replied on the clerk's word
    assert state(ctx, case_id) == "waiting_review"
    reasons = _reasons(ctx, case_id)
    assert "更正人以外的复核人员" in reasons and "身份证号码" in reasons
    assert "更正前核查：失信联合惩戒对象" in reasons and "失信被执行人" in reasons  # the matched record
    assert "19760724" not in reasons  # IDs masked on the reason
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    shown = capsys.readouterr().out
    assert "更正前后对照" in shown and "第1人身份证号码" in shown and LISTED[1] not in shown  # masked
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) != 0  # the corrector, and no 复核
    assert main(["review", "approve", str(case_id), *as_user("赵处长")]) != 0  # another clerk, no 复核
    assert state(ctx, case_id) == "waiting_review" and not list(service.folders.outbox.iterdir())
    # The reviewer sees the change beside the original reading, puts the ID back and releases the right reply.
    undo = ["review", "correct", str(case_id), "--field", f"1.id_number={LISTED[1]}"]
    assert main([*undo, *as_user("李科长")]) == 10
    assert main(["review", "approve", str(case_id), *as_user("李科长"), *seen(ctx, case_id)]) == 0
    assert state(ctx, case_id) == "replied"
    assert _answered(ctx, case_id)[LISTED] == "listed"
    assert _drawn(ctx, case_id) is not None  # a hit, and an ID changed: drawn for 抽查抽检


def test_a_clerk_alone_cannot_release_a_civil_servant_hit_as_public_institution_cli(office, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = drop(service, "hit-kind.docx", spec_for(42, kind="civil_servant", hit=True))
    kind = ["review", "correct", str(case_id), "--field", "kind=public_institution"]
    assert main([*kind, *as_user("王芳")]) == 10
    assert "查询类别" in _reasons(ctx, case_id) and "公务员录用、调任" in _reasons(ctx, case_id)
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) != 0
    assert main(["review", "approve", str(case_id), *as_user("赵处长")]) != 0
    assert state(ctx, case_id) == "waiting_review"
    back = ["review", "correct", str(case_id), "--field", "kind=civil_servant"]
    assert main([*back, *as_user("李科长")]) == 10  # still a civil-servant hit: 二次复审
    assert main(["review", "approve", str(case_id), *as_user("李科长"), *seen(ctx, case_id)]) == 0
    case = _case(ctx, case_id)
    assert case.state == "replied" and case.kind == "civil_servant"
    assert _answered(ctx, case_id)[LISTED] == "listed"


def test_a_reviewer_may_approve_a_clerks_correction_after_seeing_it(office) -> None:  # type: ignore[no-untyped-def]
    """The reviewer decides: the rule is that a second person looks, not that a correction is wrong."""
    ctx, service = office
    case_id = drop(service, "hit-ok.docx", spec_for(43, kind="civil_servant", hit=True))
    review.correct(
        ctx, case_id, parse_fields([f"1.name={LISTED[0]}"]), account("王芳")
    )  # no change: nothing to review
    review.correct(ctx, case_id, parse_fields(["2.name=钱七"]), account("王芳"))
    with pytest.raises(LettersError):
        review.approve(ctx, case_id, account("王芳"), seen=review.reply_tag(ctx, case_id))
    assert (
        review.approve(ctx, case_id, account("周复核"), seen=review.reply_tag(ctx, case_id)).state.value
        == "replied"
    )
    assert _drawn(ctx, case_id) is not None


def test_a_corrected_name_on_a_clear_letter_is_drawn_for_spot_check(office) -> None:  # type: ignore[no-untyped-def]
    from tests.builders.spec import bad_check_digit

    ctx, service = office
    spec = spec_for(44)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "bad.docx", spec)
    assert (
        review.correct(ctx, case_id, parse_fields([f"2.id_number={good}"]), account("王芳")).state.value
        == "waiting_review"
    )
    assert (
        review.approve(ctx, case_id, account("王芳"), seen=review.reply_tag(ctx, case_id)).state == "replied"
    )
    assert "人工更正了姓名、身份证号码或查询类别" in (_drawn(ctx, case_id) or "")


# One account (a clerk who is also a 复核) tries every sequence of corrections and approvals.
OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("id"), st.integers(1, 3), st.sampled_from([LISTED[1], OTHER_VALID_ID, person(9_902)[1]])
        ),
        st.tuples(st.just("name"), st.integers(1, 3), st.sampled_from([LISTED[0], "赵陆", "钱七"])),
        st.tuples(st.just("kind"), st.sampled_from(["civil_servant", "public_institution"])),
        st.tuples(st.just("delete"), st.integers(1, 3)),
        st.tuples(st.just("add"), st.sampled_from([person(9_903), LISTED])),
        st.tuples(st.just("result"), st.integers(1, 3), st.sampled_from(["clear", "not_checked"])),
        st.tuples(st.just("approve")),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, kind=st.sampled_from(["civil_servant", "public_institution"]))
def test_no_sequence_of_corrections_by_one_account_answers_a_listed_person_not_listed(
    office, ops, kind
) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    _test_no_sequence.n += 1
    case_id = drop(
        service, f"p{_test_no_sequence.n}.docx", spec_for(500 + _test_no_sequence.n, kind=kind, hit=True)
    )
    one = account("李科长")
    for op in ops:
        if state(ctx, case_id) != "waiting_review":
            break
        try:
            if op[0] == "approve":
                review.approve(ctx, case_id, one, seen=review.reply_tag(ctx, case_id))
            elif op[0] == "kind":
                review.correct(ctx, case_id, parse_fields([f"kind={op[1]}"]), one)
            elif op[0] == "delete":
                review.correct(ctx, case_id, parse_fields([f"delete={op[1]}"]), one)
            elif op[0] == "add":
                review.correct(ctx, case_id, parse_fields([f"add={op[1][0]},{op[1][1]}"]), one)
            elif op[0] == "result":
                review.correct(ctx, case_id, parse_fields([f"{op[1]}.result={op[2]}"]), one)
            else:
                field = "id_number" if op[0] == "id" else "name"
                review.correct(ctx, case_id, parse_fields([f"{op[1]}.{field}={op[2]}"]), one)
        except LettersError:
            continue
    if state(ctx, case_id) == "replied":
        assert _answered(ctx, case_id).get(LISTED) == "listed", ops


class _test_no_sequence:  # a counter: every example drops a letter of its own
    n = 0
