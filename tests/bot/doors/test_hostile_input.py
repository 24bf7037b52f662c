"""Hostile text in every text field of every HTTP door (issue 19), on each database.

For each route of the application (listed from ``app.url_map``: a new route without a
probe here fails ``test_every_route_is_probed``), a valid, genuinely signed or
authenticated request is built, and each of its text fields in turn gets hostile text
(testing.hostile: NUL, CR/LF, control characters, bidirectional marks, lone surrogates,
very long strings, odd Unicode, numbers as strings, the empty string); JSON fields also
get values of the wrong type, and each field is also dropped. For every request:

- the answer is not a 5xx;
- nothing is logged at ERROR (no traceback), including work the door finishes after
  answering (Slack);
- a refused request (4xx) wrote no row in any table (counted before and after), except
  the bookkeeping the door documents (the IVR's rate windows, its recorded refusals);
- no audit row is left "running" (half written).

Bounded and derandomized: the ``CORE`` values, then ``HOSTILE_EXAMPLES`` drawn examples
per field (default 2). Each test
builds its Flask app once and probes all its fields with it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.doors.http import sign
from bot.doors.slack.door import SlackDoor
from commands import links
from commands.core import Services
from commands.shifts.calendar_feed import feed_url
from commands.stats.card import CHART_PURPOSE
from integrations.clock import FixedClock
from store.callbacks.capacity_io import MAX_PER_INTERVAL
from store.db import reading, transaction
from store.demo.team import load_demo
from store.team import audit, people
from testing.fake_slack import TEAM_ID, FakeSlack
from testing.google_tokens import CertsServer, open_door
from testing.hostile import (
    Path,
    dotted,
    header_safe,
    hostile_text,
    ill_typed,
    leaf_paths,
    replaced,
    row_counts,
    without,
)
from testing.ivr import CAPACITY, load_capacity, open_ivr
from testing.timetable import import_week
from tests.conftest import T0, Database, make_services, make_settings

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "2"))
# Tried in every field before the drawn examples: the classes that broke a door once.
CORE = ("\x00", "a\r\nb", "x" * 5000, "", "\u202e\ud800 9")
SERIAL = itertools.count(1)

# Which test probes each endpoint: a route added to the app must be added here.
PROBED = {
    "google_chat": "test_google_chat", "slack_events": "test_slack",
    "pbx_events": "test_pbx_events", "tasks": "test_tasks", "calendar": "test_calendar_feed",
    "charts": "test_charts", "ivr_getSlots": "test_ivr", "ivr_bookCallback": "test_ivr",
    "ivr_findCallbacks": "test_ivr", "ivr_getCallback": "test_ivr",
    "ivr_cancelCallback": "test_ivr", "ivr_getCallbackVariables": "test_ivr",
    "ivr_openapi": "test_plain_routes", "healthz": "test_plain_routes",
    "readyz": "test_plain_routes", "static": "test_plain_routes",
    # and every credential header: test_hostile_credentials_are_refused
}


def test_every_route_is_probed(db: Database) -> None:
    settings = make_settings(DATABASE_URL=db.url, SLACK_SIGNING_SECRET="s",
                             SLACK_BOT_TOKEN="xoxb-test")
    app = create_app(settings, make_services(db, settings, FixedClock(T0)))
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(PROBED), "probe the new route here (and list it in PROBED)"
    assert set(PROBED.values()) <= set(globals())


# --------------------------------------------------------------------------- the probe

RUNNING = "audit rows left running"
RUNNING_AUDITS = "SELECT count(*) FROM audit_entry WHERE outcome = 'running'"
assert audit.RUNNING == "running"


@dataclass
class Probe:
    """Sends a request and holds it to the rules in the module docstring."""

    engine: Engine
    caplog: pytest.LogCaptureFixture
    settle: Callable[[], object] = lambda: None
    bookkeeping: frozenset[str] = frozenset()
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    _last: dict[str, int] | None = None

    def __call__(self, send: Callable[[], TestResponse], what: str) -> TestResponse:
        before = self._last or self.snapshot()
        self._last = None
        self.caplog.clear()
        response = send()
        self.settle()
        self.sent += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (what, response.status_code, response.data[:300])
        errors = [f"{r.name}: {r.getMessage()}" for r in self.caplog.records
                  if r.levelno >= logging.ERROR or r.exc_info]
        assert not errors, (what, errors)
        after = self.snapshot()
        assert after.pop(RUNNING) == 0, (what, "an audit row was left running")
        if 400 <= response.status_code < 500:
            changed = {t for t in after if after[t] != before[t]} - self.bookkeeping
            assert not changed, (what, response.status_code, changed)
            self._last = {**after, RUNNING: 0}  # the next request starts from here
        if os.environ.get("HOSTILE_TRACE"):
            print(response.status_code, what)
        return response

    def snapshot(self) -> dict[str, int]:
        return row_counts(self.engine, {RUNNING: RUNNING_AUDITS})


def hypothesis_settings(examples: int = EXAMPLES) -> Any:
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def each_field(body: dict[str, Any], send: Callable[[dict[str, Any], str], object], *,
               typed: bool = True, skip: Callable[[Path], bool] = lambda _: False) -> int:
    """Every field of ``body`` in turn: dropped, then the ``CORE`` texts and drawn hostile
    text in its place. For JSON (``typed``) also values of another type, and every object
    and array is dropped and replaced by other types too. ``send(body, what)`` probes one
    request."""
    paths = [p for p in leaf_paths(body, branches=typed) if p and not skip(p)]
    leaves = set(leaf_paths(body))
    for path in paths:
        send(without(body, path), f"without {dotted(path)}")
        if path in leaves:
            for value in CORE:
                send(replaced(body, path, value), f"{dotted(path)}={value!r:.80}")
            _each_value(body, path, hostile_text() | ill_typed() if typed else hostile_text(),
                        send)
        else:
            _each_value(body, path, ill_typed(), send)
    return len(paths)


def _each_value(body: dict[str, Any], path: Path, values: st.SearchStrategy[Any],
                send: Callable[[dict[str, Any], str], object]) -> None:
    @given(value=values)
    @hypothesis_settings()
    def probe(value: Any) -> None:
        send(replaced(body, path, value), f"{dotted(path)}={value!r:.80}")

    probe()


def signable(payload: Any) -> Any:
    """The payload without lone surrogates (which no signer can encode)."""
    return json.loads(json.dumps(payload, ensure_ascii=False)
                      .encode("utf-8", "replace").decode("utf-8"))


def path_part(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


# --------------------------------------------------------------------------- Google Chat


def test_google_chat(db: Database, clock: FixedClock, certs: CertsServer,
                     caplog: pytest.LogCaptureFixture) -> None:
    classic_door = open_door(db, clock, certs.certs_url)
    addon_door = open_door(db, clock, certs.certs_url, mode="addon", demo=False)
    probe = Probe(db.engine, caplog)
    alice = {"name": "users/211", "displayName": "Alice Agent",
             "email": "alice@switchboard.example", "type": "HUMAN"}
    dm = {"name": "spaces/DM1", "type": "DM", "spaceType": "DIRECT_MESSAGE",
          "singleUserBotDm": True}
    room = {"name": "spaces/ROOM1", "type": "ROOM", "spaceType": "SPACE",
            "displayName": "Support team"}
    message = {"name": "spaces/ROOM1/messages/M",
               "text": "@Switchboard whoami please", "argumentText": " whoami please",
               "thread": {"name": "spaces/ROOM1/threads/T1"}, "space": room,
               "slashCommand": {"commandId": "1"},
               "annotations": [{"type": "USER_MENTION", "startIndex": 0, "length": 12,
                                "userMention": {"user": {"name": "users/999",
                                                         "displayName": "Switchboard",
                                                         "type": "BOT"}}}]}
    time = "2026-11-23T08:00:00.000000Z"
    classic_bodies = [
        {"type": "MESSAGE", "eventTime": time, "user": alice, "space": room,
         "message": message},
        {"type": "CARD_CLICKED", "eventTime": time, "user": alice, "space": dm,
         "message": {"name": "spaces/DM1/messages/CARD"},
         "action": {"actionMethodName": "switchboard",
                    "parameters": [{"key": "command", "value": "whoami"},
                                   {"key": "args", "value": ""}]},
         "common": {"parameters": {"command": "whoami", "args": ""}}},
        {"type": "ADDED_TO_SPACE", "eventTime": time, "user": alice, "space": dm},
    ]
    addon_body = {
        "commonEventObject": {"hostApp": "CHAT", "parameters": {"command": "whoami"}},
        "chat": {"user": alice, "eventTime": time, "space": dm,
                 "messagePayload": {"space": dm, "message": {
                     "name": "spaces/DM1/messages/M", "text": "/whoami",
                     "argumentText": "", "slashCommand": {"commandId": "1"}}}}}

    def sender(door: Any) -> Callable[[dict[str, Any], str], object]:
        token = door.token()  # good for the whole test: the clock does not move

        def send(body: dict[str, Any], what: str) -> object:
            unique = next(SERIAL)  # a fresh message and time: no answer from the store
            body = json.loads(json.dumps(body).replace("/messages/M", f"/messages/M{unique}")
                              .replace("08:00:00.000000Z", f"08:00:00.{unique:06d}Z"))
            return probe(lambda: door.post(body, token), what)
        return send

    fields = sum(each_field(body, sender(classic_door)) for body in classic_bodies)
    fields += each_field(addon_body, sender(addon_door))
    assert fields > 40 and probe.statuses.get(200) and probe.statuses.get(400)


# --------------------------------------------------------------------------- Slack

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack(db: Database, clock: FixedClock) -> Iterator[tuple[Flask, FakeSlack, Services]]:
    users = {"U0ALICE": "alice@switchboard.example", "U0CARLA": "carla@switchboard.example"}
    with FakeSlack(users=users) as fake:
        settings = make_settings(DATABASE_URL=db.url, SLACK_SIGNING_SECRET=SLACK_SECRET,
                                 SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake.api_url)
        services = make_services(db, settings, clock)
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
        app = create_app(settings, services)
        yield app, fake, services
        app.extensions["switchboard.slack"].close()


def test_slack(db: Database, slack: tuple[Flask, FakeSlack, Services],
               caplog: pytest.LogCaptureFixture) -> None:
    app, fake, services = slack
    door: SlackDoor = app.extensions["switchboard.slack"]
    client = app.test_client()
    probe = Probe(db.engine, caplog, settle=lambda: door.drain(10))

    def post(body: bytes, content_type: str) -> TestResponse:
        ts = str(int(services.clock.now().timestamp()))
        signature = SignatureVerifier(SLACK_SECRET).generate_signature(
            timestamp=ts, body=body.decode("utf-8", "surrogatepass"))
        return client.post("/slack/events", data=body, content_type=content_type,
                           headers={"X-Slack-Request-Timestamp": ts,
                                    "X-Slack-Signature": signature})

    def unique(body: dict[str, Any]) -> dict[str, Any]:
        n = next(SERIAL)  # a fresh trigger and event id: no answer from the store
        return json.loads(json.dumps(body).replace("TRIGGER", f"{n}.2.3")
                          .replace("EVENT", f"Ev{n:08d}"))

    def form(body: dict[str, Any], what: str) -> object:
        encoded = urlencode(unique(body), errors="surrogatepass").encode()
        return probe(lambda: post(encoded, "application/x-www-form-urlencoded"), what)

    def interaction(payload: dict[str, Any], what: str) -> object:
        encoded = urlencode({"payload": json.dumps(unique(payload))}).encode()
        return probe(lambda: post(encoded, "application/x-www-form-urlencoded"), what)

    def event(body: dict[str, Any], what: str) -> object:
        encoded = json.dumps(unique(body)).encode()
        return probe(lambda: post(encoded, "application/json"), what)

    command = {"token": "legacy", "team_id": TEAM_ID, "team_domain": "fake",
               "channel_id": "C0GENERAL", "channel_name": "general", "user_id": "U0ALICE",
               "user_name": "alice", "command": "/switchboard", "text": "whoami",
               "api_app_id": "A0APP", "trigger_id": "TRIGGER",
               "response_url": fake.response_url("switchboard")}
    click = {"type": "block_actions", "user": {"id": "U0CARLA", "team_id": TEAM_ID},
             "api_app_id": "A0APP", "team": {"id": TEAM_ID}, "trigger_id": "TRIGGER",
             "container": {"type": "message", "message_ts": "1.1",
                           "channel_id": "C0GENERAL"},
             "channel": {"id": "C0GENERAL", "name": "general"},
             "response_url": fake.response_url("r"),
             "actions": [{"action_id": "switchboard:0", "block_id": "b1", "type": "button",
                          "value": '{"command": "whoami", "args": ""}', "action_ts": "1.2"}]}
    envelope = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP",
                "type": "event_callback", "event_id": "EVENT", "event_time": 1_700_000_000,
                "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID,
                                    "user_id": "U0BOT", "is_bot": True,
                                    "is_enterprise_install": False}],
                "event": {"type": "message", "channel_type": "im", "user": "U0ALICE",
                          "text": "whoami", "channel": "D0ALICE", "ts": "1700000000.000100",
                          "event_ts": "1700000000.000100", "thread_ts": "1700000000.000100"}}
    mention = replaced(replaced(replaced(envelope, ("event", "type"), "app_mention"),
                                ("event", "channel"), "C0GENERAL"),
                       ("event", "text"), "<@U0BOT> whoami")
    # A response_url pointing anywhere but the fake would leave the test machine.
    outside = {("response_url",)}
    # /whoami typed in a direct message: the named-command path, and the DM remembered
    named = {**command, "command": "/whoami", "text": "", "channel_id": "D0ALICE",
             "channel_name": "directmessage"}
    fields = each_field(command, form, typed=False, skip=outside.__contains__)
    fields += each_field(named, form, typed=False, skip=outside.__contains__)
    fields += each_field(click, interaction, skip=outside.__contains__)
    fields += each_field(envelope, event) + each_field(mention, event)

    @given(name=hostile_text(), args=hostile_text())
    @hypothesis_settings(EXAMPLES * 10)
    def button(name: str, args: str) -> None:
        """A button's value is JSON of its own: hostile text in its command and args."""
        value = json.dumps({"command": name, "args": args})
        interaction(replaced(click, ("actions", 0, "value"), value), f"button {value:.80}")

    button()
    assert fields > 40 and probe.statuses.get(200) and probe.statuses.get(400)


