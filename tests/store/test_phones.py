from __future__ import annotations

import pytest

from store.phones import BadPhone, e164, kind, mask, try_e164


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
