import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from pipeline.domain.idnumber import (
    NOTE_CONVERTED_15,
    NOTE_UNKNOWN_REGION,
    PROBLEM_BIRTH_DATE,
    PROBLEM_CHECK_DIGIT,
    check_id,
    normalise_id,
)
from tests.builders.spec import bad_check_digit, make_id

TODAY = dt.date(2026, 11, 28)


def test_valid_id_has_no_problems():
    assert check_id("420106198803115142", TODAY).problems == []


def test_wrong_check_digit_blocks():
    assert check_id(bad_check_digit(make_id()), TODAY).problems == [PROBLEM_CHECK_DIGIT]


def test_impossible_birth_date_blocks_even_with_right_check_digit():
    number = make_id("610602", "19931131", "481")  # 31 November
    assert PROBLEM_BIRTH_DATE in check_id(number, TODAY).problems


def test_future_birth_date_blocks():
    assert PROBLEM_BIRTH_DATE in check_id(make_id("610102", "20301010", "111"), TODAY).problems


@pytest.mark.parametrize(
    ("region", "born"),
    [
        ("610104", "19600101"),  # 莲湖区, code since 1983: issued later than the birth
        ("610113", "19751231"),  # 雁塔区
        ("610204", "19850505"),  # 耀州区 (code since 2002)
        ("653001", "19821122"),  # 阿图什市 (since 1986)
        ("610100", "19500101"),  # 西安市 as a whole
        ("110221", "19700101"),  # 昌平县 1982-1999: valid at some date since the birth
    ],
)
def test_region_note_not_put_on_current_codes(region: str, born: str) -> None:
    """Regression: 68 of 149 sample people carried the unknown-region note, current codes included."""
    result = check_id(make_id(region, born, "123"), TODAY)
    assert result.problems == [] and result.notes == []


def test_region_abolished_before_the_birth_is_only_a_note():
    result = check_id(make_id("110221", "20050101", "123"), TODAY)  # 昌平县 became 昌平区 in 1999
    assert result.problems == [] and result.notes == [NOTE_UNKNOWN_REGION]


def test_totally_unknown_region_is_a_note_not_a_crash():
    result = check_id(make_id("000000", "19900101", "123"), TODAY)  # (9… is a foreigner's number: idkinds)
    assert result.problems == [] and NOTE_UNKNOWN_REGION in result.notes


def test_fifteen_digit_id_is_converted_and_noted():
    result = check_id("610102900101123", TODAY)
    assert result.number == "610102199001011233"[:17] + ric.calc_check_digit("61010219900101123" + "0")
    assert len(result.number) == 18 and result.problems == []
    assert NOTE_CONVERTED_15 in result.notes


def test_full_width_spaces_and_lower_x_are_normalised():
    assert normalise_id("６１０１１５ １９８１１０１０ ３８７ｘ") == "61011519811010387X"
    assert normalise_id("61011519811010387x") == "61011519811010387X"


@given(
    region=st.sampled_from(["610102", "110105", "540102", "650103"]),
    born=st.dates(dt.date(1940, 1, 1), dt.date(2008, 12, 31)),
    seq=st.integers(0, 999),
    spaces=st.lists(st.integers(1, 17), max_size=4),
    full_width=st.booleans(),
)
def test_normalisation_round_trip(region, born, seq, spaces, full_width):
    number = make_id(region, born.strftime("%Y%m%d"), f"{seq:03d}")
    text = number
    for pos in sorted(set(spaces), reverse=True):
        text = text[:pos] + " " + text[pos:]
    if full_width:
        text = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)
    text = text.replace("X", "x")
    assert normalise_id(text) == number
    assert check_id(text, TODAY).problems == []


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_agrees_with_stdnum(body):
    number = body + ric.calc_check_digit(body + "0")
    wrong = bad_check_digit(number)
    assert PROBLEM_CHECK_DIGIT not in check_id(number, TODAY).problems
    assert PROBLEM_CHECK_DIGIT in check_id(wrong, TODAY).problems
