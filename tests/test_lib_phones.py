"""Properties of `read_phone` (SPEC §2 ani)."""

from __future__ import annotations

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from calldesk.lib.phones import WITHHELD_WORDS, read_phone

REGIONS = st.sampled_from(["US", "GB", "DE", "FR", "AU", "IN", "BR", "", "ZZ"])


@given(st.text(max_size=60), REGIONS)
def test_it_never_raises_and_either_reads_or_says_why(sent: str, region: str) -> None:
    reading = read_phone(sent, region)
    assert reading.raw == sent
    if sent.strip():
        assert bool(reading.e164) != bool(reading.problem)
    else:
        assert (reading.e164, reading.problem) == ("", "")


@given(st.text(alphabet="0123456789+-() .", max_size=25), REGIONS)
def test_an_e164_result_re_reads_as_itself(sent: str, region: str) -> None:
    reading = read_phone(sent, region)
    if reading.e164:
        assert reading.e164.startswith("+") and reading.e164[1:].isdigit()
        assert read_phone(reading.e164, region).e164 == reading.e164
        assert read_phone(reading.e164, "US").e164 == reading.e164
        assert (
            phonenumbers.format_number(phonenumbers.parse(reading.e164, None), phonenumbers.PhoneNumberFormat.E164)
            == reading.e164
        )


@given(st.sampled_from(sorted(WITHHELD_WORDS)), st.sampled_from([str.lower, str.upper, str.title]), REGIONS)
def test_withheld_words_leave_the_number_empty(word: str, case: object, region: str) -> None:
    reading = read_phone(f" {case(word)} ", region)  # type: ignore[operator]
    assert reading.e164 == ""
    assert "withheld" in reading.problem


@given(st.integers(min_value=3, max_value=15))
def test_all_zeros_are_withheld(length: int) -> None:
    assert "withheld" in read_phone("0" * length, "US").problem


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=20), REGIONS)
def test_letters_are_never_a_number(sent: str, region: str) -> None:
    assert read_phone(sent, region).e164 == ""


@given(st.from_regex(r"[2-9][0-8][0-9][2-9][0-9]{6}", fullmatch=True))
def test_a_ten_digit_us_number_in_any_usual_spelling_is_the_same(digits: str) -> None:
    expected = "+1" + digits
    spellings = [
        digits,
        "1" + digits,
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
        f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
    ]
    assert {read_phone(s, "US").e164 for s in spellings} == {expected}


# Not `+4930123456`: without its `+` it is also a possible US number, and the region wins.
@given(st.sampled_from(["+442079460958", "+33123456789", "+61291234567", "+19991234567"]))
def test_an_international_number_whose_plus_became_a_space_reads_the_same(e164: str) -> None:
    assert read_phone(" " + e164[1:], "US").e164 == e164
