"""POST /pbx/events: nothing is read or stored before the signature verifies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.app import create_app
from bot.doors import pbx_events
from bot.doors.http import verify_signature
from bot.doors.pbx_events import PbxEvent, signed_headers
from commands.core import Services
from integrations.clock import FixedClock
from store.calls.records import CallRecord
from store.calls.registry import RegisteredCall
from store.db import transaction
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
    ({**EVENT, "time": "9999-12-31T23:59:59-05:00"}, "time"),  # once an OverflowError: 500
    ({**EVENT, "time": "0001-01-01T00:00:00+05:00"}, "time"),
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


# --------------------------------------------------------------------------- call events


def stored_calls(services: Services) -> list[tuple[Any, ...]]:
    with transaction(services.sessions) as session:
        return [(r.source, r.call_id, r.queue, r.outcome, r.caller, r.extension, r.wait_seconds,
                 r.talk_seconds, r.wrapup_seconds)
                for r in session.scalars(select(CallRecord).order_by(CallRecord.id))]


def test_signed_call_events_make_and_update_the_call(client: FlaskClient, services: Services,
                                                     clock: FixedClock) -> None:
    entered = {"event": "call.entered", "call_id": "1764.7", "queue": "support",
               "caller": "600 11 22 33", "data": {"dialled": "900123456"}}
    assert post(client, entered).json == {"ok": True, "call_id": "1764.7",
                                          "queue": "support", "outcome": "waiting",
                                          "changed": True}
    clock.advance(timedelta(seconds=25))
    answered = {"event": "call.answered", "call_id": "1764.7", "queue": "support",
                "extension": "211"}
    assert post(client, answered).json["outcome"] == "answered"
    assert post(client, answered).json["changed"] is False  # posted twice: nothing new
    clock.advance(timedelta(minutes=3))
    ended = {"event": "call.ended", "call_id": "1764.7", "queue": "support",
             "data": {"wrapup_seconds": 30}}
    assert post(client, ended).json["outcome"] == "answered"
    assert stored_calls(services) == [
        ("sim", "1764.7", "support", "answered", "+34600112233", "211", 25.0, 180.0, 30.0)]


def test_an_unanswered_call_ends_abandoned_or_as_the_pbx_says(client: FlaskClient,
                                                              services: Services,
                                                              clock: FixedClock) -> None:
    post(client, {"event": "call.entered", "call_id": "a", "caller": "600112233"})
    post(client, {"event": "call.entered", "call_id": "b", "caller": "600112244"})
    clock.advance(timedelta(seconds=42))
    post(client, {"event": "call.ended", "call_id": "a"})
    post(client, {"event": "call.ended", "call_id": "b", "data": {"outcome": "timeout"}})
    assert [(c[1], c[2], c[3], c[6]) for c in stored_calls(services)] == [
        ("a", "support", "abandoned", 42.0), ("b", "support", "timeout", 42.0)]


def test_events_out_of_order_still_give_the_right_waits(client: FlaskClient,
                                                        services: Services) -> None:
    now = services.clock.now()
    post(client, {"event": "call.answered", "call_id": "c", "extension": "212",
                  "time": (now + timedelta(seconds=30)).isoformat()})
    post(client, {"event": "call.entered", "call_id": "c", "caller": "600112233",
                  "time": now.isoformat()})
    assert stored_calls(services)[0][3:7] == ("answered", "+34600112233", "212", 30.0)


def test_a_repeat_without_a_time_keeps_the_times_already_stored(
        client: FlaskClient, services: Services, clock: FixedClock) -> None:
    # A PBX retrying call.entered a minute later must not move the call (nor its wait).
    for event in ("call.entered", "call.answered", "call.ended"):
        post(client, {"event": event, "call_id": "r", "caller": "600112233",
                      "extension": "212"})
        clock.advance(timedelta(seconds=20))
        post(client, {"event": event, "call_id": "r", "caller": "600112233",
                      "extension": "212"})
        clock.advance(timedelta(seconds=20))
    # entered at 0 s, answered at 40 s, ended at 80 s: the repeats at 20, 60, 100 s change nothing
    assert stored_calls(services)[0][3:] == ("answered", "+34600112233", "212", 40.0, 40.0, None)


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "stale"])
def test_forged_call_events_store_nothing(client: FlaskClient, services: Services,
                                          how: str) -> None:
    now = services.clock.now()
    kwargs: dict[str, Any] = {"unsigned": {"headers": {"Content-Type": "application/json"}},
                              "wrong secret": {"secret": "guess"},
                              "stale": {"at": now - timedelta(minutes=6)}}[how]
    answer = post(client, {"event": "call.entered", "call_id": "x", "caller": "600112233"},
                  **kwargs)
    assert answer.status_code == 401 and answer.data == b""
    assert stored_calls(services) == []


def test_an_impossible_outcome_is_refused_by_field(client: FlaskClient,
                                                   services: Services) -> None:
    answer = post(client, {"event": "call.ended", "call_id": "x",
                           "data": {"outcome": "teleported"}})
    assert answer.status_code == 422 and answer.json["field"] == "data.outcome"
    assert stored_calls(services) == []


def registered_calls(services: Services) -> int:
    with transaction(services.sessions) as session:
        return len(session.scalars(select(RegisteredCall)).all())


# Once each a 500 on PostgreSQL (it refuses NUL in text) while SQLite stored it.
NUL_EVENTS = [
    ({"event": "call.entered", "call_id": "17\x00.1"}, "call_id"),
    ({"event": "call.entered", "call_id": "17.1", "queue": "sup\x00port"}, "queue"),
    ({"event": "call.ringing", "call_id": "17.1", "extension": "21\x001"}, "extension"),
    ({"event": "call.ringing", "call_id": "17.1", "extension": "211",
      "data": {"name": "Ana\x00 Pérez"}}, "data.name"),
    ({"event": "call.ringing", "call_id": "17.1", "extension": "211",
      "data": {"crm_code": "10\x0003"}}, "data.crm_code"),
    ({"event": "call.entered", "call_id": "17.1", "data": {"dialled": "900\x00123"}},
     "data.dialled"),
    ({"event": "call.ended", "call_id": "17.1", "data": {"x": [1, {"y": "\x00"}]}},
     "data.x.1.y"),
    ({"event": "call.ended", "call_id": "17.1", "data": {"k\x00": 1}}, "data"),
]


@pytest.mark.parametrize("body, field", NUL_EVENTS)
def test_a_nul_character_in_any_text_is_refused_by_field_and_nothing_is_stored(
        client: FlaskClient, services: Services, body: dict[str, Any], field: str) -> None:
    answer = post(client, body)
    assert answer.status_code == 422, answer.data
    assert answer.json["field"] == field and "NUL" in answer.json["reason"]
    assert stored_calls(services) == [] and registered_calls(services) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"event": "call.ringing", "call_id": "17.1", "extension": "211",
      "caller": "600112233\r\nCall your bank now"}, "caller"),
    ({"event": "call.ringing", "call_id": "17.1", "extension": "211",
      "queue": "soporte\n\n*urgent*"}, "queue"),
    ({"event": "call.entered", "call_id": "17.\t1"}, "call_id"),
    ({"event": "call.ringing", "call_id": "17.1", "extension": "2\x1b11"}, "extension"),
])
def test_a_line_break_or_control_in_a_named_field_is_refused(
        client: FlaskClient, services: Services, body: dict[str, Any], field: str) -> None:
    # The caller and queue are written into the ringing agent's DM: a line break there
    # made up lines of its own.
    answer = post(client, body)
    assert answer.status_code == 422, answer.data
    assert answer.json["field"] == field and "control character" in answer.json["reason"]
    assert stored_calls(services) == [] and registered_calls(services) == 0


@pytest.mark.parametrize("event", ["call.entered", "call.answered", "call.ended",
                                   "call.ringing"])
@pytest.mark.parametrize("time", ["2026-12-06T10:00:00+16:00", "2026-12-06T10:00:00-23:59"])
def test_a_time_offset_postgresql_cannot_keep_is_refused_naming_time(
        client: FlaskClient, services: Services, event: str, time: str) -> None:
    # +16:00 once failed the call record's write on PostgreSQL: a 500.
    answer = post(client, {"event": event, "call_id": "17.2", "extension": "211",
                           "time": time})
    assert answer.status_code == 422 and answer.json["field"] == "time"
    assert "offset" in answer.json["reason"]
    assert stored_calls(services) == [] and registered_calls(services) == 0


def test_the_widest_real_offsets_are_taken(client: FlaskClient, services: Services) -> None:
    for n, time in enumerate(("2026-11-23T22:00:00+14:00", "2026-11-22T20:00:00-12:00",
                              "2026-11-23T23:59:00+15:59")):
        answer = post(client, {"event": "call.entered", "call_id": f"17.{n}", "time": time})
        assert answer.status_code == 200, answer.data
    assert len(stored_calls(services)) == 3
