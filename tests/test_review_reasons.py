"""When a letter may be answered without a person: scans, OCR repairs, doubtful names, second reviews."""

from __future__ import annotations

import datetime as dt

from pipeline.domain.letter import Kind
from pipeline.domain.result import CheckOutcome, PersonResult, Verdict
from pipeline.extraction import CONFIRM_ID_REPAIRED, extract
from pipeline.process import SCAN_CONFIRM, SECOND_REVIEW, approvable, review_reasons
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


def test_text_letter_with_clear_results_needs_nobody():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    assert review_reasons(letter, clean_outcome(letter), settings()) == []


def test_scanned_letter_waits_for_confirmation_by_default():
    letter = scanned_letter()
    assert letter.from_scan and "来自扫描件" in letter.notes
    reasons = review_reasons(letter, clean_outcome(letter), settings())
    assert reasons == [SCAN_CONFIRM]
    assert all(approvable(r) for r in reasons)


def test_clean_scan_may_be_answered_when_the_setting_allows():
    letter = scanned_letter()
    assert review_reasons(letter, clean_outcome(letter), settings(ocr_auto_answer=True)) == []


def test_repaired_id_always_waits_even_with_auto_answer():
    letter = scanned_letter()
    letter.people[1].confirm.append(CONFIRM_ID_REPAIRED)
    reasons = review_reasons(letter, clean_outcome(letter), settings(ocr_auto_answer=True))
    assert len(reasons) == 1 and reasons[0].startswith("第2人") and approvable(reasons[0])


def test_hit_on_civil_servant_query_needs_second_review():
    letter = extract(build_document(LetterSpec()), today=NOW.date())
    assert letter.kind == Kind.CIVIL_SERVANT
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.LISTED
    reasons = review_reasons(letter, outcome, settings())
    assert len(reasons) == 1 and reasons[0].endswith(SECOND_REVIEW) and approvable(reasons[0])


def test_hit_on_institution_query_is_answered():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.LISTED
    assert review_reasons(letter, outcome, settings()) == []


def test_possible_and_mismatch_are_not_settled_by_approval_alone():
    letter = extract(build_document(LetterSpec(kind="public_institution")), today=NOW.date())
    outcome = clean_outcome(letter)
    outcome.results[0].verdict = Verdict.POSSIBLE
    outcome.results[1].verdict = Verdict.NAME_MISMATCH
    reasons = review_reasons(letter, outcome, settings())
    assert len(reasons) == 2 and not any(approvable(r) for r in reasons)
