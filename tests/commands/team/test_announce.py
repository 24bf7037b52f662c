"""/announce: a coordinator's message to the team goes through the outbox."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.delivery.worker import build_worker
from bot.doors.console import Console
from bot.render import google as render_google
from bot.render import slack as render_slack
from bot.settings import Settings
from commands.core import Reply, Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from commands.team import announce
from integrations.clock import FixedClock
from store.db import transaction
from store.demo.team import load_demo
from store.messaging import outbox
from store.messaging.outbox import OutboxMessage
from testing.fake_google_chat import FakeGoogleChat
from tests.conftest import Chat, Database, make_services, make_settings

# The lead lists the command in commands/__init__.py; until then the test adds it.
WITH_ANNOUNCE = COMMANDS if announce.COMMAND in COMMANDS else (*COMMANDS, announce.COMMAND)


@pytest.fixture
def talk(demo: Services) -> Chat:
    return Chat(Dispatcher(WITH_ANNOUNCE, demo))


def rows(services: Services) -> list[OutboxMessage]:
    with transaction(services.sessions) as session:
        return outbox.listing(session)


def test_a_coordinator_announcement_is_queued_for_the_team(talk: Chat, demo: Services) -> None:
    result = talk.send("carla", "/announce Team meeting at 15:00 in room 2")
    assert result.ok and result.reply.private
    [row] = rows(demo)
    assert f"outbox message {row.id}" in result.reply.text
    assert (row.target, row.platform, row.space, row.status) == ("team", "console", "team",
                                                                  "pending")
    assert row.body["text"] == ("📣 Announcement from Carla Coordinator:\n"
                                "Team meeting at 15:00 in room 2")
    assert row.key.startswith("announce:carla:")


def test_the_same_words_twice_are_two_announcements(talk: Chat, demo: Services) -> None:
    assert talk.send("carla", "/announce Lunch is here").ok
    assert talk.send("carla", "/announce Lunch is here").ok
    assert len({r.key for r in rows(demo)}) == 2


def test_an_agent_may_not_announce(talk: Chat, demo: Services) -> None:
    result = talk.send("alice", "/announce free pizza")
    assert result.outcome == "denied" and "for coordinators" in result.reply.text
    assert rows(demo) == []


def test_empty_or_overlong_text_is_a_usage_error(talk: Chat, demo: Services) -> None:
    result = talk.send("dani", "/announce   ")
    assert result.outcome == "usage"
    assert "announcement text is missing" in result.reply.text
    assert "Usage: /announce TEXT" in result.reply.text
    too_long = talk.send("dani", "/announce " + "x" * (announce.MAX_LENGTH + 1))
    assert too_long.outcome == "usage"
    assert f"{announce.MAX_LENGTH + 1} characters" in too_long.reply.text
    assert rows(demo) == []


def test_the_longest_announcement_is_not_cut_by_the_renderers(talk: Chat, demo: Services) -> None:
    assert talk.send("carla", "/announce " + "y" * announce.MAX_LENGTH).ok
    [row] = rows(demo)
    reply = Reply(row.body["text"])
    assert render_google.render_message(reply)["text"].endswith("y" * 10)
    assert "…" not in render_google.render_message(reply)["text"]
    assert "…" not in render_slack.render_message(reply)["text"]


def test_the_console_prints_the_delivered_announcement(talk: Chat, demo: Services) -> None:
    assert talk.send("ada", "/announce The PBX restarts at 22:00").ok
    out = io.StringIO()
    console = Console(talk.dispatcher, "ada", out)
    settings = demo.settings
    assert isinstance(settings, Settings)
    worker = build_worker(settings, demo.sessions, demo.clock, console_sink=console.show)
    assert worker.deliver_due().sent == 1
    assert out.getvalue() == ("\n[to team]\n📣 Announcement from Ada Admin:\n"
                              "The PBX restarts at 22:00\nada> ")  # and the prompt again
    [row] = rows(demo)
    assert row.status == "sent"


@pytest.fixture
def google() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat() as fake:
        yield fake


def test_an_announcement_reaches_the_google_team_space(db: Database, google: FakeGoogleChat,
                                                        tmp_path: Path, clock: FixedClock) -> None:
    settings = make_settings(
        DATABASE_URL=db.url, TEAM_SPACE="google:spaces/TEAM",
        GOOGLE_CHAT_SERVICE_ACCOUNT_FILE=str(google.write_service_account(tmp_path)),
        GOOGLE_CHAT_API_ENDPOINT=google.url)
    services = make_services(db, settings, clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
    talk = Chat(Dispatcher(WITH_ANNOUNCE, services))
    assert talk.send("carla", "/announce New callback script from today").ok
    assert build_worker(settings, services.sessions, clock).deliver_due().sent == 1
    assert google.texts("spaces/TEAM") == [
        "📣 Announcement from Carla Coordinator:\nNew callback script from today"]
