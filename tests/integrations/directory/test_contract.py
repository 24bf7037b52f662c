"""The Directory contract: every backend answers the same questions the same way — the
Odoo backend against each recorded Odoo series (16.0, 17.0, 18.0 and the current one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.directory import Account, Directory, TooManyResults
from tests.conftest import BACKENDS
from tests.integrations.directory.harness import open_directory
from tests.integrations.odoo_series import CURRENT, SERIES

KINDS = [f"{b}-local" for b in BACKENDS] + [f"odoo-{s}" for s in SERIES]
ONE_NUMBER = {f"odoo-{CURRENT}"}  # a partner has one phone field (no mobile) from it on


@pytest.fixture(params=KINDS, scope="module")
def directory(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    """Loaded once per backend: every test here only reads."""
    with open_directory(request.param, tmp_path_factory.mktemp("directory")) as found:
        yield found


def names(accounts: list[Account]) -> list[str]:
    return [a.name for a in accounts]


def marked(account: Account) -> list[str]:
    return [c.name for c in account.identifiers]


def test_a_number_shared_by_two_accounts_returns_both_with_the_owner_marked(
        directory: Directory) -> None:
    found = directory.find("phone", "+34600112233", 20)
    assert names(found) == ["Acme SL", "Beta Logistics SA"]
    assert [marked(a) for a in found] == [["Ana Pérez"], ["Marta Ruiz"]]
    acme = found[0]
    assert not acme.owns_number
    assert acme.contacts[0].name == "Ana Pérez" and acme.contacts[0].identifier
    assert {c.name for c in acme.contacts} == {"Ana Pérez", "Luis Gómez"}
    assert acme.contacts_total == 2
    assert acme.contacts[0].phones == ("+34600112233",)
    assert acme.phones == ("+34912345678",)
    assert acme.tax_id == "ESB12345674"


def test_accounts_reached_through_a_contact_come_before_those_owning_the_number(
        directory: Directory) -> None:
    found = directory.find("phone", "+34911000000", 20)
    assert names(found) == ["Zeta Motors", "Alfa Bank"]
    assert marked(found[0]) == ["Pablo Sanz"] and not found[0].owns_number
    assert marked(found[1]) == [] and found[1].owns_number


def test_an_account_with_the_number_itself(directory: Directory) -> None:
    (carmen,) = directory.find("phone", "+34655555555", 20)
    assert carmen.name == "Carmen Vidal" and carmen.owns_number and carmen.contacts == ()
    assert carmen.email == "carmen@example.org"


def test_a_contact_is_found_by_each_of_its_numbers(
        directory: Directory, request: pytest.FixtureRequest) -> None:
    (luis,) = directory.find("phone", "+34600445566", 20)
    assert marked(luis) == ["Luis Gómez"]
    if request.node.callspec.params["directory"] in ONE_NUMBER:
        # The series keeps one number per partner: Luis's second never made it there.
        assert luis.contacts[0].phones == ("+34600445566",)
        assert directory.find("phone", "+34611223344", 20) == []
        return
    assert set(luis.contacts[0].phones) == {"+34600445566", "+34611223344"}
    (again,) = directory.find("phone", "+34611223344", 20)
    assert marked(again) == ["Luis Gómez"]


@pytest.mark.parametrize("field, value, expected", [
    ("tax_id", "ESB12345674", ["Acme SL"]),
    ("tax_id", "ESA58818501", ["Beta Logistics SA"]),
    ("tax_id", "ES12345678Z", ["Carmen Vidal"]),
    ("crm_code", "1001", ["Acme SL"]),
    ("crm_code", "1003", ["Carmen Vidal"]),
    ("erp_code", "B-77", ["Beta Logistics SA"]),
    ("name", "acme", ["Acme SL"]),
    ("name", "Pérez", ["Acme SL"]),
    ("name", "ana PÉR", ["Acme SL"]),
    ("name", "carmen", ["Carmen Vidal"]),
    ("name", "s", ["Acme SL", "Beta Logistics SA", "Zeta Motors"]),
])
def test_each_field_identifies(directory: Directory, field: str, value: str,
                               expected: list[str]) -> None:
    assert names(directory.find(field, value, 20)) == expected


def test_a_name_marks_the_contact_it_matched(directory: Directory) -> None:
    (acme,) = directory.find("name", "pérez", 20)
    assert marked(acme) == ["Ana Pérez"]
    (acme,) = directory.find("name", "acme", 20)
    assert marked(acme) == []


@pytest.mark.parametrize("field, value", [
    ("phone", "+34699999999"), ("tax_id", "ESB00000000"), ("crm_code", "9999"),
    ("erp_code", "nope"), ("name", "nobody"), ("name", "ana ruiz"),
])
def test_nothing_found_is_an_empty_list(directory: Directory, field: str, value: str) -> None:
    assert directory.find(field, value, 20) == []


def test_more_accounts_than_the_limit_is_refused_not_cut(directory: Directory) -> None:
    with pytest.raises(TooManyResults) as caught:
        directory.find("phone", "+34600112233", 1)
    assert caught.value.limit == 1
    assert len(directory.find("phone", "+34600112233", 2)) == 2


def test_an_account_by_its_id(directory: Directory) -> None:
    (acme,) = directory.find("name", "acme", 20)
    again = directory.account(acme.id)
    assert again is not None and again.name == "Acme SL" and again.id == acme.id
    assert {c.name for c in again.contacts} == {"Ana Pérez", "Luis Gómez"}
    assert directory.account("999999") is None
    assert directory.account("not-an-id") is None
