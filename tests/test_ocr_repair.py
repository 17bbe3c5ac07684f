"""repair_id: a misread ID is repaired only when exactly one reading is valid, never silently wrong."""

import datetime as dt

from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from pipeline.domain.idnumber import check_id
from pipeline.domain.ocr_repair import DIGIT_CONFUSIONS, LOOKALIKE_DIGITS, repair_id

TODAY = dt.date(2026, 11, 28)

REGIONS = ["610102", "610113", "650103", "110101", "440305", "320106", "510104"]


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2008, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


# letters that stand for exactly one digit, by digit
SINGLE_LOOKALIKES: dict[str, list[str]] = {}
for letter, digit in LOOKALIKE_DIGITS.items():
    SINGLE_LOOKALIKES.setdefault(digit, []).append(letter)


@given(valid_ids())
def test_valid_id_is_kept_and_not_marked(number):
    result = repair_id(number, TODAY)
    assert result.id == number
    assert not result.repaired
    assert result.valid


@given(valid_ids(), st.data())
def test_one_lookalike_letter_is_repaired_to_the_original(number, data):
    positions = [i for i, ch in enumerate(number[:17]) if ch in SINGLE_LOOKALIKES]
    assume(positions)
    i = data.draw(st.sampled_from(positions))
    letter = data.draw(st.sampled_from(SINGLE_LOOKALIKES[number[i]]))
    misread = number[:i] + letter + number[i + 1 :]
    result = repair_id(misread, TODAY)
    assert result.repaired
    assert result.id == number
    assert result.candidates == (number,)


@given(valid_ids(), st.data())
def test_several_lookalike_letters_are_repaired(number, data):
    swaps = {"0": "O", "1": "l", "8": "B", "5": "S", "2": "Z"}
    positions = [i for i, ch in enumerate(number[:17]) if ch in swaps]
    assume(len(positions) >= 2)
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=2, max_size=4, unique=True))
    misread = "".join(swaps[ch] if i in chosen else ch for i, ch in enumerate(number))
    assert repair_id(misread, TODAY).id == number


@given(valid_ids(), st.data())
def test_digit_confusion_gives_the_original_or_no_repair_never_another_id(number, data):
    i = data.draw(st.integers(0, 16))
    alt = data.draw(st.sampled_from(DIGIT_CONFUSIONS[number[i]]))
    misread = number[:i] + alt + number[i + 1 :]
    assume(not check_id(misread, TODAY).valid)
    result = repair_id(misread, TODAY)
    if result.repaired:
        assert result.id == number
    else:
        assert result.id == misread
        assert number in result.candidates  # the truth is among what the clerk is shown


@given(st.text(max_size=30))
def test_never_returns_an_invalid_id_as_repaired(text):
    result = repair_id(text, TODAY)
    if result.repaired:
        assert check_id(result.id, TODAY).valid
        assert result.candidates == (result.id,)


@given(valid_ids())
def test_repair_is_idempotent(number):
    misread = number.replace("0", "O")
    first = repair_id(misread, TODAY)
    second = repair_id(first.id, TODAY)
    assert second.id == first.id
    assert not second.repaired


def test_x_lookalikes_in_the_last_place():
    number = "65010319860624845X"
    assert check_id(number, TODAY).valid
    for misread in ("65010319860624845x", "65010319860624845×", "65010319860624845K", "65010319860624845Y"):
        result = repair_id(misread, TODAY)
        assert result.id == number, misread


def test_width_and_spaces_are_folded_before_checking():
    assert repair_id("６１０１０２ １９９００１０１ １２３１", TODAY).id == "610102199001011231"


def test_ambiguous_misread_is_not_repaired_and_lists_candidates():
    # 610102199001011231 with the 3rd digit 0 read as 8: several one-confusion readings are valid
    result = repair_id("618102199001011231", TODAY)
    assert not result.repaired
    assert result.ambiguous
    assert "610102199001011231" in result.candidates


def test_wrong_length_is_not_guessed():
    result = repair_id("61010219900101123", TODAY)
    assert (result.repaired, result.candidates) == (False, ())


def test_unexplained_character_is_not_guessed():
    result = repair_id("6101021990010112#1", TODAY)
    assert not result.repaired
    assert result.candidates == ()


def test_lookalike_in_the_birth_date_is_repaired():
    number = "610102199001011231"
    misread = "6101021990O1011231"
    assert repair_id(misread, TODAY).id == number