# --------------------------------------------------------------------------- PBX webhook

PBX_SECRET = "whsec-test"


def test_pbx_events(db: Database, services: Services,
                    caplog: pytest.LogCaptureFixture) -> None:
    with transaction(services.sessions) as session:
        load_demo(session, services.clock.now())
    settings = make_settings(DATABASE_URL=db.url, PBX_WEBHOOK_SECRET=PBX_SECRET)
    services.settings = settings
    client = create_app(settings, services).test_client()
    probe = Probe(db.engine, caplog)
    stamp = int(services.clock.now().timestamp())

    def send(body: dict[str, Any], what: str) -> object:
        raw = json.dumps(body).replace("CALL", f"17000{next(SERIAL):05d}.1").encode()
        headers = {"Content-Type": "application/json",
                   "X-Switchboard-Signature": sign(PBX_SECRET, stamp, raw)}
        return probe(lambda: client.post("/pbx/events", data=raw, headers=headers), what)

    base = {"call_id": "CALL", "queue": "soporte", "caller": "+34600112233",
            "extension": "201", "time": "2026-11-23T08:59:00+01:00",
            "data": {"name": "Ana Cliente", "crm_code": "C-1"}}
    fields = 0
    for kind in ("call.entered", "call.ringing", "call.answered", "call.ended"):
        fields += each_field({"event": kind, **base}, send)
    assert fields > 20 and probe.statuses.get(200) and probe.statuses.get(422)


