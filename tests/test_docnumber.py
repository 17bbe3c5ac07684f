from hypothesis import given
from hypothesis import strategies as st

from pipeline.domain.docnumber import CLOSE_BRACKETS, OPEN_BRACKETS, find_doc_numbers, normalise_doc_number

BRACKETS = list(zip(OPEN_BRACKETS, CLOSE_BRACKETS, strict=True))


def test_standard_form_is_kept():
    assert normalise_doc_number("陕人社函〔2021〕88号") == "陕人社函〔2021〕88号"


def test_every_bracket_style_normalises():
    for open_, close in BRACKETS:
        assert normalise_doc_number(f"陕人社函{open_}2021{close}88号") == "陕人社函〔2021〕88号", open_


def test_full_width_digits_and_stray_spaces():
    assert normalise_doc_number("汉组函〔２０２４〕１６８号") == "汉组函〔2024〕168号"
    assert normalise_doc_number("陕文旅函〔2023〕 288 号") == "陕文旅函〔2023〕288号"
    assert normalise_doc_number("咸组函［ 2024 ］201号") == "咸组函〔2024〕201号"


def test_leading_zeros_dropped():
    assert normalise_doc_number("陕财函〔2022〕012号") == "陕财函〔2022〕12号"


def test_placeholder_is_not_a_number():
    assert normalise_doc_number("〔文号〕") is None


def test_citation_in_a_sentence_is_found_with_its_position():
    text = "根据《公务员调任规定》（中组发〔2019〕21号）要求"
    found = find_doc_numbers(text)
    assert [f[0][-11:] for f in found] == ["中组发〔2019〕21号"[-11:]]


@given(
    prefix=st.sampled_from(["陕人社函", "长大函", "咸组函", "陕文旅函", "汉组函", "西安市人社局函"]),
    year=st.integers(1990, 2035),
    number=st.integers(1, 9999),
    bracket=st.sampled_from(BRACKETS),
    full_width=st.booleans(),
    pad=st.sampled_from(["", " ", "\u3000", "  "]),
)
def test_normalisation_property(prefix, year, number, bracket, full_width, pad):
    digits = f"{year}"
    num = f"{number}"
    if full_width:
        digits = "".join(chr(ord(c) + 0xFEE0) for c in digits)
        num = "".join(chr(ord(c) + 0xFEE0) for c in num)
    text = f"{prefix}{pad}{bracket[0]}{pad}{digits}{pad}{bracket[1]}{pad}{num}{pad}号"
    assert normalise_doc_number(text) == f"{prefix}〔{year}〕{number}号"
