"""A scan is compared with its original item by item before its reply goes (pipeline.domain.comparison):
every header field and roster row, by a named person, from the console's grid or `letters review
compare`; a corrected value counts as compared; an approval settles none of it.

The office's letters here are text PDFs read *as scans* (`as_scans`): the flow under test starts after
reading, and a real OCR read costs seconds a page. Real scans reach `from_scan` in test_ocr,
test_photos_and_faxes and test_review_reasons.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.cases import review
from pipeline.cases.corrections import (
    Compared,
    Correction,
    LetterField,
    PersonField,
    PersonFix,
    apply_corrections,
    requested,
)
from pipeline.cli import main
from pipeline.domain import comparison
from pipeline.domain.letter import Letter
from pipeline.domain.reasons import ReasonCode
from pipeline.errors import ExitCode, InvalidRequest
from pipeline.extraction import CONFIRM_NAME, extract
from pipeline.storage import audit
from pipeline.storage.models import Case
from tests.builders.model_builder import build_document
from tests.builders.spec import LetterSpec
from tests.review_office import account, as_user, drop, state
from tests.service_letters import spec_for

TODAY = dt.date(2026, 11, 27)


def scan() -> Letter:
    return extract(build_document(LetterSpec(kind="public_institution"), source_type="ocr"), today=TODAY)


def compare(letter: Letter, *items: Correction, by: str = "王芳") -> list[str]:
    done, _ = apply_corrections(letter, requested(list(items)), TODAY, by=by, at="2026-11-27T10:00:00")
    return done


def test_every_field_and_row_of_a_scan_is_open_until_compared() -> None:
    letter = scan()
    left = comparison.open_items(letter)
    assert [i.field for i in left if i.field] == [f for f in comparison.FIELDS if getattr(letter, f)]
    assert [i.seq for i in left if i.seq] == list(range(1, len(letter.people) + 1))
    compare(letter, Compared(field=LetterField.UNIT), Compared(seq=2))
    after = comparison.open_items(letter)
    assert len(after) == len(left) - 2
    assert "unit" not in [i.field for i in after] and 2 not in [i.seq for i in after]


def test_rows_ocr_was_unsure_of_come_first() -> None:
    letter = scan()
    letter.people[2].confirm.append(CONFIRM_NAME)
    first = comparison.open_items(letter)[0]
    assert first.seq == 3 and first.unsure


def test_a_comparison_is_of_the_value_compared_and_a_changed_value_is_compared_again() -> None:
    letter = scan()
    compare(letter, Compared(seq=1))
    assert 1 not in [i.seq for i in comparison.open_items(letter)]
    letter.people[0].name = "王二"  # read again differently (a reprocess): not what was compared
    assert 1 in [i.seq for i in comparison.open_items(letter)]


def test_a_corrected_row_or_field_counts_as_compared_by_its_corrector() -> None:
    letter = scan()
    done = compare(letter, PersonFix(2, PersonField.ID_NUMBER, letter.people[1].id_number[:-1] + "0"))
    assert 2 not in [i.seq for i in comparison.open_items(letter)]
    assert any(text.startswith("对照原件核对：第2人") for text in done)
    (recorded,) = [c for c in letter.confirmed if c.code is ReasonCode.SCAN_CONFIRM]
    assert recorded.by == "王芳" and "*" in recorded.text  # the ID masked in what the audit keeps
    assert letter.people[1].id_number not in recorded.text


def test_a_deleted_row_above_keeps_the_comparisons_below() -> None:
    from pipeline.cases.corrections import DeleteRow

    letter = scan()
    last = letter.people[-1]
    compare(letter, Compared(seq=len(letter.people)), DeleteRow(1))
    assert len(letter.people) == len(scan().people) - 1
    assert letter.people[-1] is last and len(letter.people) not in [
        i.seq for i in comparison.open_items(letter)
    ]


def test_comparing_a_letter_that_is_no_scan_or_a_row_it_has_not_is_refused() -> None:
    text = extract(build_document(LetterSpec(kind="public_institution")), today=TODAY)
    with pytest.raises(InvalidRequest) as refused:
        compare(text, Compared(seq=1))
    assert "不是扫描件" in refused.value.message_zh
    with pytest.raises(InvalidRequest) as refused:
        compare(scan(), Compared(seq=99))
    assert "名单中没有第99人" in refused.value.message_zh
    with pytest.raises(InvalidRequest) as refused:
        Compared.named("contact")
    assert "不是序号或来函信息字段" in refused.value.message_zh


def _scan_case(office, n: int = 701) -> int:  # type: ignore[no-untyped-def]
    _, intake = office
    return drop(intake, f"scan-{n}.pdf", spec_for(n))


def test_an_approval_never_stands_in_for_the_comparison(office, as_scans) -> None:  # type: ignore[no-untyped-def]
    """Regression: a scan's confirmation was a two-click stamp (its reason settled by any approval)."""
    ctx, _ = office
    case_id = _scan_case(office)
    assert state(ctx, case_id) == "waiting_review"
    with pytest.raises(InvalidRequest):
        review.approve(ctx, case_id, account("李科长"), seen=review.reply_tag(ctx, case_id))
    assert state(ctx, case_id) == "waiting_review"


def test_a_scan_goes_out_once_every_item_is_compared_and_the_audit_says_what(
    office, as_scans, capsys
) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = office
    case_id = _scan_case(office)
    with ctx.db.sessions() as s:
        letter = s.get(Case, case_id).letter_json
    people = len(letter["people"])
    assert main(["review", "compare", str(case_id), "1", "unit", *as_user("王芳")]) == ExitCode.WAITING_REVIEW
    left = [r for r in review_reasons_of(ctx, case_id) if r.code is ReasonCode.SCAN_CONFIRM]
    assert left and f"第{2}人" in left[0].text
    assert main(["review", "show", str(case_id), *as_user("王芳")]) == 0
    assert "扫描件尚未对照原件核对" in capsys.readouterr().out
    rest = [str(n) for n in range(2, people + 1)] + [
        f for f in comparison.FIELDS if f != "unit" and letter.get(f)
    ]
    main(["review", "compare", str(case_id), *rest, *as_user("王芳")])
    assert not [r for r in review_reasons_of(ctx, case_id) if r.code is ReasonCode.SCAN_CONFIRM]
    with ctx.db.sessions() as s:
        events = [e.reason for e in audit.events_for(s, case_id)]
    said = [e for e in events if e.startswith("对照原件核对：")]
    assert len(said) == 2 and "第1人" in said[0] and "来函单位" in said[0]
    assert letter["people"][0]["id_number"] not in "".join(said)  # masked


def test_the_command_line_refuses_an_item_that_is_no_row_or_field(office, as_scans, capsys) -> None:  # type: ignore[no-untyped-def]
    case_id = _scan_case(office)
    assert main(["review", "compare", str(case_id), "联系人", *as_user("王芳")]) == 2
    assert "不是序号或来函信息字段" in capsys.readouterr().err


def review_reasons_of(ctx, case_id: int):  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        return s.get(Case, case_id).review_reasons()