# --------------------------------------------------------------------------- IVR API


def test_ivr(db: Database, demo: Services, caplog: pytest.LogCaptureFixture) -> None:
    """Each field of a booking, each query parameter and each id in a path. The
    schemathesis fuzz test (ivr/test_fuzz.py) holds the answers to the OpenAPI document;
    this one holds the hostile text to the rules above."""
    load_capacity(demo, re.sub(r'(":\s*)\d+', rf"\g<1>{MAX_PER_INTERVAL}", CAPACITY))
    ivr = open_ivr(demo, IVR_RATE_PER_MINUTE="1000000")
    # rate windows are counted per request; a slot_full refusal is recorded on purpose
    probe = Probe(db.engine, caplog,
                  bookkeeping=frozenset({"ivr_rate_window", "callback_refusal",
                                         "ivr_idempotency"}))
    booked = ivr.post("/callbacks", {"phone": "612345678", "queue": "soporte",
                                     "when": "2026-11-24T10:00:00+01:00"})
    assert booked.status_code == 201
    cid = booked.get_json()["id"]
    booking = {"phone": "PHONE", "when": "2026-11-24T10:00:00+01:00", "queue": "soporte",
               "campaign": "renewals", "customer_id": "C-1", "customer_name": "Ana Cliente",
               "agent": "alice", "data": {"order": "A-7", "note": "hi"}}

    def book(body: dict[str, Any], what: str) -> object:
        # a number of its own: a new booking each time, not the pending one again
        body = json.loads(json.dumps(body).replace('"PHONE"', f'"6{next(SERIAL):08d}"'))
        return probe(lambda: ivr.post("/callbacks", body, headers={
            "Idempotency-Key": f"k{next(SERIAL)}"}), what)

    fields = each_field(booking, book)

    @given(value=hostile_text())
    @hypothesis_settings(EXAMPLES * 3)
    def queries(value: str) -> None:
        for path in (f"/slots?queue={quote(value, errors='surrogatepass')}",
                     f"/slots?queue=soporte&campaign={quote(value, errors='surrogatepass')}",
                     f"/slots?queue=soporte&date={quote(value, errors='surrogatepass')}",
                     f"/callbacks?phone={quote(value, errors='surrogatepass')}"):
            probe(lambda p=path: ivr.get(p), path)  # type: ignore[misc]
        part = path_part(value)
        probe(lambda: ivr.get(f"/callbacks/{part}"), f"get {value!r:.60}")
        probe(lambda: ivr.get(f"/callbacks/{part}/variables"), f"variables {value!r:.60}")
        probe(lambda: ivr.delete(f"/callbacks/{part}"), f"cancel {value!r:.60}")
        probe(lambda: ivr.post("/callbacks", {**booking, "phone": "612345670"},
                               headers={"Idempotency-Key": header_safe(value) or "k"}),
              f"Idempotency-Key {value!r:.60}")

    queries()
    assert probe(lambda: ivr.get(f"/callbacks/{cid}"), "the booking").status_code == 200
    assert fields >= 9 and probe.statuses.get(422) and probe.statuses.get(201, 0) >= 15


