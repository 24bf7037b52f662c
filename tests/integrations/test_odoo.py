"""The shared Odoo JSON-RPC client against a local server speaking Odoo's protocol, and
the recorded Odoo series that server is held to (tests/integrations/odoo_recordings)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from integrations.errors import Unreachable
from integrations.odoo import OdooClient, OdooError, OdooField
from testing.fake_odoo import DB, LOGIN, PASSWORD, UID, Exchange, FakeOdoo, odoo_error
from testing.local_server import Response
from tests.integrations.odoo_series import CURRENT, SERIES, series, serving


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


# ------------------------------------------------------------------ fields, by series


def test_fields_are_asked_once_per_model_with_the_attributes_needed() -> None:
    with serving("17.0") as (fake, c):
        first = c.fields("res.partner", ["phone", "mobile", "name"])
        assert list(first) == ["phone", "mobile", "name"]
        assert first["phone"] == OdooField("phone", "char")
        again = c.fields("res.partner", ["name", "phone"])
        assert list(again) == ["name", "phone"]
        assert fake.fields_get_calls() == 1
        sent = [r.json()["params"]["args"] for r in fake.server.requests][-1]
        assert sent[3:] == ["res.partner", "fields_get", [],
                            {"allfields": ["mobile", "name", "phone"],
                             "attributes": ["type", "relation"]}]
        # Names not asked before: asked again, with the earlier ones.
        assert c.fields("res.partner", ["parent_id"]) == {
            "parent_id": OdooField("parent_id", "many2one", "res.partner")}
        assert fake.fields_get_calls() == 2
        assert fake.server.requests[-1].json()["params"]["args"][6]["allfields"] == [
            "mobile", "name", "parent_id", "phone"]
        c.fields("hr.leave", ["state"])
        assert fake.fields_get_calls("hr.leave") == 1


@pytest.mark.parametrize("name", SERIES)
def test_what_each_series_has(name: str) -> None:
    with serving(name) as (_fake, c):
        partner = c.fields("res.partner", ["phone", "mobile", "phone_mobile_search"])
        leave = c.fields("hr.leave", ["holiday_status_id", "work_entry_type_id"])
        version = c.version()
    current = name == CURRENT
    assert ("mobile" in partner) is not current
    assert list(leave) == (["work_entry_type_id"] if current else ["holiday_status_id"])
    assert leave[next(iter(leave))].relation == (
        "hr.work.entry.type" if current else "hr.leave.type")
    assert version == ("saas~19.5alpha1" if current else name)


def test_an_unreadable_field_description_leaves_the_field_out(odoo: FakeOdoo) -> None:
    odoo.methods[("res.partner", "fields_get")] = lambda _args, _kwargs: {
        "name": {"type": "char"}, "vat": {"string": "Tax ID"}, "ref": None, "email": [],
        "parent_id": {"type": "many2one", "relation": 5}}
    found = client(odoo).fields("res.partner", ["name", "vat", "ref", "email", "parent_id"])
    assert found == {"name": OdooField("name", "char"),
                     "parent_id": OdooField("parent_id", "many2one", "")}


def test_a_version_answer_that_says_nothing_is_empty(odoo: FakeOdoo) -> None:
    with serving("16.0") as (fake, c):
        assert c.version() == "16.0"
        c.version()
        assert [call for call in fake.calls if call[2] == "version"] == [
            ("common", "", "version")]  # asked once
    odoo.fail_next.append(Response(200, {"jsonrpc": "2.0", "id": 1, "result": ["16.0"]}))
    assert client(odoo).version() == ""


# ------------------------------------------------------------------ the recordings


def exchanges() -> list[tuple[str, Exchange]]:
    return [(name, exchange) for name in SERIES for exchange in series(name).exchanges]


@pytest.mark.parametrize(("name", "exchange"), exchanges(),
                         ids=[f"{n}:{e.about[:40]}" for n, e in exchanges()])
def test_the_fake_answers_each_recorded_call_as_recorded(name: str, exchange: Exchange) -> None:
    """The fake must not drift from the recordings: the same request, the same answer,
    envelope, ids and error wording included."""
    with FakeOdoo(series(name)) as fake:
        answer = httpx.post(fake.url + "/jsonrpc", json=exchange.request, timeout=2)
    assert answer.status_code == 200
    assert answer.json() == exchange.response
    assert list(answer.json()) == list(exchange.response)  # key order too, as Odoo sends it
    if "error" in answer.json():
        assert list(answer.json()["error"]["data"]) == list(
            exchange.response["error"]["data"])


@pytest.mark.parametrize("name", SERIES)
def test_each_recording_holds_only_fields_its_series_has(name: str) -> None:
    recorded = series(name)
    assert recorded.name == name and "NOT captured from a live server" in recorded.about
    for model, rows in recorded.records.items():
        have = set(recorded.fields[model]) | {"id"}
        for row in rows:
            assert set(row) <= have, (model, row["id"], set(row) - have)
