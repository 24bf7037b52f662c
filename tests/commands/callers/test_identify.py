"""Which field a query means, and the order a ringing call's data is tried in."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.callers.identify import Candidate, call_candidates, candidates, identify_call, lookup
from commands.core import UsageError
from integrations.directory import Account, TooManyResults


def fields(query: str, region: str = "ES") -> list[tuple[str, str]]:
    return [(c.field, c.value) for c in candidates(query, region)]


@pytest.mark.parametrize("query, expected", [
    ("600 11 22 33", [("phone", "+34600112233")]),
    ("+55 11 91234-5678", [("phone", "+5511912345678")]),
    ("12345678Z", [("tax_id", "ES12345678Z"), ("crm_code", "12345678Z"),
                   ("erp_code", "12345678Z"), ("name", "12345678Z")]),
    ("1001", [("crm_code", "1001"), ("erp_code", "1001")]),
    ("E-1001", [("crm_code", "E-1001"), ("erp_code", "E-1001"), ("name", "E-1001")]),
    ("Ana Pérez", [("name", "Ana Pérez")]),
    ("nif: 12345678z", [("tax_id", "ES12345678Z")]),
    ("CRM 600112233", [("crm_code", "600112233")]),
    ("erp:600112233", [("erp_code", "600112233")]),
    ("nombre 1001", [("name", "1001")]),
    ("teléfono 600112233", [("phone", "+34600112233")]),
])
def test_fields_are_guessed_in_order_or_named(query: str, expected: list[tuple[str, str]]
                                              ) -> None:
    assert fields(query) == expected


def test_a_cpf_in_brazil_is_a_tax_id_before_anything_else() -> None:
    assert fields("390.533.447-05", "BR")[0] == ("tax_id", "BR39053344705")


@pytest.mark.parametrize("query, says", [
    ("", "Tell me what to look up"),
    ("600 11 22", "not a valid number for region ES"),
    ("nif 1234", "That is not a tax id"),
    ("phone abc", "That is not a phone number"),
    ("--", "I can't look up '--'"),
])
def test_queries_that_are_nothing_say_why(query: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        candidates(query, "ES")


class Recording:
    """A directory that answers from a table and records what it was asked."""

    name = "test directory"
    web_url = ""

    def __init__(self, answers: dict[tuple[str, str], list[Account] | Exception]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def find(self, field: str, value: str, limit: int) -> list[Account]:
        self.asked.append((field, value))
        answer = self.answers.get((field, value), [])
        if isinstance(answer, Exception):
            raise answer
        return answer

    def account(self, account_id: str) -> Account | None:
        return None


DATA: dict[str, Any] = {"name": "Ana", "tax_id": "12345678Z", "erp_code": "E-1",
                        "crm_code": "C-1", "unrelated": "x"}


def test_a_call_tries_crm_erp_tax_id_name_then_the_number() -> None:
    tried = call_candidates("600112233", DATA, "ES")
    assert [(c.field, c.value) for c in tried] == [
        ("crm_code", "C-1"), ("erp_code", "E-1"), ("tax_id", "ES12345678Z"), ("name", "Ana"),
        ("phone", "+34600112233")]
    directory = Recording({("tax_id", "ES12345678Z"): [Account("9", "Carmen")],
                           ("phone", "+34600112233"): [Account("1", "Acme")]})
    found = identify_call(directory, tried, 20)
    assert found is not None and found.field == "tax_id" and found.accounts[0].name == "Carmen"
    assert directory.asked == [("crm_code", "C-1"), ("erp_code", "E-1"),
                               ("tax_id", "ES12345678Z")]


def test_a_field_matching_too_many_does_not_identify_the_next_one_does() -> None:
    tried = call_candidates("600112233", {"name": "Ana"}, "ES")
    directory = Recording({("name", "Ana"): TooManyResults("name", 20),
                           ("phone", "+34600112233"): [Account("1", "Acme")]})
    found = identify_call(directory, tried, 20)
    assert found is not None and found.field == "phone"


def test_bad_data_values_and_synonyms() -> None:
    tried = call_candidates("anonymous", {"vat": "ESB12345674", "tax_id": "nonsense",
                                          "crm_code": 1001, "erp_code": True}, "ES")
    assert [(c.field, c.value) for c in tried] == [("crm_code", "1001"),
                                                   ("tax_id", "ESB12345674")]
    assert identify_call(Recording({}), tried, 20) is None


def test_a_lookup_stops_at_the_first_field_that_finds_someone() -> None:
    tried = [Candidate("crm_code", "1001"), Candidate("erp_code", "1001")]
    directory = Recording({("erp_code", "1001"): [Account("2", "Beta")]})
    found = lookup(directory, tried, 20)
    assert found.field == "erp_code" and [a.name for a in found.accounts] == ["Beta"]
    directory = Recording({("crm_code", "1001"): TooManyResults("crm_code", 20)})
    with pytest.raises(TooManyResults):
        lookup(directory, tried, 20)


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=60))
def test_any_text_is_a_list_of_candidates_or_a_usage_error(text: str) -> None:
    try:
        found = candidates(text, "ES")
    except UsageError as exc:
        assert exc.message
        return
    assert found and all(c.field in ("phone", "tax_id", "crm_code", "erp_code", "name")
                         for c in found)
    for c in found:
        if c.field == "phone":
            assert c.value.startswith("+")
