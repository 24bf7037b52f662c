"""Each platform's sender over real HTTP to a local fake; Slack also through the worker."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.delivery.senders import (
    ConsoleSender,
    DeliveryError,
    GoogleChatSender,
    Outgoing,
    SlackSender,
    build_senders,
    google_request_id,
    retry_after_seconds,
)
from bot.delivery.worker import OutboxWorker
from bot.settings import Settings
from commands.core import TEAM, Reply, Section, Services
from integrations.clock import FixedClock
from store.db import transaction
from store.demo.team import load_demo
from store.messaging import chat, outbox
from store.messaging.outbox import PENDING, SENT
from store.team import people
from testing.fake_google_chat import FakeGoogleChat
from testing.fake_slack import FakeSlack, SlackCall
from testing.local_server import Response
from tests.conftest import T0, Database, make_services, make_settings

CREATED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def outgoing(**fields: Any) -> Outgoing:
    values: dict[str, Any] = dict(id=7, key="shift:0900", target=TEAM, platform="google",
                                  space="spaces/TEAM", person_id=None, recipient=None,
                                  body={"text": "hello"}, attempts=0, created_at=CREATED)
    values.update(fields)
    return Outgoing(**values)


def failure(call: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        call()
    return caught.value


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- Google Chat


@pytest.fixture
def google() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat(dms={"users/111": "spaces/DM-ALICE"}) as fake:
        yield fake


@pytest.fixture
def gsender(google: FakeGoogleChat, tmp_path: Path) -> GoogleChatSender:
    return GoogleChatSender(str(google.write_service_account(tmp_path)), FixedClock(T0),
                            api_endpoint=google.url)


def test_google_posts_as_the_app_with_a_real_oauth_token(gsender: GoogleChatSender,
                                                          google: FakeGoogleChat) -> None:
    delivered = gsender.send(outgoing())
    assert delivered.space is None and delivered.remote_id in google.messages
    assert google.texts("spaces/TEAM") == ["hello"]
    [call] = google.create_calls
    assert call.request_id == google_request_id(outgoing())
    create = next(r for r in google.server.requests if r.path.endswith("/messages"))
    assert create.headers["authorization"] == f"Bearer {google.tokens[0]}"
    gsender.send(outgoing(id=8, key="other"))
    assert google.token_requests == 1


def test_google_request_id_is_stable_per_row_and_differs_across_databases() -> None:
    assert google_request_id(outgoing()) == google_request_id(outgoing(attempts=3))
    assert google_request_id(outgoing()) != google_request_id(outgoing(id=8))
    # Same id in a recreated database: a new message, so a new requestId.
    assert google_request_id(outgoing()) != google_request_id(
        outgoing(created_at=CREATED + timedelta(days=1)))


def test_google_errors_say_whether_to_retry(gsender: GoogleChatSender,
                                            google: FakeGoogleChat) -> None:
    google.script(
        Response(429, {"error": {"code": 429, "message": "Quota exceeded"}}, {"Retry-After": "7"}),
        Response(503, {"error": {"code": 503, "message": "Unavailable"}}),
        Response(404, {"error": {"code": 404, "message": "Space not found"}}),
        Response(400, {"error": {"code": 400, "message": "Invalid card"}}),
    )
    limited = failure(lambda: gsender.send(outgoing()))
    assert (limited.retry, limited.retry_after) == (True, 7.0)
    assert "HTTP 429" in limited.message and "Quota exceeded" in limited.message
    down = failure(lambda: gsender.send(outgoing()))
    assert (down.retry, down.retry_after) == (True, None)
    missing = failure(lambda: gsender.send(outgoing()))
    assert missing.retry is False and "Space not found" in missing.message
    assert failure(lambda: gsender.send(outgoing())).retry is False
    assert google.messages == {}


def test_google_finds_a_dm_and_reports_it(gsender: GoogleChatSender,
                                          google: FakeGoogleChat) -> None:
    delivered = gsender.send(outgoing(space=None, person_id=4, recipient="users/111"))
    assert delivered.space == "spaces/DM-ALICE"
    assert google.find_dm_calls == ["users/111"]
    nobody = failure(lambda: gsender.send(outgoing(space=None, person_id=5,
                                                   recipient="users/999")))
    assert nobody.retry is False and "no direct message with users/999" in nobody.message
    unlinked = failure(lambda: gsender.send(outgoing(space=None, person_id=6, recipient=None,
                                                     target="person:zoe")))
    assert unlinked.retry is False and "person:zoe has no Google Chat id" in unlinked.message


def test_google_dm_found_before_a_failure_is_still_reported(gsender: GoogleChatSender,
                                                            google: FakeGoogleChat) -> None:
    google.script(Response(500, {"error": {"code": 500, "message": "boom"}}))
    error = failure(lambda: gsender.send(outgoing(space=None, person_id=4,
                                                  recipient="users/111")))
    assert error.retry is True and error.space == "spaces/DM-ALICE"


def test_google_unreachable_is_retried(google: FakeGoogleChat, tmp_path: Path) -> None:
    key_file = google.write_service_account(tmp_path)
    sender = GoogleChatSender(str(key_file), FixedClock(T0),
                              api_endpoint=f"http://127.0.0.1:{closed_port()}")
    # The token comes from the fake; the Chat API itself refuses connections.
    error = failure(lambda: sender.send(outgoing()))
    assert error.retry is True and "unreachable" in error.message


def test_google_token_endpoint_down_is_retried(google: FakeGoogleChat, tmp_path: Path) -> None:
    key_file = google.write_service_account(tmp_path)
    google.server.stop()
    sender = GoogleChatSender(str(key_file), FixedClock(T0), api_endpoint=google.url)
    assert failure(lambda: sender.send(outgoing())).retry is True


def test_google_key_the_token_endpoint_does_not_know_gets_no_token(
        google: FakeGoogleChat, tmp_path: Path) -> None:
    key_file = google.write_service_account(tmp_path)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = json.loads(key_file.read_text())
    data["private_key"] = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    key_file.write_text(json.dumps(data))
    sender = GoogleChatSender(str(key_file), FixedClock(T0), api_endpoint=google.url)
    error = failure(lambda: sender.send(outgoing()))
    assert error.retry is True and "no access token" in error.message
    assert "invalid_grant" in error.message
    assert google.tokens == [] and google.create_calls == []


def test_google_bad_key_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "sa.json"
    broken.write_text("{}")
    sender = GoogleChatSender(str(broken), FixedClock(T0), api_endpoint="http://127.0.0.1:9")
    error = failure(lambda: sender.send(outgoing()))
    assert error.retry is True and "GOOGLE_CHAT_SERVICE_ACCOUNT_FILE" in error.message
    assert str(broken) in error.message


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("30", now) == 30.0
    assert retry_after_seconds("Mon, 23 Nov 2026 08:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Mon, 23 Nov 2026 07:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("nan", now) is None
    assert retry_after_seconds("inf", now) == 86_400.0
    assert retry_after_seconds(None, now) is None


# --------------------------------------------------------------------------- Slack


class SlackChannels:
    """Posts that Slack accepted, served back by conversations.history with metadata."""

    def __init__(self, slack: FakeSlack) -> None:
        self.posted: list[dict[str, Any]] = []
        self.slack = slack
        slack.on("chat.postMessage", self.post)
        slack.on("conversations.history", self.history)

    def post(self, call: SlackCall) -> Response:
        ts = f"{1_800_000_000 + len(self.posted)}.000100"
        self.posted.append({**call.params, "ts": ts})
        return Response(200, {"ok": True, "channel": call.params["channel"], "ts": ts})

    def history(self, call: SlackCall) -> Response:
        if str(call.params.get("include_all_metadata")) not in ("1", "true"):
            return Response(200, {"ok": True, "messages": []})
        messages = [{"type": "message", "ts": p["ts"], "text": p.get("text"),
                     "metadata": p.get("metadata")}
                    for p in reversed(self.posted) if p["channel"] == call.params["channel"]]
        return Response(200, {"ok": True, "messages": messages})

    def texts(self, channel: str) -> list[str]:
        return [p["text"] for p in self.posted if p["channel"] == channel]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(dm_channels={"U0ALICE": "D0ALICE"}) as fake:
        yield fake


def slack_sender(slack: FakeSlack, token: str | None = None) -> SlackSender:
    return SlackSender.connect(token or "xoxb-test", FixedClock(T0), api_url=slack.api_url)


def test_slack_errors_say_whether_to_retry(slack: FakeSlack) -> None:
    sender = slack_sender(slack)
    message = outgoing(platform="slack", space="C0TEAM")
    slack.script("chat.postMessage",
                 Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}),
                 Response(503, "upstream unavailable"),
                 Response(200, {"ok": False, "error": "channel_not_found"}),
                 Response(200, {"ok": False, "error": "not_in_channel"}))
    limited = failure(lambda: sender.send(message))
    assert (limited.retry, limited.retry_after) == (True, 3.0)
    assert failure(lambda: sender.send(message)).retry is True
    for reason in ("channel_not_found", "not_in_channel"):
        error = failure(lambda: sender.send(message))
        assert error.retry is False and reason in error.message
    bad_token = failure(lambda: slack_sender(slack, "xoxb-wrong").send(message))
    assert bad_token.retry is False and "invalid_auth" in bad_token.message
    assert len(slack.calls("chat.postMessage")) == 5  # no hidden retries in the client


def test_slack_posts_text_blocks_and_the_row_key(slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    delivered = slack_sender(slack).send(outgoing(platform="slack", space="C0TEAM",
                                                  body={"text": "hello", "blocks": blocks}))
    [call] = slack.calls("chat.postMessage")
    assert call.params["channel"] == "C0TEAM" and call.params["blocks"] == blocks
    assert call.params["metadata"] == {"event_type": "switchboard_outbox",
                                       "event_payload": {"outbox_key": "shift:0900"}}
    assert call.token == "xoxb-test" and delivered.remote_id.endswith(".000100")


def test_slack_unreachable_is_retried() -> None:
    sender = SlackSender.connect("xoxb-test", FixedClock(T0),
                                 api_url=f"http://127.0.0.1:{closed_port()}/api/")
    error = failure(lambda: sender.send(outgoing(platform="slack", space="C0TEAM")))
    assert error.retry is True and "unreachable" in error.message


def test_slack_retry_finds_the_earlier_post_instead_of_posting_twice(slack: FakeSlack) -> None:
    channels = SlackChannels(slack)
    sender = slack_sender(slack)
    first = sender.send(outgoing(platform="slack", space="C0TEAM"))
    # Same row again, as after a lost response: found by its metadata, not posted.
    again = sender.send(outgoing(platform="slack", space="C0TEAM", attempts=1))
    assert again.remote_id == first.remote_id and channels.texts("C0TEAM") == ["hello"]
    # A different row with the same words is a different message.
    sender.send(outgoing(platform="slack", space="C0TEAM", id=8, key="other", attempts=1))
    assert channels.texts("C0TEAM") == ["hello", "hello"]


def test_slack_retry_posts_when_history_cannot_be_read(slack: FakeSlack,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    slack.script("conversations.history", Response(200, {"ok": False, "error": "missing_scope"}))
    with caplog.at_level(logging.WARNING, logger="bot.delivery.senders"):
        slack_sender(slack).send(outgoing(platform="slack", space="C0TEAM", attempts=2))
    assert len(slack.calls("chat.postMessage")) == 1
    assert "missing_scope" in caplog.text


def slack_services(db: Database, slack: FakeSlack, clock: FixedClock) -> Services:
    settings = make_settings(DATABASE_URL=db.url, TEAM_SPACE="slack:C0TEAM",
                             SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)
    services = make_services(db, settings, clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
        alice = people.by_key(session, "alice")
        assert alice is not None
        people.link_chat_id(session, alice, "slack", "U0ALICE")
    return services


def slack_worker(services: Services) -> OutboxWorker:
    settings = services.settings
    assert isinstance(settings, Settings)
    senders = build_senders(settings, services.clock)
    return OutboxWorker(services.sessions, services.clock, senders, max_attempts=5)


def test_slack_429_then_ok_is_one_acknowledged_post(db: Database, slack: FakeSlack) -> None:
    clock = FixedClock(T0)
    services = slack_services(db, slack, clock)
    channels = SlackChannels(slack)
    slack.script("chat.postMessage",
                 Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}))
    with transaction(services.sessions) as session:
        services.notifier.send(session, TEAM, Reply("Queue alert"), key="alert:1")
    worker = slack_worker(services)
    assert worker.deliver_due().retrying == 1
    with transaction(services.sessions) as session:
        row = outbox.by_key(session, "alert:1")
        assert row is not None and (row.status, row.attempts) == (PENDING, 1)
        assert row.next_attempt_at == T0 + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    assert worker.deliver_due().sent == 1
    assert channels.texts("C0TEAM") == ["Queue alert"]
    assert len(slack.calls("chat.postMessage")) == 2
    with transaction(services.sessions) as session:
        row = outbox.by_key(session, "alert:1")
        assert row is not None and row.status == SENT
        assert row.remote_id == channels.posted[0]["ts"]
    clock.advance(timedelta(hours=1))
    assert worker.deliver_due().claimed == 0  # acknowledged: never posted again
    assert len(slack.calls("chat.postMessage")) == 2


def test_slack_dm_is_opened_remembered_and_reused(db: Database, slack: FakeSlack) -> None:
    clock = FixedClock(T0)
    services = slack_services(db, slack, clock)
    with transaction(services.sessions) as session:
        services.notifier.send(session, "person:alice", Reply("You are on at 15:00"), key="d1")
    assert slack_worker(services).deliver_due().sent == 1
    [opened] = slack.calls("conversations.open")
    assert opened.params["users"] == "U0ALICE"
    [post] = slack.calls("chat.postMessage")
    assert post.params["channel"] == "D0ALICE"
    with transaction(services.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        remembered = chat.dm_space(session, "slack", alice.id)
        assert remembered is not None and remembered.name == "D0ALICE"
        row = outbox.by_key(session, "d1")
        assert row is not None and row.space == "D0ALICE"
        services.notifier.send(session, "person:alice", Reply("Reminder"), key="d2")
    clock.advance(timedelta(seconds=2))
    assert slack_worker(services).deliver_due().sent == 1
    assert len(slack.calls("conversations.open")) == 1
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["D0ALICE"] * 2


# --------------------------------------------------------------------------- console


def test_console_prints_through_the_sink_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    reply = Reply("Daily stats", (Section(title="Calls", rows=(("answered", "42"),)),))
    shown: list[tuple[str, Reply]] = []
    sender = ConsoleSender(lambda target, r: shown.append((target, r)))
    message = outgoing(platform="console", space="team", body=reply.to_dict())
    assert sender.send(message).remote_id == "console-7"
    assert shown == [("team", reply)]
    sender.attach(None)
    with caplog.at_level(logging.INFO, logger="bot.delivery.senders"):
        sender.send(message)
    # Where it went, never what it said (message bodies stay out of the log).
    assert "console message to team" in caplog.text and "answered" not in caplog.text
