"""POST /pbx/events: nothing is read or stored before the signature verifies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.app import create_app
from bot.doors import pbx_events
from bot.doors.http import verify_signature
from bot.doors.pbx_events import PbxEvent, signed_headers
from commands.core import Services
from tests.conftest import make_settings

SECRET = "whsec-test"


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[PbxEvent]:
    """A handler for a test-only event type, recording what reached it."""
    events: list[PbxEvent] = []

    def handler(services: Services, event: PbxEvent, at: datetime) -> dict[str, Any]:
        events.append(event)
        return {"at": at.isoformat()}

    monkeypatch.setitem(pbx_events.HANDLERS, "test.event", handler)
    return events


@pytest.fixture
def client(services: Services) -> FlaskClient:
    settings = make_settings(DATABASE_URL="sqlite://", PBX_WEBHOOK_SECRET=SECRET)
    return create_app(settings, services).test_client()


def post(client: FlaskClient, body: dict[str, Any] | str, *, secret: str = SECRET,
         at: datetime | None = None, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    when = int((at or client.application.extensions["switchboard"].services.clock.now())
               .timestamp())
    sent = headers if headers is not None else signed_headers(secret, raw, when)
    return client.post("/pbx/events", data=raw, headers=sent)


EVENT = {"event": "test.event", "call_id": "1700000000.1", "caller": "600112233"}


def test_a_signed_event_reaches_its_handler(client: FlaskClient, seen: list[PbxEvent],
                                            services: Services) -> None:
    answer = post(client, EVENT)
    assert answer.status_code == 200 and answer.json["ok"] is True
    assert [e.call_id for e in seen] == ["1700000000.1"]
    assert answer.json["at"] == services.clock.now().isoformat()


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "stale", "future", "garbage"])
def test_forged_unsigned_or_stale_events_are_refused_unread(
        client: FlaskClient, seen: list[PbxEvent], services: Services, how: str) -> None:
    now = services.clock.now()
    kwargs: dict[str, Any] = {
        "unsigned": {"headers": {"Content-Type": "application/json"}},
        "wrong secret": {"secret": "guess"},
        "stale": {"at": now - timedelta(minutes=6)},
        "future": {"at": now + timedelta(minutes=6)},
        "garbage": {"headers": {"X-Switchboard-Signature": "t=abc,v1=" + "0" * 64}},
    }[how]
    answer = post(client, EVENT, **kwargs)
    assert answer.status_code == 401 and answer.data == b""
    assert seen == []


def test_a_signature_over_another_body_does_not_verify(client: FlaskClient,
                                                       seen: list[PbxEvent],
                                                       services: Services) -> None:
    when = int(services.clock.now().timestamp())
    headers = signed_headers(SECRET, json.dumps(EVENT), when)
    tampered = json.dumps({**EVENT, "call_id": "other"})
    assert client.post("/pbx/events", data=tampered, headers=headers).status_code == 401
    assert seen == []


@pytest.mark.parametrize("body, field", [
    ("{not json", "body"),
    ({"event": "test.event"}, "call_id"),
    ({**EVENT, "time": "2026-11-30T09:00:00"}, "time"),
    ({**EVENT, "event": "call.unknown"}, "event"),
    ([1, 2], "body"),
])
def test_malformed_signed_bodies_name_the_field(client: FlaskClient, seen: list[PbxEvent],
                                                body: Any, field: str) -> None:
    answer = post(client, body)
    assert answer.status_code == 422 and answer.json["field"] == field
    assert seen == []


def test_an_empty_secret_refuses_everything(services: Services,
                                            seen: list[PbxEvent]) -> None:
    client = create_app(make_settings(DATABASE_URL="sqlite://"), services).test_client()
    assert post(client, EVENT, secret="").status_code == 401


def test_signature_parsing_is_strict() -> None:
    now = datetime.fromtimestamp(1_700_000_000).astimezone()
    body = b"{}"
    good = signed_headers(SECRET, body, 1_700_000_000)["X-Switchboard-Signature"]
    assert verify_signature(good, body, SECRET, now)
    assert verify_signature("v1=deadbeef," + good, body, SECRET, now)  # rotation: any v1
    for bad in ("", "t=1700000000", "v1=abc", "t=1e9,v1=abc", "t=" + "9" * 40 + ",v1=0",
                good.replace("t=", "t=-"), "x" * 2000):
        assert not verify_signature(bad, body, SECRET, now)
