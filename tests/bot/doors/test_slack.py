"""The Slack door end to end: genuinely signed requests through the Flask test client,
Bolt's real middleware, the dispatcher, the store, and a fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.doors.slack.door import ACK_DEADLINE, EMAIL_TTL, WORKING, SlackDoor
from bot.doors.slack.support import EmailCache, strip_mention
from bot.render.slack import render_message
from bot.runtime import Runtime
from commands.core import Button, Command, CommandError, Context, Reply, Section, Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from store.db import transaction
from store.demo.team import load_demo
from store.messaging import chat
from store.messaging.outbox import OutboxMessage
from store.team import people
from store.team.audit import AuditEntry
from testing.fake_slack import BOT_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack
from testing.local_server import Response
from tests.conftest import T0, Database, make_services, make_settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TRIGGERS = itertools.count(1)
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))  # Slack's trigger_id is unique per invocation
USERS = {"U0ALICE": "alice@switchboard.example", "U0CARLA": "carla@switchboard.example",
         "U0MALLORY": "mallory@elsewhere.example"}


@dataclass
class Rig:
    fake: FakeSlack
    app: Flask
    client: FlaskClient
    services: Services

    @property
    def door(self) -> SlackDoor:
        door = self.app.extensions["switchboard.slack"]
        assert isinstance(door, SlackDoor)
        return door

    def use_commands(self, *extra: Command) -> None:
        """A test-only command list next to the real ones."""
        runtime = self.app.extensions["switchboard"]
        assert isinstance(runtime, Runtime)
        runtime.dispatcher = Dispatcher((*COMMANDS, *extra), self.services)

    def post(self, body: str, content_type: str, *, secret: str = SECRET,
             timestamp: int | None = None, signed_body: str | None = None,
             headers: dict[str, str] | None = None) -> TestResponse:
        ts = str(int(self.services.clock.now().timestamp()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(
            timestamp=ts, body=body if signed_body is None else signed_body)
        return self.client.post("/slack/events", data=body, content_type=content_type,
                                headers={"X-Slack-Request-Timestamp": ts,
                                         "X-Slack-Signature": signature, **(headers or {})})

    def slash(self, text: str, *, user: str = "U0ALICE", command: str = "/switchboard",
              channel: str = "C0GENERAL") -> TestResponse:
        return self.post(slash_body(self.fake, text, user=user, command=command,
                                    channel=channel), "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, event_id: str = "Ev0001",
              headers: dict[str, str] | None = None) -> TestResponse:
        return self.post(json.dumps(envelope(event, event_id)), "application/json",
                         headers=headers)

    def click(self, value: str, *, user: str, response_url: str) -> TestResponse:
        payload = {
            "type": "block_actions", "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0APP", "team": {"id": TEAM_ID},
            "trigger_id": f"{next(TRIGGERS)}.2.3",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0GENERAL"},
            "channel": {"id": "C0GENERAL", "name": "general"}, "response_url": response_url,
            "actions": [{"action_id": "switchboard:0", "block_id": "b1", "type": "button",
                         "value": value, "action_ts": "1.2"}],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")


def slash_body(fake: FakeSlack, text: str, *, user: str = "U0ALICE",
               command: str = "/switchboard", channel: str = "C0GENERAL") -> str:
    return urlencode({
        "token": "legacy", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": channel,
        "channel_name": "general", "user_id": user, "user_name": user.lower(),
        "command": command, "text": text, "api_app_id": "A0APP",
        "trigger_id": f"{next(TRIGGERS)}.2.3",
        "response_url": fake.response_url(command.lstrip("/")),
    })


def envelope(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP",
            "type": "event_callback", "event_id": event_id, "event_time": 1_700_000_000,
            "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID,
                                "user_id": BOT_USER_ID, "is_bot": True,
                                "is_enterprise_install": False}],
            "event": {"ts": "1700000000.000100", "event_ts": "1700000000.000100", **event}}


def audit_rows(services: Services) -> list[AuditEntry]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def echo(ctx: Context, services: Services) -> Reply:
    return Reply(f"Echo: {ctx.arg_text}")  # public: everyone in the channel sees it


ECHO = Command(name="echo", run=echo, summary="Say it back", usage="/echo TEXT")


@pytest.fixture
def rig(db: Database, clock: FixedClock) -> Iterator[Rig]:
    with FakeSlack(users=dict(USERS)) as fake:
        settings = make_settings(DATABASE_URL=db.url, SLACK_SIGNING_SECRET=SECRET,
                                 SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake.api_url)
        services = make_services(db, settings, clock)
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
        app = create_app(settings, services)
        rig = Rig(fake, app, app.test_client(), services)
        yield rig
        rig.door.close()


def person(services: Services, key: str) -> people.Person:
    with transaction(services.sessions) as session:
        found = people.by_key(session, key)
        assert found is not None
        return found


# --------------------------------------------------------------------------- slash commands


def test_signed_slash_command_answers_in_the_body_and_links_the_person(rig: Rig) -> None:
    response = rig.slash("whoami")

    assert response.status_code == 200
    body = response.get_json()
    assert body["response_type"] == "ephemeral"  # /whoami is private
    assert body["text"] == "You are Alice Agent."
    assert {"type": "header", "text": {"type": "plain_text", "text": "Your profile",
                                       "emoji": True}} in body["blocks"]
    (row,) = audit_rows(rig.services)
    assert (row.platform, row.user_ref, row.command, row.outcome, row.space) == (
        "slack", "U0ALICE", "whoami", "ok", "C0GENERAL")
    assert row.person_id == person(rig.services, "alice").id
    assert person(rig.services, "alice").slack_id == "U0ALICE"
    [lookup] = rig.fake.calls("users.info")
    assert lookup.params["user"] == "U0ALICE" and lookup.token == "xoxb-test"

    again = rig.slash("help")
    assert again.status_code == 200 and "Here is what you can ask me" in again.get_json()["text"]
    assert len(rig.fake.calls("users.info")) == 1  # the stored Slack id is used now
    assert rig.fake.calls("auth.test") == []  # never: authorize uses the configured token


def test_per_command_slash_commands_run_that_command(rig: Rig) -> None:
    response = rig.slash("", command="/whoami", user="U0CARLA")
    assert response.get_json()["text"] == "You are Carla Coordinator."
    unknown = rig.slash("now", command="/frobnicate")
    assert "I don't know 'frobnicate'" in unknown.get_json()["text"]
    rows = audit_rows(rig.services)
    assert [(r.text, r.command, r.outcome) for r in rows] == [
        ("/whoami", "whoami", "ok"), ("/frobnicate now", None, "unknown_command")]


def test_a_public_reply_goes_in_channel_and_user_text_is_escaped(rig: Rig) -> None:
    rig.use_commands(ECHO)
    body = rig.slash("echo fish & <chips>").get_json()
    assert body["response_type"] == "in_channel"
    assert body["text"] == "Echo: fish &amp; &lt;chips&gt;"


def test_a_stranger_is_told_who_to_ask_and_audited(rig: Rig) -> None:
    body = rig.slash("whoami", user="U0MALLORY").get_json()
    assert "I don't know you yet" in body["text"] and body["response_type"] == "ephemeral"
    (row,) = audit_rows(rig.services)
    assert (row.outcome, row.person_id, row.user_ref) == ("unknown_person", None, "U0MALLORY")


def test_a_slow_command_is_acknowledged_then_answered_through_response_url(rig: Rig) -> None:
    release, started = threading.Event(), threading.Event()

    def slow(ctx: Context, services: Services) -> Reply:
        started.set()
        if not release.wait(10):
            raise CommandError("the test never released me")
        return Reply("Slow work done.", (Section(rows=(("took", "long"),)),))

    rig.use_commands(Command(name="slow", run=slow, summary="Slow", usage="/slow"))
    assert ACK_DEADLINE < 3  # Slack's limit; shortened below only to keep the test quick
    rig.door.ack_deadline = 0.3

    response = rig.slash("slow")
    assert response.status_code == 200
    assert response.get_json() == {"text": WORKING, "response_type": "ephemeral"}
    assert started.wait(5) and rig.fake.calls("response:switchboard") == []

    release.set()
    [late] = rig.fake.wait_for("response:switchboard")
    assert late.params["text"] == "Slow work done."
    assert late.params["response_type"] == "in_channel"
    assert late.params["blocks"][1]["fields"] == [{"type": "mrkdwn", "text": "*took*\nlong"}]
    assert rig.door.drain(5)
    assert [r.outcome for r in audit_rows(rig.services)] == ["ok"]


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "altered body"])
def test_unverified_requests_are_refused_and_nothing_runs(rig: Rig, forgery: str) -> None:
    body = slash_body(rig.fake, "whoami")
    form = "application/x-www-form-urlencoded"
    if forgery == "wrong secret":
        response = rig.post(body, form, secret="not-the-secret")
    elif forgery == "stale timestamp":
        response = rig.post(body, form,
                            timestamp=int(rig.services.clock.now().timestamp()) - 301)
    else:
        response = rig.post(body.replace("whoami", "people"), form, signed_body=body)

    assert response.status_code == 401
    assert rig.door.drain(5)
    assert audit_rows(rig.services) == []
    assert rig.fake.calls() == []
    assert person(rig.services, "alice").slack_id is None


def _stamped(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature over any timestamp and bytes, computed here (slack_sdk's
    generator would refuse bytes that are not UTF-8)."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body,
                            hashlib.sha256).hexdigest()


@pytest.mark.parametrize("case", ["non-numeric timestamp", "empty timestamp",
                                  "huge timestamp", "non-UTF-8 body", "non-ASCII signature",
                                  "stale timestamp", "future timestamp", "wrong signature",
                                  "no timestamp", "no signature"])
def test_what_the_verifier_chokes_on_is_a_refusal(rig: Rig, case: str) -> None:
    """slack_sdk's SignatureVerifier raises on some of these; each must be a 401 (never a
    500), with nothing run, even when the HMAC itself is right."""
    body = slash_body(rig.fake, "whoami").encode()
    now = int(rig.services.clock.now().timestamp())
    timestamp = {"non-numeric timestamp": "17e8", "empty timestamp": "",
                 "huge timestamp": "9" * 5000, "stale timestamp": str(now - 301),
                 "future timestamp": str(now + 301)}.get(case, str(now))
    if case == "non-UTF-8 body":
        body = body.replace(b"whoami", b"who\xffami")
    headers = {"X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": _stamped(body, timestamp)}
    if case == "non-ASCII signature":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-1] + "\u00e9"
    elif case == "wrong signature":
        headers["X-Slack-Signature"] = _stamped(body, timestamp, "not-the-secret")
    elif case == "no timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif case == "no signature":
        del headers["X-Slack-Signature"]

    response = rig.client.post("/slack/events", data=body,
                               content_type="application/x-www-form-urlencoded",
                               headers=headers)

    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid request"}
    assert rig.door.drain(5)
    assert audit_rows(rig.services) == [] and rig.fake.calls() == []
    assert person(rig.services, "alice").slack_id is None


def test_a_correctly_signed_request_passes_the_same_verifier(rig: Rig) -> None:
    """The control for the refusals above: the same request, stamped now, runs."""
    body = slash_body(rig.fake, "whoami").encode()
    timestamp = str(int(rig.services.clock.now().timestamp()))
    response = rig.client.post("/slack/events", data=body,
                               content_type="application/x-www-form-urlencoded",
                               headers={"X-Slack-Request-Timestamp": timestamp,
                                        "X-Slack-Signature": _stamped(body, timestamp)})
    assert response.status_code == 200
    assert [r.command for r in audit_rows(rig.services)] == ["whoami"]


def test_without_a_signing_secret_every_request_is_refused(db: Database,
                                                           clock: FixedClock) -> None:
    with FakeSlack(users=dict(USERS)) as fake:
        settings = make_settings(DATABASE_URL=db.url, SLACK_BOT_TOKEN="xoxb-test",
                                 SLACK_API_URL=fake.api_url)
        services = make_services(db, settings, clock)
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
        app = create_app(settings, services)
        rig = Rig(fake, app, app.test_client(), services)
        body = slash_body(fake, "whoami")
        ts = str(int(clock.now().timestamp()))
        empty_key = "v0=" + hmac.new(b"", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        for signature in (SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
                          empty_key):
            response = rig.client.post(
                "/slack/events", data=body, content_type="application/x-www-form-urlencoded",
                headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature})
            assert response.status_code == 401
        assert "switchboard.slack" not in app.extensions
        assert audit_rows(services) == [] and fake.calls() == []


def test_url_verification_is_answered_only_when_signed(rig: Rig) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    assert rig.post(body, "application/json").get_json() == {"challenge": "c-123"}
    assert rig.post(body, "application/json", secret="nope").status_code == 401


# --------------------------------------------------------------------------- events


def test_a_mention_in_a_channel_is_answered_with_chat_post_message(rig: Rig) -> None:
    rig.use_commands(ECHO)
    response = rig.event({"type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL",
                          "text": f"<@{BOT_USER_ID}> echo hi <@U0CARLA>"})
    assert response.status_code == 200 and response.get_data() == b""

    [post] = rig.fake.wait_for("chat.postMessage")
    assert post.token == "xoxb-test"
    assert post.params["channel"] == "C0GENERAL"
    assert post.params["text"] == "Echo: hi &lt;@U0CARLA&gt;"
    assert post.params["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Echo: hi &lt;@U0CARLA&gt;"}}]
    assert "thread_ts" not in post.params
    assert rig.door.drain(5)
    (row,) = audit_rows(rig.services)
    assert (row.text, row.command, row.space) == ("echo hi <@U0CARLA>", "echo", "C0GENERAL")


def test_a_private_reply_to_a_mention_is_ephemeral_to_the_asker(rig: Rig) -> None:
    rig.event({"type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL",
               "text": f"<@{BOT_USER_ID}> whoami", "thread_ts": "1699999999.000100"})
    [post] = rig.fake.wait_for("chat.postEphemeral")
    assert post.params["user"] == "U0ALICE" and post.params["channel"] == "C0GENERAL"
    assert post.params["thread_ts"] == "1699999999.000100"
    assert post.params["text"] == "You are Alice Agent."
    assert rig.door.drain(5)
    assert rig.fake.calls("chat.postMessage") == []


def test_a_direct_message_is_answered_once_even_when_redelivered(rig: Rig) -> None:
    dm = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
          "text": "whoami"}
    assert rig.event(dm, event_id="Ev0DM").status_code == 200
    [post] = rig.fake.wait_for("chat.postMessage")  # private, but a DM: a normal message
    assert post.params["channel"] == "D0ALICE" and post.params["text"] == "You are Alice Agent."
    assert rig.door.drain(5)

    retry = rig.event(dm, event_id="Ev0DM",
                      headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    assert rig.door.drain(5)
    assert len(rig.fake.calls("chat.postMessage")) == 1
    assert len(audit_rows(rig.services)) == 1
    with transaction(rig.services.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        space = chat.dm_space(session, "slack", alice.id)
        assert space is not None and space.name == "D0ALICE"


def test_bot_messages_edits_and_channel_chatter_are_ignored(rig: Rig) -> None:
    ignored = [
        {"type": "message", "channel_type": "im", "channel": "D0ALICE", "bot_id": BOT_ID,
         "text": "You are Alice Agent."},
        {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": BOT_USER_ID,
         "text": "whoami"},
        {"type": "message", "subtype": "message_changed", "channel_type": "im",
         "channel": "D0ALICE", "user": "U0ALICE", "text": "whoami"},
        {"type": "message", "channel_type": "channel", "channel": "C0GENERAL",
         "user": "U0ALICE", "text": "whoami"},
        {"type": "reaction_added", "user": "U0ALICE", "reaction": "tada"},
    ]
    for n, event in enumerate(ignored):
        assert rig.event(event, event_id=f"Ev0IGN{n}").status_code == 200
    assert rig.door.drain(5)
    assert rig.fake.calls() == []
    assert audit_rows(rig.services) == []


def test_a_rate_limited_post_is_retried_after_retry_after(rig: Rig) -> None:
    rig.fake.script("chat.postMessage", Response(429, {"ok": False, "error": "ratelimited"},
                                                 {"Retry-After": "0"}))
    rig.event({"type": "message", "channel_type": "im", "channel": "D0ALICE",
               "user": "U0ALICE", "text": "whoami"})
    first, second = rig.fake.wait_for("chat.postMessage", count=2)
    assert first.params == second.params


# --------------------------------------------------------------------------- buttons


def test_a_button_runs_its_command_authorized_like_typing_it(rig: Rig) -> None:
    rendered = render_message(Reply("Team", (Section(buttons=(Button("People", "people"),)),)))
    [button] = rendered["blocks"][1]["elements"]

    agent = rig.click(button["value"], user="U0ALICE", response_url=rig.fake.response_url("a"))
    assert agent.status_code == 200
    [refused] = rig.fake.wait_for("response:a")
    assert refused.params["text"].startswith("Sorry, /people is for coordinators")
    assert refused.params["response_type"] == "ephemeral"

    rig.click(button["value"], user="U0CARLA", response_url=rig.fake.response_url("c"))
    [allowed] = rig.fake.wait_for("response:c")
    assert allowed.params["text"] == "11 active people."
    assert allowed.params["replace_original"] is False
    assert rig.door.drain(5)
    assert [(r.user_ref, r.command, r.outcome) for r in audit_rows(rig.services)] == [
        ("U0ALICE", "people", "denied"), ("U0CARLA", "people", "ok")]


def test_a_button_without_a_command_is_reported_broken(rig: Rig) -> None:
    rig.click("not json", user="U0CARLA", response_url=rig.fake.response_url("x"))
    [answer] = rig.fake.wait_for("response:x")
    assert "That button is broken" in answer.params["text"]
    assert rig.door.drain(5)
    assert audit_rows(rig.services) == []


# --------------------------------------------------------------------------- pieces


def test_only_the_bots_own_leading_mention_is_stripped() -> None:
    assert strip_mention("<@U0BOT> pause me", "U0BOT") == "pause me"
    assert strip_mention("<@U0BOT|switchboard>: pause", "U0BOT") == "pause"
    assert strip_mention("<@U0CARLA> pause", "U0BOT") == "<@U0CARLA> pause"
    assert strip_mention("<@U0BOT> pause", None) == "<@U0BOT> pause"
    assert strip_mention("<@U0BOT> pause", None, mentioned=True) == "pause"


def test_emails_are_looked_up_once_per_user_until_they_expire() -> None:
    clock = FixedClock(T0)
    cache = EmailCache(clock, EMAIL_TTL)
    with FakeSlack(users={"U0ALICE": "alice@switchboard.example", "U0HIDDEN": None}) as fake:
        client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
        assert cache.lookup(client, "U0ALICE") == "alice@switchboard.example"
        assert cache.lookup(client, "U0ALICE") == "alice@switchboard.example"
        assert cache.lookup(client, "U0HIDDEN") is None  # no users:read.email, or a bot
        assert len(fake.calls("users.info")) == 2
        clock.advance(EMAIL_TTL)
        assert cache.lookup(client, "U0ALICE") == "alice@switchboard.example"
        assert len(fake.calls("users.info")) == 3

        fake.script("users.info", Response(500, "boom"))
        assert cache.lookup(client, "U0NEW") is None  # a failure is not remembered...
        fake.users["U0NEW"] = "new@switchboard.example"
        assert cache.lookup(client, "U0NEW") == "new@switchboard.example"  # ...so it asks again


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(("body", "content_type", "headers"), [
    ("{not json", "application/json", {}),
    ("payload=AAAA", "application/x-www-form-urlencoded", {}),
    ("command=%2Fswitchboard&text=whoami", "application/x-www-form-urlencoded",
     {"X-Slack-Request-Timestamp": "abc"}),
])
def test_unsigned_or_oddly_stamped_bodies_are_refused_before_parsing(
        rig: Rig, body: str, content_type: str, headers: dict[str, str]) -> None:
    sent = {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00",
            **headers}
    response = rig.client.post("/slack/events", data=body, content_type=content_type,
                               headers=sent)
    assert response.status_code == 401
    assert audit_rows(rig.services) == [] and rig.fake.calls() == []


@pytest.mark.parametrize(("body", "content_type"), [
    ("{not json", "application/json"),
    ("payload=AAAA", "application/x-www-form-urlencoded"),
    ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    ('{"a": ' * 3000 + "1" + "}" * 3000, "application/json"),
])
def test_signed_bodies_slack_never_sends_get_400(rig: Rig, body: str,
                                                 content_type: str) -> None:
    assert rig.post(body, content_type).status_code == 400
    assert audit_rows(rig.services) == []


@pytest.mark.parametrize("size", [500_000, 10_000_000])  # above the door's limit; the app's
def test_a_huge_body_is_refused_without_reading_it_all(rig: Rig, size: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    monkeypatch.setattr(SlackDoor, "precheck",
                        lambda self, headers, body: read.append(len(body)))
    response = rig.client.post("/slack/events", data=b"x" * size,
                               content_type="application/json",
                               headers={"X-Slack-Request-Timestamp": "1",
                                        "X-Slack-Signature": "v0=00"})
    assert response.status_code == 413
    assert read == []  # refused on its Content-Length, before the body was read


def _without(body: str, field: str, value: str | None = None) -> str:
    form = dict(parse_qsl(body, keep_blank_values=True))
    if value is None:
        del form[field]
    else:
        form[field] = value
    return urlencode(form)


@pytest.mark.parametrize(("field", "value"), [
    ("user_id", None),  # issue 19: a KeyError, answered 500 on both databases
    ("user_id", ""), ("user_id", "U0\x00ALICE"), ("user_id", "U" * 65),
    ("command", None), ("command", ""), ("channel_id", "C0\r\nGENERAL"),
])
def test_a_signed_slash_command_missing_a_field_gets_400_naming_it(
        rig: Rig, field: str, value: str | None) -> None:
    body = _without(slash_body(rig.fake, "whoami"), field, value)
    response = rig.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert json.loads(response.data)["field"] == field
    assert audit_rows(rig.services) == [] and rig.fake.calls() == []


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p.pop("user"), "user"),
    (lambda p: p.update(user={"team_id": TEAM_ID}), "user.id"),
    (lambda p: p.update(user="U0ALICE"), "user"),
    (lambda p: p.update(actions="switchboard:0"), "actions"),
    (lambda p: p["actions"][0].update(value=7), "actions.0.value"),
    (lambda p: p.update(channel=["C0GENERAL"]), "channel"),
    (lambda p: p.update(team=5), "team"),
    (lambda p: p.update(actions=[]), "actions"),  # a 500 (Bolt reads actions[0])
    (lambda p: p.pop("actions"), "actions"),
    (lambda p: p.update(view="modal"), "view"),
])
def test_a_signed_click_with_a_mistyped_field_gets_400_naming_it(
        rig: Rig, change: Any, field: str) -> None:
    payload = {
        "type": "block_actions", "user": {"id": "U0CARLA", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID}, "trigger_id": "78.2.3", "response_url": rig.fake.response_url("r"),
        "channel": {"id": "C0GENERAL"}, "actions": [{"action_id": "switchboard:0",
                                                     "value": '{"command": "people"}'}]}
    change(payload)
    response = rig.post(urlencode({"payload": json.dumps(payload)}),
                        "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert json.loads(response.data)["field"] == field
    assert rig.door.drain(5)
    assert audit_rows(rig.services) == [] and rig.fake.calls() == []


@pytest.mark.parametrize(("event", "body", "field"), [
    ({"type": "message", "channel_type": "im", "user": 7, "text": "whoami",
      "channel": "D0ALICE"}, {}, "event.user"),
    ({"type": "app_mention", "user": "U0ALICE", "text": ["whoami"], "channel": "C0GENERAL"},
     {}, "event.text"),
    ({"type": "message", "channel_type": "im", "user": "U0ALICE", "text": "whoami",
      "channel": "D0ALICE"}, {"authorizations": "U0BOT"}, "authorizations"),
    ({"type": "message", "channel_type": "im", "user": "U0ALICE", "text": "whoami",
      "channel": "D0ALICE"}, {"event_id": "Ev\x00"}, "event_id"),
    ({"user": "U0ALICE"}, {}, "event.type"),
])
def test_a_signed_event_with_a_mistyped_field_gets_400_naming_it(
        rig: Rig, event: dict[str, Any], body: dict[str, Any], field: str) -> None:
    response = rig.post(json.dumps({**envelope(event, "Ev0009"), **body}), "application/json")
    assert response.status_code == 400
    assert json.loads(response.data)["field"] == field
    assert rig.door.drain(5)
    assert audit_rows(rig.services) == [] and rig.fake.calls() == []


def test_a_command_whose_text_says_payload_still_runs(rig: Rig) -> None:
    """Bolt takes any form holding the word "payload" for an interactivity payload."""
    response = rig.slash("whoami payload", user="U0CARLA")
    assert response.status_code == 200
    assert response.get_json()["text"] == "You are Carla Coordinator."


def test_a_replayed_slash_command_runs_once_and_gets_the_first_answer(rig: Rig) -> None:
    body = slash_body(rig.fake, "announce Fire drill at 11", user="U0CARLA")
    first = rig.post(body, "application/x-www-form-urlencoded")
    replay = rig.post(body, "application/x-www-form-urlencoded")
    assert first.status_code == replay.status_code == 200
    assert json.loads(first.data)["text"] == json.loads(replay.data)["text"]
    assert "Queued your announcement" in json.loads(first.data)["text"]
    with transaction(rig.services.sessions) as session:
        assert len(list(session.scalars(select(OutboxMessage)))) == 1
    assert [r.command for r in audit_rows(rig.services)] == ["announce"]


def test_a_replayed_button_click_runs_once(rig: Rig) -> None:
    rendered = render_message(Reply("Team", (Section(buttons=(Button("People", "people"),)),)))
    [button] = rendered["blocks"][1]["elements"]
    payload = {
        "type": "block_actions", "user": {"id": "U0CARLA", "team_id": TEAM_ID},
        "api_app_id": "A0APP", "team": {"id": TEAM_ID}, "trigger_id": "77.2.3",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0GENERAL"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "response_url": rig.fake.response_url("r"),
        "actions": [{"action_id": "switchboard:0", "block_id": "b1", "type": "button",
                     "value": button["value"], "action_ts": "1.2"}]}
    body = urlencode({"payload": json.dumps(payload)})
    for _ in range(2):
        assert rig.post(body, "application/x-www-form-urlencoded").status_code == 200
    assert rig.door.drain(5)
    assert len(rig.fake.calls("response:r")) == 1
    assert [r.command for r in audit_rows(rig.services)] == ["people"]


@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=400) | st.text(max_size=300).map(str.encode)
       | st.sampled_from(["payload=", "command=%2Fswitchboard&user_id=U0ALICE&text=",
                          '{"type":"event_callback","event":'])
       .flatmap(lambda head: st.text(max_size=120).map(lambda tail: (head + tail).encode())),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "text/plain"]))
def test_any_signed_bytes_get_a_2xx_or_4xx(rig: Rig, body: bytes, content_type: str) -> None:
    ts = str(int(rig.services.clock.now().timestamp()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body,
                                 hashlib.sha256).hexdigest()
    response = rig.client.post("/slack/events", data=body, content_type=content_type,
                               headers={"X-Slack-Request-Timestamp": ts,
                                        "X-Slack-Signature": signature})
    assert response.status_code < 500


def test_an_answer_slack_refuses_as_too_long_is_split_and_sent_again(rig: Rig) -> None:
    names = [f"Name {n:04d}" for n in range(400)]

    def roll(ctx: Context, services: Services) -> Reply:
        return Reply("Everyone: " + ", ".join(names) + ".")

    rig.use_commands(Command(name="roll", run=roll, summary="Everyone", usage="/roll"))
    rig.fake.script("chat.postMessage", Response(200, {"ok": False,
                                                       "error": "msg_blocks_too_long"}))
    dm = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
          "text": "/roll"}
    assert rig.event(dm, event_id="Ev0LONG").status_code == 200
    assert rig.door.drain(5)
    _refused, *posts = rig.fake.calls("chat.postMessage")
    assert len(posts) >= 2
    shown = [name for post in posts for name in
             str(post.params["text"]).split(": ", 1)[1].removesuffix(".").split(", ")]
    assert shown == names  # the asker got all of it, in order


# --------------------------------------------------------------------------- languages


def test_a_newcomers_slack_locale_is_stored_and_their_answers_follow_it(rig: Rig) -> None:
    rig.fake.locales["U0ALICE"] = "ca-ES"
    body = rig.slash("language").get_json()

    assert body["text"] == "T'escric en català (la llengua del teu xat)."
    [lookup] = rig.fake.calls("users.info")
    assert lookup.params["include_locale"] in ("1", "true")  # the one lookup asks for it
    alice = person(rig.services, "alice")
    assert (alice.slack_id, alice.chat_locale) == ("U0ALICE", "ca-ES")

    again = rig.slash("frobnicate").get_json()
    assert again["text"] == ("No sé què vol dir 'frobnicate'. Escriu /help per veure què "
                             "puc fer per tu.")
    assert len(rig.fake.calls("users.info")) == 1  # stored: Slack is not asked again


@pytest.mark.parametrize("said", ["ca\x00ES", "x" * 17, "ca ES"])
def test_a_locale_no_platform_writes_is_ignored_not_stored(rig: Rig, said: str) -> None:
    rig.fake.locales["U0ALICE"] = said
    body = rig.slash("language").get_json()
    assert body["text"] == "I write to you in English (the team's language)."
    assert person(rig.services, "alice").chat_locale is None


@pytest.mark.parametrize(("locale", "chosen", "expected"), [
    ("es-ES", None, "Te escribo en español (el idioma de tu chat)."),
    ("pt-BR", None, "Escrevo para você em português (o idioma do seu chat)."),
    ("fr-FR", None, "I write to you in English (the team's language)."),  # not spoken: team's
    ("pt-BR", "ca", "T'escric en català (la teva tria)."),  # their own choice wins
])
def test_the_slack_locale_counts_unless_the_person_chose(rig: Rig, locale: str,
                                                         chosen: str | None,
                                                         expected: str) -> None:
    with transaction(rig.services.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        alice.language = chosen
    rig.fake.locales["U0ALICE"] = locale
    assert rig.slash("language").get_json()["text"] == expected
    assert person(rig.services, "alice").chat_locale == locale


def test_a_long_answer_is_continued_in_the_askers_language(rig: Rig) -> None:
    rows = tuple((f"Agent {n:03d}", "x" * 80) for n in range(300))

    def roster(ctx: Context, services: Services) -> Reply:
        return Reply("", (Section(title="Roster", rows=rows),))

    rig.use_commands(Command(name="roster", run=roster, summary="All", usage="/roster"))
    rig.fake.locales["U0ALICE"] = "pt-BR"
    dm = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
          "text": "/roster"}
    assert rig.event(dm, event_id="Ev0ROSTER").status_code == 200
    assert rig.door.drain(5)
    first, *rest = rig.fake.calls("chat.postMessage")
    assert rest, "the roster fits one message: make it longer"
    assert "continuação" not in json.dumps(first.params, ensure_ascii=False)
    assert "Roster (continuação)" in json.dumps(rest[0].params["blocks"], ensure_ascii=False)
    assert "continued" not in json.dumps([c.params for c in rest])
