"""Hostile text in every text field of every HTTP door (issue 19), on each database.

For each route of the application (the chat doors, the IVR API, the links, the desk with
its sign-in, /metrics) (listed from ``app.url_map``: a new route without a
probe here fails ``test_every_route_is_probed``), a valid, genuinely signed or
authenticated request is built, and each of its text fields in turn gets hostile text
(testing.hostile: NUL, CR/LF, control characters, bidirectional marks, lone surrogates,
very long strings, odd Unicode, numbers as strings, the empty string); JSON fields also
get values of the wrong type, and each field is also dropped. For every request:

- the answer is not a 5xx;
- nothing is logged at ERROR (no traceback), including work the door finishes after
  answering (Slack);
- a refused request (4xx) wrote no row in any table (counted before and after), except
  the bookkeeping the door documents (the IVR's rate windows, its recorded refusals; the
  audit row of a command the desk ran and that refused, as in chat);
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
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.desk.auth import COOKIE, Sessions, sign_in_link
from bot.doors.http import sign
from bot.doors.slack.door import SlackDoor
from commands import links
from commands.core import Services
from commands.shifts.calendar_feed import feed_url
from commands.shifts.planning import chat as planning_chat
from commands.stats.card import CHART_PURPOSE
from integrations.clock import FixedClock
from store.callbacks.capacity_io import MAX_PER_INTERVAL
from store.db import reading, transaction
from store.demo.team import load_demo
from store.team import audit, people
from testing.fake_oidc import FakeOidc
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
from tests.bot.desk.conftest import Desk
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
    "metrics": "test_metrics", "desk.signin_google": "test_desk_google",
    "desk.signin_callback": "test_desk_google",
    **{f"desk.{name}": "test_desk" for name in (
        "home", "signin", "signin_link", "signout", "board", "board_live", "do", "week",
        "week_cell", "week_swap", "week_plan", "week_publish", "week_yaml", "week_csv", "callbacks", "callbacks_book",
        "caller", "caller_current", "stats", "stats_csv", "stats_chart", "people", "audit",
        "people_css", "static")},
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


# --------------------------------------------------------------------------- the desk

# Dates at the ends of the calendar, tried in every date field besides the hostile text.
EDGE_DATES = ("0001-01-01", "9999-12-31", "2026-02-30", "0001-01-01T00:00:00+00:00",
              "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "2026-11-24T10:00")
EDGE_PERIODS = ("9999-12-31", "0001-01-01", "0001-01-01..9999-12-31", "9999-12-30..9999-12-31",
                "2026-11-30..2026-11-01", "month 13")
# Refused commands leave their audit row (as in chat): the desk's only bookkeeping.
DESK_BOOKKEEPING = frozenset({"audit_entry"})
ADMIN_PAGES = ("/desk/people", "/desk/audit")


def form(client: FlaskClient, path: str, data: dict[str, str], **kwargs: Any) -> TestResponse:
    """A form POST as a browser sends it (text a browser could not encode included)."""
    return client.post(path, data=urlencode(data, errors="surrogatepass"),
                       content_type="application/x-www-form-urlencoded", **kwargs)


def query(path: str, args: dict[str, Any]) -> str:
    return f"{path}?{urlencode(args, errors='surrogatepass')}" if args else path


def desk_app(demo: Services, **settings: str) -> Flask:
    demo.pbx.set_members(["211", "212", "213", "214"])  # as `make run` starts the sim PBX
    if settings:
        demo.settings = demo.settings.replace(**settings)
    return create_app(demo.settings, demo, local=True)


def test_desk(db: Database, demo: Services, caplog: pytest.LogCaptureFixture) -> None:
    """Every desk route, signed in as a coordinator (and an agent where roles matter): each
    query argument, form field (the CSRF token too), path segment and polling header."""
    app = desk_app(demo)
    coordinator, agent = Desk(app, demo).sign_in("carla"), Desk(app, demo).sign_in("alice")
    admin = Desk(app, demo).sign_in("ada")  # the people and audit pages are theirs
    # "Plan this week" solves in the background, as /plan does: each probe waits for it.
    probe = Probe(db.engine, caplog, settle=lambda: planning_chat.wait(120),
                  bookkeeping=DESK_BOOKKEEPING)


    def strict() -> Probe:  # refused before any command runs: nothing written at all
        return Probe(db.engine, caplog)

    def getter(desk: Desk, path: str, dates: tuple[str, ...] = ()
               ) -> Callable[[dict[str, Any], str], object]:
        def send(args: dict[str, Any], what: str) -> object:
            return probe(lambda: desk.client.get(query(path, args)), f"GET {path} {what}")
        return send

    gets: list[tuple[str, dict[str, str], tuple[str, ...]]] = [
        ("/desk/", {"q": "x"}, ()), ("/desk/signin", {"next": "/desk/week"}, ()),
        ("/desk/board", {"wall": "1"}, ()), ("/desk/board/live", {"wall": "1"}, ()),
        ("/desk/week", {"start": "2026-11-23"}, EDGE_DATES),
        ("/desk/week/export.yaml", {"start": "2026-11-23"}, EDGE_DATES),
        ("/desk/week/export.csv", {"start": "2026-11-23"}, EDGE_DATES),
        ("/desk/callbacks", {"show": "all", "at": "2026-11-24T10:00:00+01:00"}, EDGE_DATES),
        ("/desk/caller", {"q": "x"}, ()), ("/desk/caller/current", {"q": "x"}, ()),
        ("/desk/stats", {"period": "week"}, EDGE_PERIODS + EDGE_DATES),
        ("/desk/stats.csv", {"period": "week"}, EDGE_PERIODS + EDGE_DATES),
        ("/desk/stats/chart.png", {"day": "2026-11-20"}, EDGE_DATES),
        ("/desk/people", {"q": "x"}, ()), ("/desk/audit", {"q": "x"}, ()),
        ("/desk/people.css", {"q": "x"}, ()),
    ]
    fields = 0
    for path, args, edges in gets:
        send = getter(admin if path in ADMIN_PAGES else coordinator, path)
        assert send(args, "as the page links it").status_code in (200, 303)  # type: ignore[attr-defined]
        fields += each_field(args, send, typed=False)
        for name in args:
            for value in edges:
                send({**args, name: value}, f"{name}={value}")
    for path in ADMIN_PAGES:  # above a coordinator's role
        for desk in (coordinator, agent):
            answer = probe(lambda d=desk, p=path: d.client.get(p), path)  # type: ignore[misc]
            assert answer.status_code == 403

    def poster(desk: Desk, path: str, check: Probe | None = None
               ) -> Callable[[dict[str, Any], str], object]:
        def send(data: dict[str, Any], what: str) -> object:
            return (check or probe)(lambda: form(desk.client, path, data),
                                    f"POST {path} {what}")
        return send

    posts: list[tuple[str, dict[str, str], tuple[str, ...]]] = [
        ("/desk/do", {"command": "pause", "args": "@alice lunch", "back": "/desk/board"}, ()),
        ("/desk/week/cell", {"day": "2026-11-23", "turn": "1", "line": "T1", "who": "hana"},
         EDGE_DATES),
        ("/desk/week/swap", {"a": "alice", "b": "bruno", "day": "2026-11-23", "turn": "1"},
         EDGE_DATES),
        # the plan first: the draft it makes is the one published next
        ("/desk/week/plan", {"week": "2026-11-30"}, EDGE_DATES),
        ("/desk/week/publish", {"week": "2026-11-30", "confirm": "yes"}, EDGE_DATES),
        ("/desk/callbacks/book", {"phone": "612345678", "at": "2026-11-24T10:00:00+01:00"},
         EDGE_DATES),
        ("/desk/caller", {"q": "Ana"}, ()),
    ]
    for desk in (coordinator, agent):
        for path, data, edges in posts:
            send = poster(desk, path)
            body = {**data, "csrf": desk.csrf}
            valid = send(body, "as it comes from the page").status_code  # type: ignore[attr-defined]
            if desk is coordinator:  # a search answers with its page, actions go back
                assert valid == (200 if path == "/desk/caller" else 303), (path, valid)
            elif "/week/" in path:
                assert valid == 403, (path, valid)  # the grid is for coordinators
            fields += each_field(body, send, typed=False,
                                 skip=lambda p: p == ("csrf",))
            for name in data:
                for value in edges:
                    send({**body, name: value}, f"{name}={value}")
            # a missing, wrong or hostile CSRF token: 403 before anything runs
            for token in (None, "", desk.csrf + "x", coordinator.csrf if desk is agent
                          else agent.csrf, *CORE):
                sent = {**data, **({} if token is None else {"csrf": token})}
                answer = poster(desk, path, strict())(sent, f"csrf={token!r:.40}")
                assert answer.status_code == 403, (path, token)  # type: ignore[attr-defined]
    # the week with its draft (made and published above), for each role
    for desk in (coordinator, agent):
        page = probe(lambda d=desk: d.client.get("/desk/week?start=2026-11-30"),  # type: ignore[misc]
                     "the week with a draft")
        assert page.status_code == 200
        assert ("The planner's draft" in page.text) is (desk is coordinator)

    @given(value=hostile_text())
    @hypothesis_settings(EXAMPLES * 5)
    def paths_and_headers(value: str) -> None:
        part = path_part(value) or "x"
        probe(lambda: coordinator.client.get(f"/desk/signin/link/{part}"), f"link {value!r:.60}")
        probe(lambda: coordinator.client.get(f"/desk/static/{part}"), f"static {value!r:.60}")
        for path in ("/desk/board/live", "/desk/caller/current"):
            probe(lambda p=path: coordinator.client.get(  # type: ignore[misc]
                p, headers={"If-None-Match": header_safe(value)}), f"{path} etag {value!r:.60}")
        # the Host header decides the cookie's Secure flag and Google's redirect address
        host = {"Host": header_safe(value)}
        link = sign_in_link(demo, "dani")
        probe(lambda: app.test_client().get(str(link), headers=host), f"host {value!r:.60}")
        probe(lambda: coordinator.client.get("/desk/signin", headers=host), "host signin")
        # signing out with a hostile token: refused, the session lives on
        answer = poster(coordinator, "/desk/signout", strict())({"csrf": value}, "signout")
        assert answer.status_code == 403  # type: ignore[attr-defined]

    paths_and_headers()
    forged_cookies(app, demo, strict())
    assert fields > 40 and probe.statuses.get(200) and probe.statuses.get(400)
    assert probe.statuses.get(303) and probe.statuses.get(403)
    out = form(coordinator.client, "/desk/signout", {"csrf": coordinator.csrf})
    assert out.status_code == 303
    assert coordinator.client.get("/desk/board/live").status_code == 401


def forged_cookies(app: Flask, demo: Services, probe: Probe) -> None:
    """A session cookie holding hostile text, signed or not, or signing a hostile value:
    nobody is signed in (pages send to the sign-in page, the rest answer 401)."""
    signer = Sessions(demo, demo.settings.secret_key, 1).signer
    client = app.test_client(use_cookies=False)

    @given(value=hostile_text() | ill_typed())
    @hypothesis_settings(EXAMPLES * 5)
    def cookies(value: Any) -> None:
        raw = header_safe(value) if isinstance(value, str) else json.dumps(value)
        for cookie in (raw, signer.dumps(signable(value)), signer.dumps(signable(value)) + "x"):
            headers = {"Cookie": f"{COOKIE}={header_safe(cookie)}"}
            page = probe(lambda h=headers: client.get("/desk/week", headers=h),  # type: ignore[misc]
                         f"cookie {cookie!r:.60}")
            assert page.status_code == 303
            poll = probe(lambda h=headers: client.get("/desk/board/live", headers=h),  # type: ignore[misc]
                         f"cookie {cookie!r:.60}")
            assert poll.status_code == 401
            post = probe(lambda h=headers: form(client, "/desk/do", {  # type: ignore[misc]
                "command": "pause", "csrf": raw}, headers=h), f"cookie {cookie!r:.60}")
            assert post.status_code == 401

    cookies()


def test_desk_google(db: Database, demo: Services, caplog: pytest.LogCaptureFixture) -> None:
    """Google sign-in: hostile text in every argument of the provider's answer (after a
    genuine start, so the flow's state is there), in the flow cookie, and a real code."""
    with FakeOidc("desk-client", "desk-secret", email="carla@switchboard.example") as oidc:
        app = desk_app(demo, desk_google_client_id="desk-client",
                       desk_google_client_secret="desk-secret",
                       desk_oidc_discovery_url=oidc.discovery_url)
        client = app.test_client()
        probe = Probe(db.engine, caplog)

        def start(args: dict[str, Any] | None = None) -> dict[str, str]:
            answer = probe(lambda: client.get(query("/desk/signin/google", args or {}),
                                              base_url=DESK_SITE), f"start {args}")
            assert answer.status_code == 302
            return {k: v[0] for k, v in parse_qs(urlsplit(answer.location).query).items()}

        def provider_answer() -> dict[str, str]:
            """A fresh start, and the provider's genuine answer to it (a code of its own)."""
            asked = start()
            back = urlsplit(httpx.get(oidc.issuer + "/authorize?" + urlencode(asked),
                                      follow_redirects=False).headers["location"])
            return {k: v[0] for k, v in parse_qs(back.query).items()}

        def send(args: dict[str, Any], what: str) -> object:
            genuine = provider_answer()  # its state and code unless the probe changed them
            args = {k: genuine.get(k, v) if v == k.upper() else v for k, v in args.items()}
            return probe(lambda: client.get(query("/desk/signin/callback", args),
                                            base_url=DESK_SITE), f"callback {what}")

        answer = provider_answer()
        assert set(answer) >= {"code", "state"}
        signed_in = send({k: k.upper() for k in answer}, "genuine")
        assert signed_in.status_code == 303, signed_in.data  # type: ignore[attr-defined]
        fields = each_field({**{k: k.upper() for k in answer}, "error": "",
                             "iss": oidc.issuer}, send, typed=False)
        each_field({"next": "/desk/board", "prompt": "x"}, lambda a, w: start(a),
                   typed=False)

        @given(value=hostile_text())
        @hypothesis_settings(EXAMPLES * 3)
        def host(value: str) -> None:
            """The redirect address is built from the Host when PUBLIC_URL is empty."""
            probe(lambda: app.test_client().get("/desk/signin/google", headers={
                "Host": header_safe(value)}), f"host {value!r:.60}")

        host()

        @given(value=hostile_text())
        @hypothesis_settings(EXAMPLES * 3)
        def flow_cookie(value: str) -> None:
            state = start()["state"]
            fresh = app.test_client(use_cookies=False)
            probe(lambda: fresh.get(query("/desk/signin/callback", {"code": "c", "state": state}),
                                    base_url=DESK_SITE, headers={
                                        "Cookie": f"switchboard_desk_flow={header_safe(value)}"}),
                  f"flow cookie {value!r:.60}")

        flow_cookie()
        assert fields >= 4 and probe.statuses.get(401) and probe.statuses[303] > 1


