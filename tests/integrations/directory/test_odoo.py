"""The Odoo directory's own business: what it asks Odoo, and Odoo's failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.directory import TooManyResults
from integrations.directory.odoo import OdooDirectory
from integrations.odoo import OdooClient, OdooError
from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo, odoo_error
from testing.local_server import Response
from tests.integrations.directory.harness import partners


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo() as server:
        server.models["res.partner"] = partners()
        yield server


def directory(odoo: FakeOdoo) -> OdooDirectory:
    return OdooDirectory(OdooClient(odoo.url, DB, LOGIN, PASSWORD, timeout=2), "ES")


def sent_domains(odoo: FakeOdoo) -> list[object]:
    return [r.json()["params"]["args"][5][0] for r in odoo.server.requests
            if r.json()["params"]["method"] == "execute_kw"]


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


def test_too_many_rows_are_refused_before_anything_else_is_read(odoo: FakeOdoo) -> None:
    odoo.models["res.partner"] += [
        {"id": 5000 + i, "name": f"Sample {i}", "is_company": True, "parent_id": False,
         "commercial_partner_id": [5000 + i, f"Sample {i}"], "phone": "600112233"}
        for i in range(50)]
    with pytest.raises(TooManyResults):
        directory(odoo).find("phone", "+34600112233", 2)
    assert [c[2] for c in odoo.calls if c[0] == "object"] == ["search_read"]


def test_crm_codes_are_odoo_ids(odoo: FakeOdoo) -> None:
    assert directory(odoo).find("crm_code", "not-a-number", 20) == []
    assert odoo.calls == []  # nothing asked for what cannot be an id
