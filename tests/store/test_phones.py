from __future__ import annotations

from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from store.phones import BadPhone, e164, e164_many, kind, mask, try_e164, valid


@pytest.mark.parametrize("raw", ["+34 600 11 22 33", "0034600112233", "600112233",
                                 "600-11-22-33", "34600112233"])
def test_spanish_forms_are_one_number(raw: str) -> None:
    assert e164(raw, "ES") == "+34600112233"


def test_brazilian_landlines_and_mobiles() -> None:
    assert e164("(11) 91234-5678", "BR") == "+5511912345678"
    assert kind("(11) 91234-5678", "BR") == "mobile"
    assert e164("+55 11 2345-6789", "BR") == "+551123456789"
    assert kind("+55 11 2345-6789", "BR") == "landline"
    with pytest.raises(BadPhone):
        e164("+55 11 8123-4567", "BR")  # an old 8-digit mobile is no longer valid


@pytest.mark.parametrize("raw", ["", "12", "abc", "6001122", "9" * 80])
def test_not_numbers_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(BadPhone):
        e164(raw, "ES")
    assert try_e164(raw, "ES") is None


def test_masking_keeps_the_last_three() -> None:
    assert mask("+34600112233") == "•••••••••233"
    assert mask("12") == "••" and mask(None) == ""


# ----------------------------------------------------------------------- e164_many


def _outcome(read: Callable[[str, str], str], raw: str, region: str) -> str:
    try:
        return read(raw, region)
    except BadPhone as exc:
        return f"refused: {exc}"


_SHAPES = st.one_of(
    st.text(alphabet="+0123456789 -.()/", max_size=20),
    st.builds(lambda prefix, body: prefix + body,
              st.sampled_from(["", "+", "00", "0034", "+34", "+55", "+44", "+1", "+351", "34",
                               "0", "9", "6", "+34 0"]),
              st.text(alphabet="0123456789 ", min_size=1, max_size=14)),
)


@settings(derandomize=True, max_examples=1000, deadline=None)
@given(_SHAPES, st.sampled_from(["ES", "BR", "GB", "US", "PT", "FR", "AD", "es"]))
def test_e164_many_answers_as_e164_does(raw: str, region: str) -> None:
    """The import's fast reading gives the very answer (or refusal) of phonenumbers.parse."""
    assert _outcome(e164_many, raw, region) == _outcome(e164, raw, region)


@settings(derandomize=True, max_examples=1000, deadline=None)
@given(st.sampled_from([34, 55, 44, 1, 351, 33, 49, 39, 7, 52, 376, 598, 800, 979]),
       st.integers(min_value=1, max_value=10**13))
def test_valid_is_is_valid_number(code: int, national: int) -> None:
    number = phonenumbers.PhoneNumber(country_code=code, national_number=national)
    assert valid(number) == phonenumbers.is_valid_number(number)


def test_valid_accepts_every_example_number() -> None:
    """The library's own example of each type of each region is valid to both."""
    checked = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for number_type in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE,
                            PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None:
                assert valid(example) == phonenumbers.is_valid_number(example), (region,
                                                                                number_type)
                checked += 1
    assert checked > 500
