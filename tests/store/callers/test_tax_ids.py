"""Tax ids: the forms people type, normalized to one spelling; anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.callers.tax_ids import BadTaxId, normalize, parse, try_normalize, variants


@pytest.mark.parametrize("raw, region, expected, kind", [
    ("12345678Z", "ES", "ES12345678Z", "NIF"),        # DNI
    ("12.345.678-z", "ES", "ES12345678Z", "NIF"),
    ("X1234567L", "ES", "ESX1234567L", "NIF"),        # NIE
    ("b-12.345.674", "ES", "ESB12345674", "NIF"),     # CIF
    ("ES B12345674", "ES", "ESB12345674", "NIF"),
    ("390.533.447-05", "ES", "BR39053344705", "CPF"),
    ("39053344705", "BR", "BR39053344705", "CPF"),
    ("11.222.333/0001-81", "BR", "BR11222333000181", "CNPJ"),
    ("DE136695976", "ES", "DE136695976", "VAT"),
    ("de 136 695 976", "BR", "DE136695976", "VAT"),
])
def test_accepted_forms(raw: str, region: str, expected: str, kind: str) -> None:
    assert normalize(raw, region) == expected
    assert parse(raw, region).kind == kind


@pytest.mark.parametrize("raw", ["12345678A", "B12345675", "390.533.447-06", "DE136695977",
                                 "600112233", "ACME", "", "x" * 41])
def test_invalid_ids_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(BadTaxId):
        parse(raw, "ES")
    assert try_normalize(raw, "ES") is None


def test_variants_with_and_without_the_country() -> None:
    assert variants("ESB12345674") == ("ESB12345674", "B12345674")


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=50))
def test_any_text_is_a_tax_id_or_a_clear_refusal(raw: str) -> None:
    try:
        value = normalize(raw, "ES")
    except BadTaxId as exc:
        assert str(exc)
    else:
        assert value == normalize(value, "ES")  # normalizing is idempotent
