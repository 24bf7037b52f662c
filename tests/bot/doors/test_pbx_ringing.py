"""POST /pbx/events call.ringing: the screen pop, through the signed door.

The demo team has alice on extension 211; the demo directory has Ana Pérez (Acme Energía
SL) and Marta Ruiz (Beta Logística SA) on +34 600 11 22 33 and Carmen Vidal (CRM 1003).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.doors.pbx_events import signed_headers
from bot.render.text import render_text
from commands.callers import screen_pop
from commands.callers.screen_pop import Ringing, on_ringing
from commands.core import Reply, Services
from integrations.directory.odoo import OdooDirectory
from integrations.odoo import OdooClient
from store.calls.registry import RegisteredCall
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.team.audit import AuditEntry
from tests.conftest import Database, make_settings

SECRET = "whsec-ringing"


def client_for(services: Services, db: Database) -> FlaskClient:
    settings = make_settings(DATABASE_URL=db.url, PBX_WEBHOOK_SECRET=SECRET)
    return create_app(settings, services).test_client()


@pytest.fixture
def client(demo: Services, db: Database) -> FlaskClient:
    return client_for(demo, db)


def post(client: FlaskClient, body: dict[str, Any], *, secret: str = SECRET,
         headers: dict[str, str] | None = None) -> Any:
    raw = json.dumps(body)
    now = client.application.extensions["switchboard"].services.clock.now()
    sent = headers if headers is not None else signed_headers(secret, raw, int(now.timestamp()))
    return client.post("/pbx/events", data=raw, headers=sent)


def ringing(call_id: str = "1700000000.1", caller: str = "600112233", extension: str = "211",
            **extra: Any) -> dict[str, Any]:
    return {"event": "call.ringing", "call_id": call_id, "caller": caller,
            "extension": extension, "queue": "support", **extra}


def calls(services: Services) -> list[RegisteredCall]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(RegisteredCall).where(
            RegisteredCall.call_id.not_like("demo-%"))))


def dms(services: Services) -> list[OutboxMessage]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def dm_text(message: OutboxMessage) -> str:
    return render_text(Reply.from_dict(message.body))


@pytest.mark.parametrize("how", ["unsigned", "wrong secret"])
def test_a_forged_or_unsigned_ringing_registers_nothing_and_sends_nothing(
        client: FlaskClient, demo: Services, how: str) -> None:
    kwargs: dict[str, Any] = {"unsigned": {"headers": {"Content-Type": "application/json"}},
                              "wrong secret": {"secret": "guessed"}}[how]
    answer = post(client, ringing(), **kwargs)
    assert answer.status_code == 401 and answer.data == b""
    assert calls(demo) == [] and dms(demo) == []


def test_a_signed_ringing_sends_one_dm_to_the_right_person_even_when_sent_twice(
        client: FlaskClient, demo: Services) -> None:
    first = post(client, ringing())
    assert first.status_code == 200
    assert first.json == {"ok": True, "registered": True, "duplicate": False, "dm": True,
                          "identified_by": "phone", "accounts": 2}
    again = post(client, ringing())
    assert again.status_code == 200 and again.json["duplicate"] is True
    (message,) = dms(demo)
    assert (message.target, message.key, message.platform) == (
        "person:alice", "call.ringing:1700000000.1", "console")
    text = dm_text(message)
    assert text.startswith("Call from +34 600 11 22 33 (queue support): 2 accounts.")
    assert "★ Ana Pérez   +34 600 11 22 33 (this number)" in text  # a DM: in full
    assert "[Typify this call: /typify 1700000000.1]" in text
    assert "Recent calls from this number" in text  # the demo's earlier call from Ana
    (call,) = calls(demo)
    assert (call.phone, call.caller, call.extension, call.queue) == (
        "+34600112233", "600112233", "211", "support")
    assert (call.identified_by, call.account_name, call.contact_name, call.accounts_found) == (
        "phone", "Acme Energía SL", "Ana Pérez", 2)
    assert call.rang_at == demo.clock.now()
    with transaction(demo.sessions) as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.platform == "pbx")).all()
        assert [(a.command, a.text, a.outcome) for a in audit] == [
            ("lookup", "call.ringing 1700000000.1 from 600112233", "ok")]
        assert audit[0].detail is not None and "Acme Energía SL" in audit[0].detail


def test_associated_data_identifies_before_the_number(client: FlaskClient,
                                                      demo: Services) -> None:
    answer = post(client, ringing(data={"crm_code": "1003", "erp_code": "E-1001",
                                        "name": "Marta"}))
    assert answer.json["identified_by"] == "crm_code" and answer.json["accounts"] == 1
    text = dm_text(dms(demo)[0])
    assert text.startswith("Call from +34 600 11 22 33 (queue support): Carmen Vidal, "
                           "identified by CRM code.")


def test_an_unsaved_number_offers_another_lookup_and_a_new_contact(
        client: FlaskClient, demo: Services) -> None:
    post(client, ringing(caller="+34 699 000 999", call_id="c-2"))
    text = dm_text(dms(demo)[0])
    assert text.startswith("Call from an unsaved number: +34 699 00 09 99 (queue support).")
    assert "Nobody in the directory has this number." in text
    assert "[New contact: /operation new-contact phone=+34699000999]" in text
    assert "[Look up another way: /lookup]" in text
    assert "Open account" not in text
    (call,) = calls(demo)
    assert call.account_id is None and call.identified_by is None


def test_a_withheld_number_is_still_registered_and_announced(client: FlaskClient,
                                                             demo: Services) -> None:
    answer = post(client, {"event": "call.ringing", "call_id": "c-3", "extension": "211"})
    assert answer.json["dm"] is True
    assert dm_text(dms(demo)[0]).startswith("Call from an unsaved number: a withheld number.")
    assert calls(demo)[0].phone is None


def test_an_extension_nobody_has_registers_the_call_without_a_dm(client: FlaskClient,
                                                                 demo: Services) -> None:
    answer = post(client, ringing(extension="999"))
    assert answer.json["registered"] is True and answer.json["dm"] is False
    assert answer.json["reason"] == "no active person has extension 999"
    assert dms(demo) == [] and len(calls(demo)) == 1


def test_a_failing_directory_still_pops_the_call(demo: Services, db: Database) -> None:
    down = OdooClient("http://127.0.0.1:9", "db", "user", "secret", timeout=1)
    broken = dataclasses.replace(demo, directory=OdooDirectory(down, "ES"))
    answer = post(client_for(broken, db), ringing())
    assert answer.status_code == 200 and answer.json["dm"] is True
    assert answer.json["directory_error"].startswith("Odoo said: cannot be reached")
    text = dm_text(dms(demo)[0])
    assert "The directory could not be asked (Odoo said: cannot be reached" in text


def test_two_deliveries_racing_past_the_check_still_send_one_dm(
        demo: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both deliveries find no registered call (they read at the same time) …
    monkeypatch.setattr(screen_pop.registry, "by_call_id", lambda session, call_id: None)
    event = Ringing(call_id="race", caller="600112233", extension="211", queue="support",
                    data=None, at=demo.clock.now())
    assert on_ringing(demo, event)["dm"] is True
    # … and the second one collides with the first's row: nothing more is written.
    assert on_ringing(demo, event) == {"registered": False, "duplicate": True, "dm": False}
    assert len(dms(demo)) == 1
    with transaction(demo.sessions) as session:
        assert session.scalar(select(func.count()).select_from(RegisteredCall).where(
            RegisteredCall.call_id == "race")) == 1
