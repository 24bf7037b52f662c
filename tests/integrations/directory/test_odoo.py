"""The Odoo directory's own business: what it asks Odoo, what it does with the fields a
server lacks, and Odoo's failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integrations.directory import TooManyResults
from integrations.directory.odoo import OdooDirectory
from integrations.odoo import OdooClient, OdooError
from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo, odoo_error
from testing.local_server import Response
from tests.integrations.odoo_series import CURRENT, SERIES, series


@pytest.fixture(params=["17.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(series(request.param)) as server:
        yield server


def directory(odoo: FakeOdoo) -> OdooDirectory:
    return OdooDirectory(OdooClient(odoo.url, DB, LOGIN, PASSWORD, timeout=2), "ES")


def sent(odoo: FakeOdoo, method: str = "search_read") -> list[tuple[Any, Any]]:
    """(domain, kwargs) of each ``method`` call the server received."""
    found = []
    for request in odoo.server.requests:
        args = request.json()["params"]["args"]
        if request.json()["params"]["method"] == "execute_kw" and args[4] == method:
            found.append((args[5][0] if args[5] else None, args[6]))
    return found


def sent_domains(odoo: FakeOdoo) -> list[Any]:
    return [domain for domain, _kwargs in sent(odoo)]


def test_a_phone_is_asked_by_its_national_number_then_checked(odoo: FakeOdoo) -> None:
    found = directory(odoo).find("phone", "+34600112233", 20)
    assert [a.name for a in found] == ["Acme SL", "Beta Logistics SA"]
    # Odoo's separator-insensitive search; "+1 600 112 2334" matched it too and was dropped.
    assert sent_domains(odoo)[0] == [["phone_mobile_search", "ilike", "600112233"]]
    assert all(a.name != "Zz Noise" for a in found)


def test_tax_ids_are_asked_with_and_without_the_country(odoo: FakeOdoo) -> None:
    (beta,) = directory(odoo).find("tax_id", "ESA58818501", 20)
    assert beta.name == "Beta Logistics SA" and beta.tax_id == "ESA58818501"
    assert sent_domains(odoo)[0] == ["|", ["vat", "=ilike", "ESA58818501"],
                                     ["vat", "=ilike", "A58818501"]]


def test_fields_get_is_asked_once_per_client(odoo: FakeOdoo) -> None:
    found = directory(odoo)
    found.find("phone", "+34600112233", 20)
    assert odoo.fields_get_calls("res.partner") == 1
    (_domain, kwargs), = sent(odoo, "fields_get")
    assert kwargs == {"allfields": ["commercial_partner_id", "email", "is_company", "mobile",
                                    "name", "parent_id", "phone", "phone_mobile_search",
                                    "ref", "vat"],
                      "attributes": ["type", "relation"]}
    found.find("name", "acme", 20)
    assert found.account("1001") is not None
    assert odoo.fields_get_calls() == 1  # later lookups ask nothing more about fields
    again = directory(odoo)  # another client asks again, once
    again.find("name", "acme", 20)
    assert odoo.fields_get_calls() == 2


@pytest.mark.parametrize("odoo", [CURRENT], indirect=True)
def test_a_server_without_mobile_is_searched_and_read_by_phone_only(odoo: FakeOdoo) -> None:
    """The issue: on the current series a lookup naming ``mobile`` was refused whole."""
    found = directory(odoo).find("phone", "+34600112233", 20)
    assert [a.name for a in found] == ["Acme SL", "Beta Logistics SA"]
    assert [c.phones for c in found[0].identifiers] == [("+34600112233",)]
    assert all("mobile" not in kwargs["fields"] for _domain, kwargs in sent(odoo))
    assert sent_domains(odoo)[0] == [["phone_mobile_search", "ilike", "600112233"]]


@pytest.mark.parametrize("odoo", SERIES, indirect=True)
def test_without_the_phone_mixin_the_digits_are_searched_in_each_phone_field(
        odoo: FakeOdoo) -> None:
    odoo.hide("res.partner", "phone_mobile_search")  # no SMS / phone validation module
    found = directory(odoo).find("phone", "+34600112233", 20)
    assert [a.name for a in found] == ["Acme SL", "Beta Logistics SA"]
    assert [[c.name for c in a.identifiers] for a in found] == [["Ana Pérez"], ["Marta Ruiz"]]
    pattern = "%6%0%0%1%1%2%2%3%3%"
    phones = ["phone"] if odoo.series and odoo.series.name == CURRENT else ["phone", "mobile"]
    expected: list[Any] = [[name, "=ilike", pattern] for name in phones]
    assert sent_domains(odoo)[0] == (["|", *expected] if len(expected) == 2 else expected)


def test_a_server_without_any_phone_field_finds_nobody_by_phone(odoo: FakeOdoo) -> None:
    odoo.hide("res.partner", "phone", "mobile")
    found = directory(odoo)
    assert found.find("phone", "+34600112233", 20) == []
    assert sent(odoo) == []  # nothing searched: nothing could match
    (acme,) = found.find("name", "acme", 20)  # the rest still works
    assert acme.phones == () and {c.name for c in acme.contacts} == {"Ana Pérez", "Luis Gómez"}


def test_a_server_without_vat_or_ref_still_answers_the_rest(odoo: FakeOdoo) -> None:
    odoo.hide("res.partner", "vat", "ref")
    found = directory(odoo)
    assert found.find("tax_id", "ESB12345674", 20) == []
    assert found.find("erp_code", "B-77", 20) == []
    (beta,) = found.find("crm_code", "1002", 20)
    assert beta.name == "Beta Logistics SA" and beta.tax_id is None and beta.erp_code is None
    assert all({"vat", "ref"}.isdisjoint(kwargs["fields"]) for _domain, kwargs in sent(odoo))


def test_a_field_of_an_unexpected_type_is_left_out(odoo: FakeOdoo) -> None:
    """A customisation that turned mobile into a many2one: not read as a number."""
    odoo.methods[("res.partner", "fields_get")] = lambda _args, _kwargs: {
        "name": {"type": "char"}, "parent_id": {"type": "many2one", "relation": "res.partner"},
        "commercial_partner_id": {"type": "many2one", "relation": "res.partner"},
        "phone": {"type": "char"}, "mobile": {"type": "many2one", "relation": "res.country"},
        "email": {}, "vat": "char"}
    (acme,) = directory(odoo).find("phone", "+34600445566", 20)
    assert [c.name for c in acme.identifiers] == ["Luis Gómez"]
    assert acme.identifiers[0].phones == ("+34600445566",)  # his mobile is not read
    kwargs = sent(odoo)[0][1]
    assert kwargs["fields"] == ["name", "parent_id", "commercial_partner_id", "phone"]
    assert sent_domains(odoo)[0] == [["phone", "=ilike", "%6%0%0%4%4%5%5%6%6%"]]


def test_odoo_errors_become_integration_errors(odoo: FakeOdoo) -> None:
    found = directory(odoo)
    odoo.fail_next.append(odoo_error("odoo.exceptions.AccessError",
                                     "You are not allowed to access 'Contact' records."))
    with pytest.raises(OdooError, match="AccessError: You are not allowed"):
        found.find("phone", "+34600112233", 20)
    odoo.fail_next.append(Response(500, "<html>Internal Server Error</html>"))
    with pytest.raises(OdooError, match="HTTP 500"):
        found.find("name", "acme", 20)
    odoo.models.pop("res.partner")
    with pytest.raises(OdooError, match="KeyError"):
        found.find("name", "acme", 20)


def test_a_fields_get_that_is_no_object_is_an_error(odoo: FakeOdoo) -> None:
    odoo.methods[("res.partner", "fields_get")] = lambda _args, _kwargs: ["name"]
    with pytest.raises(OdooError, match=r"res.partner.fields_get answered list, not an object"):
        directory(odoo).find("name", "acme", 20)


def test_too_many_rows_are_refused_before_anything_else_is_read(odoo: FakeOdoo) -> None:
    odoo.models["res.partner"] += [
        {"id": 5000 + i, "name": f"Sample {i}", "is_company": True, "parent_id": False,
         "commercial_partner_id": [5000 + i, f"Sample {i}"], "phone": "600112233"}
        for i in range(50)]
    with pytest.raises(TooManyResults):
        directory(odoo).find("phone", "+34600112233", 2)
    assert [c[2] for c in odoo.calls if c[0] == "object"] == ["fields_get", "search_read"]


def test_crm_codes_are_odoo_ids(odoo: FakeOdoo) -> None:
    assert directory(odoo).find("crm_code", "not-a-number", 20) == []
    assert odoo.calls == []  # nothing asked for what cannot be an id
