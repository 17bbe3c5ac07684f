"""港澳台居民居住证 and 外国人永久居留身份证 numbers: valid by their own rules, checked like any ID."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum.cn import ric

from pipeline.domain.idkinds import PROBLEM_FOREIGN_2017, kind_of
from pipeline.domain.idnumber import NOTE_UNKNOWN_REGION, PROBLEM_BIRTH_DATE, PROBLEM_CHECK_DIGIT, check_id
from pipeline.extraction import extract
from pipeline.settings import Settings
from pipeline.storage import Database
from tests.builders.model_builder import build_document
from tests.service_letters import spec_for
from tests.test_check import check, load, rec, verdicts

pytest_plugins = ["tests.db_backends"]


def numbered(body: str) -> str:
    """17 digits and their MOD 11-2 check character (the same for all three kinds)."""
    return body + ric.calc_check_digit(body + "0")


HONG_KONG = numbered("81000019900101123")
MACAO = numbered("82000019881111012")
TAIWAN = numbered("83000019851231002")
FOREIGN = numbered("91184019900101123")  # issued in 北京 (11), nationality 840


@pytest.mark.parametrize("number", [HONG_KONG, MACAO, TAIWAN, FOREIGN])
def test_valid_numbers_of_other_kinds_are_valid_without_a_region_note(number: str) -> None:
    """Regression: 810000/820000/830000 are no county, so every 港澳台 resident got the note that the
    region code is unknown; a foreigner's 9… number is no region at all."""
    result = check_id(number)
    assert result.valid and NOTE_UNKNOWN_REGION not in result.notes
    assert not result.notes


def test_the_kinds_are_told_apart() -> None:
    assert [kind_of(n) for n in (HONG_KONG, TAIWAN, FOREIGN, "610102199001011234", "USA110079010101")] == [
        "hmt_residence", "hmt_residence", "foreign_permanent", "citizen", "foreign_permanent_2017",
    ]  # fmt: skip


@pytest.mark.parametrize("number", [HONG_KONG, FOREIGN])
def test_their_own_rules_still_find_wrong_numbers(number: str) -> None:
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert PROBLEM_CHECK_DIGIT in check_id(wrong_check).problems
    no_such_day = numbered(number[:10] + "0230" + number[14:17])
    assert PROBLEM_BIRTH_DATE in check_id(no_such_day).problems


def test_a_foreigners_number_from_an_unknown_province_is_valid_but_noted() -> None:
    result = check_id(numbered("97784019900101123"))
    assert result.valid and any("受理地省级代码" in n for n in result.notes)


def test_the_2017_foreigners_card_is_held_with_its_own_reason() -> None:
    result = check_id("USA110079010101")
    assert result.problems == [PROBLEM_FOREIGN_2017]


def test_a_roster_of_mixed_kinds_extracts_without_problems() -> None:
    spec = spec_for(71, people=2)
    spec.people = [*spec.people, ("陈大文", HONG_KONG), ("林志明", TAIWAN), ("John·Smith", FOREIGN)]
    spec.people[-1] = ("约翰·史密斯", FOREIGN)
    letter = extract(build_document(spec))
    assert [(p.name, p.id_number) for p in letter.people] == spec.people
    assert letter.is_clean and not any(p.notes for p in letter.people)


def test_they_are_checked_against_the_lists_like_any_id(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "失信被执行人", [rec("陈大文", HONG_KONG), rec("约翰·史密斯", FOREIGN)])
    outcome = check(db, settings, [("陈大文", HONG_KONG), ("林志明", TAIWAN), ("约翰·史密斯", FOREIGN)])
    assert verdicts(outcome) == ["listed", "clear", "listed"]