# --------------------------------------------------------------------------- links


def test_charts(db: Database, services: Services, caplog: pytest.LogCaptureFixture) -> None:
    client = create_app(services.settings, services).test_client()
    probe = Probe(db.engine, caplog)
    expires = services.clock.now().replace(year=2027)

    @given(day=hostile_text() | st.dates().map(date.isoformat) | ill_typed(),
           queue=hostile_text() | ill_typed())
    @hypothesis_settings(EXAMPLES * 10)
    def charts(day: Any, queue: Any) -> None:
        token = links.token(services.settings, CHART_PURPOSE,
                            signable({"d": day, "q": queue}), expires)
        probe(lambda: client.get(f"/charts/{token}.png"), f"d={day!r:.60} q={queue!r:.60}")
        probe(lambda: client.get(f"/charts/{path_part(str(queue))}.png"), "raw token")

    charts()


def test_calendar_feed(db: Database, demo: Services, caplog: pytest.LogCaptureFixture) -> None:
    import_week(demo)
    client = create_app(demo.settings, demo).test_client()
    probe = Probe(db.engine, caplog)

    @given(key=hostile_text() | ill_typed(), version=ill_typed() | hostile_text())
    @hypothesis_settings(EXAMPLES * 10)
    def feeds(key: Any, version: Any) -> None:
        token = links.token(demo.settings, "calendar", signable([key, version]))
        probe(lambda: client.get(f"/calendar/{token}.ics"), f"[{key!r:.60}, {version!r:.60}]")
        probe(lambda: client.get(f"/calendar/{path_part(str(key))}.ics"), "raw token")

    feeds()

    @given(name=hostile_text().filter(lambda n: n.strip() and len(n) <= 200))
    @hypothesis_settings(EXAMPLES * 3)
    def named(name: str) -> None:
        """A name the store holds, however odd (issue 19: CR/LF once made it a 500)."""
        with transaction(demo.sessions) as session:
            person = people.by_key(session, "alice")
            assert person is not None
            person.name = name.replace("\x00", "").encode("utf-8", "replace").decode()
        with reading(demo.sessions) as session:
            alice = people.by_key(session, "alice")
            assert alice is not None
            path = feed_url(session, demo.settings, alice).partition("/calendar/")[2]
        answer = probe(lambda: client.get(f"/calendar/{path}"), f"name {name!r:.60}")
        assert answer.status_code == 200

    named()


