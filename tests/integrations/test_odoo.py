"""The shared Odoo JSON-RPC client against a local server speaking Odoo's protocol."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.errors import Unreachable
from integrations.odoo import OdooClient, OdooError
from testing.fake_odoo import DB, LOGIN, PASSWORD, UID, FakeOdoo, odoo_error
from testing.local_server import Response


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo() as server:
        server.models["res.partner"] = [
            {"id": 1, "name": "Acme SL", "is_company": True, "vat": "ESB12345674"},
            {"id": 2, "name": "Ana Pérez", "is_company": False, "parent_id": [1, "Acme SL"]},
        ]
        yield server


def client(odoo: FakeOdoo, password: str = PASSWORD) -> OdooClient:
    return OdooClient(odoo.url, DB, LOGIN, password, timeout=2)


def test_logs_in_once_and_reads_with_execute_kw(odoo: FakeOdoo) -> None:
    c = client(odoo)
    rows = c.search_read("res.partner", [["is_company", "=", True]], ["name", "vat"])
    assert rows == [{"id": 1, "name": "Acme SL", "vat": "ESB12345674"}]
    c.search_read("res.partner", [["parent_id", "=", 1]], ["name"])
    assert odoo.calls == [("common", "", "login"), ("object", "res.partner", "search_read"),
                          ("object", "res.partner", "search_read")]
    sent = odoo.server.requests[1].json()
    assert sent["jsonrpc"] == "2.0" and sent["method"] == "call"
    assert sent["params"]["args"][:5] == [DB, UID, PASSWORD, "res.partner", "search_read"]


def test_bad_credentials_are_a_clear_error(odoo: FakeOdoo) -> None:
    with pytest.raises(OdooError, match="login refused"):
        client(odoo, password="wrong").search_read("res.partner", [], ["name"])


def test_odoo_errors_are_phrased_from_their_data(odoo: FakeOdoo) -> None:
    with pytest.raises(OdooError, match="KeyError") as caught:
        client(odoo).search_read("no.such.model", [], ["name"])
    assert caught.value.system == "Odoo"
    odoo.fail_next.append(odoo_error("odoo.exceptions.ValidationError", "Bad domain"))
    with pytest.raises(OdooError, match="ValidationError: Bad domain"):
        client(odoo).uid()


def test_a_dropped_session_logs_in_again_once(odoo: FakeOdoo) -> None:
    c = client(odoo)
    c.uid()
    odoo.fail_next.append(odoo_error("odoo.http.SessionExpiredException", "Session expired"))
    assert c.search_read("res.partner", [["id", "=", 2]], ["name"])[0]["name"] == "Ana Pérez"
    assert [call[2] for call in odoo.calls] == ["login", "login", "search_read"]


def test_http_failures_and_silence(odoo: FakeOdoo) -> None:
    odoo.fail_next.append(Response(502, "Bad Gateway"))
    with pytest.raises(OdooError, match="HTTP 502"):
        client(odoo).uid()
    odoo.fail_next.append(Response(200, "<html>maintenance</html>"))
    with pytest.raises(OdooError, match="not JSON"):
        client(odoo).uid()
    with pytest.raises(Unreachable):
        OdooClient("http://127.0.0.1:9", DB, LOGIN, PASSWORD, timeout=1).uid()
