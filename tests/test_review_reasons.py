"""When a letter may be answered without a person: scans, OCR repairs, doubtful names, second reviews.

Reasons are typed: what settles one follows from its code, never from its wording.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipeline.cases.handling import reasons_now
from pipeline.cases.reasons import review_reasons
from pipeline.domain import comparison
from pipeline.domain.letter import Kind
from pipeline.domain.reasons import (
    Reason,
    ReasonCode,
    Settle,
    code_of,
    key_of,
    left_after_approval,
    second_review,
)
from pipeline.domain.result import CheckOutcome, PersonResult, Verdict
from pipeline.extraction import CONFIRM_ID_REPAIRED, extract
from pipeline.settings import load_settings
from tests.builders.model_builder import build_document
from tests.builders.spec import LetterSpec

NOW = dt.datetime(2026, 11, 27, 10, 0)


def clean_outcome(letter, verdict=Verdict.CLEAR) -> CheckOutcome:
    results = [PersonResult(i, p.name, p.id_number, verdict) for i, p in enumerate(letter.people, 1)]
    return CheckOutcome(NOW, results, [])


def settings(**kw):
    return load_settings(env={}, **kw)


def scanned_letter(kind="public_institution"):
    doc = build_document(LetterSpec(kind=kind), source_type="ocr")
    return extract(doc, today=NOW.date())


def approvable(reasons: list[Reason]) -> bool:
    return bool(reasons) and not left_after_approval(reasons)


def test_text_letter_with_clear_results_needs_nobody():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    assert reasons_now(letter, clean_outcome(letter), settings(), NOW) == []


def test_scanned_letter_waits_for_every_item_compared_by_default():
    """Regression: a scan's confirmation was one approval of the whole letter, a two-click stamp; each
    header field and row is now compared with the original, and an approval settles none of it."""
    letter = scanned_letter()
    assert letter.from_scan and "来自扫描件" in letter.notes
    reasons = reasons_now(letter, clean_outcome(letter), settings(), NOW)
    assert [r.code for r in reasons] == [ReasonCode.SCAN_CONFIRM]
    left = len(letter.people) + sum(1 for f in comparison.FIELDS if getattr(letter, f))
    assert f"尚有{left}项未核对" in reasons[0].text
    assert not approvable(reasons)


def test_clean_scan_may_be_answered_when_the_setting_allows():
    letter = scanned_letter()
    assert reasons_now(letter, clean_outcome(letter), settings(ocr_auto_answer=True), NOW) == []


def test_repaired_id_always_waits_even_with_auto_answer():
    letter = scanned_letter()
    letter.people[1].confirm.append(CONFIRM_ID_REPAIRED)
    reasons = reasons_now(letter, clean_outcome(letter), settings(ocr_auto_answer=True), NOW)
    assert [(r.code, r.seq) for r in reasons] == [(ReasonCode.PERSON_CONFIRM, 2)]
    assert reasons[0].text.startswith("第2人") and approvable(reasons)


def test_hit_on_civil_servant_query_needs_second_review():
    letter = extract(build_document(LetterSpec()), today=NOW.date())
    assert letter.kind == Kind.CIVIL_SERVANT
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.LISTED
    reasons = reasons_now(letter, outcome, settings(), NOW)
    assert [(r.code, r.seq) for r in reasons] == [(ReasonCode.SECOND_REVIEW, 1)]
    assert approvable(reasons) and second_review(reasons) == reasons


def test_hit_on_institution_query_is_answered():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.LISTED
    assert reasons_now(letter, outcome, settings(), NOW) == []


def test_possible_and_mismatch_are_not_settled_by_approval_alone():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.POSSIBLE
    outcome.results[1].verdict = Verdict.NAME_MISMATCH
    reasons = review_reasons(letter, outcome)
    assert [r.code for r in reasons] == [ReasonCode.POSSIBLE, ReasonCode.NAME_MISMATCH]
    assert all(r.settled_by is Settle.DECISION for r in reasons) and not approvable(reasons)


def test_rewording_a_reason_does_not_change_who_may_settle_it():
    """Regression: approval was decided by `reason.endswith(<Chinese text>)`; now by the code alone."""
    letter = extract(build_document(LetterSpec()), today=NOW.date())
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.LISTED
    (reason,) = review_reasons(letter, outcome)
    reworded = dataclasses.replace(reason, text="第1人：请再复核一次")
    assert approvable([reworded]) and second_review([reworded]) == [reworded]
    problem = dataclasses.replace(reason, code=ReasonCode.ID_INVALID)  # same text, another code
    assert not approvable([problem]) and problem.settled_by is Settle.CORRECTION


def test_reasons_survive_storage_as_json():
    reasons = [
        Reason(ReasonCode.COUNT_MISMATCH, "来函写明共4人，但名单中识别到3人"),
        Reason(ReasonCode.POSSIBLE, "x", 2),
    ]
    assert [Reason.from_json(r.to_json()) for r in reasons] == reasons
    assert (
        Reason.from_json("旧版本保存的原因").settled_by is not Settle.APPROVAL
    )  # never approvable by accident


def test_every_code_says_what_settles_it():
    for code in ReasonCode:
        assert isinstance(code.settled_by, Settle)
    assert ReasonCode.COUNT_MISMATCH.settled_by is Settle.CONFIRMATION
    assert ReasonCode.SEQ_GAP.settled_by is Settle.CONFIRMATION
    assert ReasonCode.ID_INVALID.settled_by is Settle.CORRECTION


def test_a_confirmation_outlives_a_rewording_and_never_covers_another_finding() -> None:
    """Regression: a confirmation matched the problem's exact Chinese text, so rewording a problem
    voided every stored confirmation of it; it is keyed by what was found (共4人, 3 listed)."""
    from pipeline.contract import letter_from_json, letter_to_json
    from pipeline.domain.letter import Letter, Person
    from pipeline.domain.reasons import Confirmation, Problem
    from pipeline.extraction.validation import revalidate

    letter = Letter(
        people=[Person(name="王芳", id_number=""), Person(name="李娜", id_number="")], stated_count=3
    )
    revalidate(letter, dt.date(2026, 6, 4))
    (found,) = [p for p in letter.problems if code_of(p) is ReasonCode.COUNT_MISMATCH]
    confirmed = Confirmation(
        ReasonCode.COUNT_MISMATCH,
        "旧版本的措辞：人数不符",
        "王芳（wangfang）",
        "2026-06-04T10:00",
        key_of(found),
    )
    letter.confirmed.append(confirmed)

    stored = letter_from_json(letter_to_json(letter))  # the key survives the case store
    (again,) = [p for p in stored.problems if code_of(p) is ReasonCode.COUNT_MISMATCH]
    assert stored.confirmed == [confirmed] and confirmed.covers(again)
    reworded = Problem("人数对不上", ReasonCode.COUNT_MISMATCH, key_of(again))
    assert confirmed.covers(reworded)
    assert not confirmed.covers(Problem(str(again), ReasonCode.COUNT_MISMATCH, "5/2"))  # another finding
    assert not confirmed.covers(Problem(str(again), ReasonCode.SEQ_GAP, key_of(again)))  # another check
    before_keys = Confirmation(ReasonCode.COUNT_MISMATCH, str(again), "王芳（wangfang）", "2026-06-04T10:00")
    assert before_keys.covers(again) and not before_keys.covers(reworded)  # stored before keys: the text


def test_a_doubt_quoting_a_value_goes_when_the_clerk_corrects_that_value() -> None:
    """Regression: 姓名识别置信度较低 stayed on a row after the clerk had typed the name from the
    original; the doubt goes with the value it quoted, and only with that one."""
    from pipeline.cases.corrections import PersonField, PersonFix, apply_corrections
    from pipeline.cases.corrections import requested as asked
    from pipeline.domain.letter import Letter, Person
    from pipeline.extraction import CONFIRM_NAME

    person = Person(name="王芳", id_number="11010519491231002X", confirm=[CONFIRM_NAME, CONFIRM_ID_REPAIRED])
    letter = Letter(people=[person])
    apply_corrections(letter, asked([PersonFix(1, PersonField.NAME, "王芳")]), dt.date(2026, 6, 4))
    assert letter.people[0].confirm == [CONFIRM_ID_REPAIRED]  # the repaired ID still wants a look
    apply_corrections(
        letter, asked([PersonFix(1, PersonField.ID_NUMBER, "11010519491231002X")]), dt.date(2026, 6, 4)
    )
    assert letter.people[0].confirm == []
