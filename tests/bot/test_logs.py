"""Logs: JSON lines with the request's fields, request ids in and out, and no secret,
token, message body or phone number in any line, whatever door it came through."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bench.server import Gunicorn
from bot import logs
from bot.app import create_app, runtime_of
from bot.doors.pbx_events import signed_headers
from commands.core import Reply, Services, Where
from commands.dispatch import Incoming
from integrations import tracing
from integrations.odoo import OdooClient
from integrations.pbx.areavoip.backend import AreavoipPbx
from store.db import transaction
from store.team import people
from testing.ivr import load_capacity, new_key
from tests.conftest import MADRID

SECRETS = {
    "SLACK_SIGNING_SECRET": "slack-signing-secret-0123456789",
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-botTokenSecret",
    "TASKS_TOKEN": "tasks-token-secret-abcdef",
    "PBX_WEBHOOK_SECRET": "pbx-webhook-secret-abcdef",
    "METRICS_TOKEN": "metrics-token-secret-abcdef",
    "SECRET_KEY": "secret-key-for-links-abcdefghij",
    "ODOO_PASSWORD": "odoo-password-secret-abcdef",
    "AMI_SECRET": "ami-secret-value-abcdef",
}
BODY = "please-never-log-this-body"
PHONES = ("600112233", "600 11 22 33", "612 34 56 78", "612345678", "+34600112233")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_every_door_keeps_secrets_bodies_and_phones_out_of_the_log(
        demo: Services, captured: io.StringIO) -> None:
    settings = demo.settings.replace(
        **{name.lower(): value for name, value in SECRETS.items()
           if name not in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")},
        slack_signing_secret=SECRETS["SLACK_SIGNING_SECRET"],
        slack_bot_token=SECRETS["SLACK_BOT_TOKEN"], slack_api_url="http://127.0.0.1:1/",
        log_format="json", log_level="debug")
    demo.settings = settings
    logs.configure(settings, stream=captured, force=True)
    load_capacity(demo)
    ivr_key = new_key(demo)
    with transaction(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        people.link_chat_id(session, alice, "slack", "U0ALICE")
        demo.notifier.send(session, "team", Reply(f"{BODY} call 600 11 22 33"), key="logs:1")
    app = create_app(settings, demo)
    client = app.test_client()
    now = int(demo.clock.now().timestamp())

    # Google Chat: a token that is no token, a body with a phone number.
    client.post("/chat/google", json={"type": "MESSAGE", "message": {"text": BODY}},
                headers={"Authorization": "Bearer " + SECRETS["TASKS_TOKEN"]})
    # Slack: a genuinely signed slash command, and one with a forged signature.
    for text in (f"lookup 600 11 22 33 {BODY}", f"callback 612345678 tomorrow 10:30 {BODY}"):
        body = (f"command=%2Fswitchboard&text={text.replace(' ', '+')}&user_id=U0ALICE"
                f"&team_id=T1&channel_id=C1&trigger_id=t.{text[:6]}").encode()
        ts = str(now)
        signature = SignatureVerifier(SECRETS["SLACK_SIGNING_SECRET"]).generate_signature(
            timestamp=ts, body=body)
        client.post("/slack/events", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""})
    client.post("/slack/events", data=b"text=" + BODY.encode(), headers={
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "v0=" + SECRETS["SLACK_SIGNING_SECRET"]})
    # The PBX webhook: signed, and with the secret itself as a bad signature.
    event = json.dumps({"event": "call.ringing", "call_id": "c1", "caller": "+34600112233",
                        "extension": "211", "data": {"note": BODY}})
    client.post("/pbx/events", data=event,
                headers=signed_headers(SECRETS["PBX_WEBHOOK_SECRET"], event, now))
    client.post("/pbx/events", data=event, headers={
        "X-Switchboard-Signature": f"t={now},v1={SECRETS['PBX_WEBHOOK_SECRET']}"})
    # Tasks: the outbox delivers the console message; a wrong token first.
    client.post("/tasks/outbox-delivery",
                headers={"Authorization": "Bearer " + SECRETS["METRICS_TOKEN"]})
    client.post("/tasks/outbox-delivery",
                headers={"Authorization": "Bearer " + SECRETS["TASKS_TOKEN"]})
    # The IVR API: a booking with a phone number, a bad key.
    booking = {"phone": "612 34 56 78", "when": "2026-11-24T10:00:00+01:00",
               "queue": "soporte", "customer_name": BODY}
    client.post("/ivr/v1/callbacks", json=booking, headers={"Authorization": f"Bearer {ivr_key}"})
    client.post("/ivr/v1/callbacks", json={**booking, "when": "not a time"},
                headers={"Authorization": f"Bearer {ivr_key}"})
    client.post("/ivr/v1/callbacks", json=booking,
                headers={"Authorization": "Bearer " + SECRETS["SECRET_KEY"]})
    # Calendar and chart links signed with nothing; metrics with its token.
    client.get(f"/calendar/{SECRETS['SECRET_KEY']}.ics")
    client.get(f"/charts/{SECRETS['ODOO_PASSWORD']}.png")
    client.get("/metrics", headers={"Authorization": "Bearer " + SECRETS["METRICS_TOKEN"]})
    # The console: a lookup and a crash inside a command.
    with tracing.scope(door="console"):
        runtime_of(app).dispatcher.handle(Incoming(
            platform="console", user_id="carla", text=f"/lookup +34600112233 {BODY}",
            where=Where(platform="console", space="console")))
    logging.getLogger("switchboard.test").warning(
        "a careless line: %s %s", SECRETS["AMI_SECRET"], "Bearer abc.def.ghi")

    text = captured.getvalue()
    lines = text.splitlines()
    assert len(lines) > 10, text  # the doors did log
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"timestamp", "level", "logger", "message"} <= set(entries[0])
    assert any(e.get("command") == "lookup" and e.get("person") for e in entries), text
    assert any(e.get("door") == "slack" and e.get("request_id") for e in entries), text
    for secret in (*SECRETS.values(), ivr_key, BODY, *PHONES):
        assert secret not in text, f"{secret!r} is in the log:\n{text}"
    assert "[redacted]" in text


def test_request_ids_come_from_the_caller_or_app_engine_or_are_made_up(
        demo: Services) -> None:
    client = create_app(demo.settings, demo).test_client()
    given = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    trace = client.get("/healthz", headers={
        "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"})
    assert trace.headers["X-Request-Id"] == "105445aa7843bc8bf206b12000100000"
    hostile = client.get("/healthz", headers={"X-Request-Id": "a b\u00e9" + "x" * 300})
    made = client.get("/healthz")
    assert len(hostile.headers["X-Request-Id"]) == 32
    assert len(made.headers["X-Request-Id"]) == 32
    assert made.headers["X-Request-Id"] != hostile.headers["X-Request-Id"]


def test_outbound_http_calls_carry_the_request_id() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-Id"))
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(answer),
                      event_hooks=tracing.HTTPX_HOOKS) as client:
        with tracing.scope(request_id="req-42"):
            client.get("http://pbx.invalid/")
        client.get("http://pbx.invalid/")
    assert seen == ["req-42", None]
    pbx = AreavoipPbx("http://pbx.invalid/", "key", "tenant", "support", timezone=MADRID)
    odoo = OdooClient("http://odoo.invalid", "db", "user", "pw")
    for built in (pbx._client, odoo.http):
        assert built.event_hooks["request"] == tracing.HTTPX_HOOKS["request"]


def test_plain_text_is_the_default_and_is_scrubbed_too(demo: Services,
                                                       captured: io.StringIO) -> None:
    assert demo.settings.log_format == "text"
    logs.configure(demo.settings.replace(tasks_token="tasks-secret-xyz"), stream=captured,
                   force=True)
    with tracing.scope(request_id="r-1"):
        logging.getLogger("switchboard.test").warning("token tasks-secret-xyz for 600112233")
    line = captured.getvalue().strip()
    assert line.endswith("switchboard.test: token [redacted] for [phone] [r-1]"), line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_under_gunicorn_every_line_is_json(tmp_path: Path) -> None:
    """gunicorn's own lines too (Starting, Listening, Booting worker) with LOG_FORMAT=json."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "BACKGROUND_JOBS": "false",
           "LOG_FORMAT": "json", "LOG_LEVEL": "info"}
    with Gunicorn(env, workers=2) as server:
        answer = httpx.get(server.url + "/readyz", headers={"X-Request-Id": "from-the-lb"})
        assert answer.headers["X-Request-Id"] == "from-the-lb"
        text = server.log_path.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    loggers = {e["logger"] for e in entries}
    assert "gunicorn.error" in loggers, text
    assert sum("Booting worker" in e["message"] for e in entries) == 2