DESK_SITE = "https://desk.example"


# --------------------------------------------------------------------------- /metrics


def test_metrics(db: Database, services: Services, caplog: pytest.LogCaptureFixture) -> None:
    """``/metrics`` (and ``/readyz?deep=1``, which asks the same): hostile bearer tokens
    and Authorization headers are refused with 401, hostile query strings change nothing;
    on METRICS_PORT, another port is a 404."""
    settings = make_settings(DATABASE_URL=db.url, METRICS_TOKEN="metrics-secret")
    services.settings = settings
    client = create_app(settings, services).test_client()
    on_port = make_settings(DATABASE_URL=db.url, METRICS_PORT="9100")
    port_client = create_app(on_port, make_services(db, on_port, services.clock)).test_client()
    probe = Probe(db.engine, caplog)

    @given(value=hostile_text())
    @hypothesis_settings(EXAMPLES * 10)
    def metrics(value: str) -> None:
        safe = header_safe(value)
        # (whitespace around a bearer token is not part of it, as HTTP has it)
        for headers in ({"Authorization": f"Bearer {safe}"}, {"Authorization": safe},
                        {"Authorization": f"Basic {safe}"},
                        {"Authorization": f"Bearer metrics-secret{safe.strip() or 'x'}"}):
            for path in ("/metrics", "/readyz?deep=1"):
                answer = probe(lambda p=path, h=headers: client.get(p, headers=h),  # type: ignore[misc]
                               f"{path} {headers!r:.80}")
                assert answer.status_code == 401, (path, headers)
        args = query("/metrics", {"name[]": value, value: "1"})
        good = {"Authorization": "Bearer metrics-secret"}
        assert probe(lambda: client.get(args, headers=good), f"query {value!r:.60}"
                     ).status_code == 200
        assert probe(lambda: port_client.get(args, environ_overrides={"SERVER_PORT": "9100"}),
                     f"port query {value!r:.60}").status_code == 200
        assert probe(lambda: port_client.get(args, environ_overrides={
            "SERVER_PORT": header_safe(value)}), f"port {value!r:.60}").status_code == 404 \
            or safe == "9100"

    metrics()