# --------------------------------------------------------------------------- the rest


def test_tasks(db: Database, services: Services, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(DATABASE_URL=db.url, TASKS_TOKEN="tasks-secret")
    services.settings = settings
    client = create_app(settings, services).test_client()
    probe = Probe(db.engine, caplog)

    @given(value=hostile_text())
    @hypothesis_settings(EXAMPLES * 5)
    def tasks(value: str) -> None:
        job = path_part(value) or "x"
        probe(lambda: client.post(f"/tasks/{job}",
                                  headers={"Authorization": "Bearer tasks-secret"}),
              f"job {value!r:.60}")
        probe(lambda: client.post("/tasks/outbox", headers={
            "Authorization": f"Bearer {header_safe(value)}",
            "X-Appengine-Cron": header_safe(value)}), f"token {value!r:.60}")

    tasks()


def test_plain_routes(db: Database, services: Services,
                      caplog: pytest.LogCaptureFixture) -> None:
    client = create_app(services.settings, services).test_client()
    probe = Probe(db.engine, caplog)

    @given(value=hostile_text())
    @hypothesis_settings(EXAMPLES * 5)
    def plain(value: str) -> None:
        query = urlencode({"q": value}, errors="surrogatepass")
        for route in ("/healthz", "/readyz", "/ivr/v1/openapi.json"):
            probe(lambda r=route: client.get(f"{r}?{query}"), f"{route} {value!r:.60}")  # type: ignore[misc]
        probe(lambda: client.get(f"/static/{path_part(value) or 'x'}"), f"static {value!r:.60}")

    plain()


# --------------------------------------------------------------------------- credentials


def test_hostile_credentials_are_refused(db: Database, clock: FixedClock, certs: CertsServer,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """Every door's credential header holding hostile text: refused (401), nothing written."""
    door = open_door(db, clock, certs.certs_url, demo=False, SLACK_SIGNING_SECRET="s",
                     SLACK_BOT_TOKEN="xoxb-test", PBX_WEBHOOK_SECRET=PBX_SECRET,
                     TASKS_TOKEN="tasks-secret")
    client = door.client
    probe = Probe(db.engine, caplog)
    body = json.dumps({"event": "call.entered", "call_id": "1.1"})

    @given(value=hostile_text(), stamp=st.sampled_from(["", "1700000000", "-1", "1e9"])
           | hostile_text())
    @hypothesis_settings(EXAMPLES * 10)
    def credentials(value: str, stamp: str) -> None:
        value, stamp = header_safe(value), header_safe(stamp)
        for route, headers in (
                ("/chat/google", {"Authorization": f"Bearer {value}"}),
                ("/chat/google", {"Authorization": value}),
                ("/slack/events", {"X-Slack-Signature": value,
                                   "X-Slack-Request-Timestamp": stamp}),
                ("/pbx/events", {"X-Switchboard-Signature": f"t={stamp},v1={value}"}),
                ("/ivr/v1/callbacks", {"Authorization": f"Bearer {value}"}),
                ("/tasks/outbox", {"Authorization": f"Bearer {value}"})):
            answer = probe(lambda r=route, h=headers: client.post(  # type: ignore[misc]
                r, data=body, headers={"Content-Type": "application/json", **h}),
                f"{route} {headers}")
            assert answer.status_code == 401, (route, headers)

    credentials()
