"""Queue control end to end against a PBX speaking the Areavoip wire protocol on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.delivery.notifier import OutboxNotifier
from commands.core import Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from integrations.directory.local import LocalDirectory
from integrations.pbx.areavoip.backend import AreavoipPbx
from store.db import make_sessionmaker, transaction
from store.demo.team import load_demo
from store.queue import activity
from store.queue.activity import PAUSE
from store.team import people
from tests.conftest import MADRID, Chat, Database, make_settings
from tests.integrations.pbx.areavoip.fake_areavoip import FakeAreavoip

TIMEOUT = 0.5


@pytest.fixture
def pbx_server() -> Iterator[FakeAreavoip]:
    with FakeAreavoip() as fake:
        fake.seed([str(ext) for ext in range(200, 219)], ["211", "212", "213"])
        yield fake


@pytest.fixture
def services(db: Database, clock: FixedClock, pbx_server: FakeAreavoip) -> Services:
    settings = make_settings(DATABASE_URL=db.url, PBX_TIMEOUT=str(TIMEOUT))
    sessions = make_sessionmaker(db.engine)
    pbx = AreavoipPbx(pbx_server.url, pbx_server.api_key, pbx_server.tenant, pbx_server.queue,
                      timezone=MADRID, timeout=TIMEOUT)
    services = Services(sessions=sessions, settings=settings, clock=clock, pbx=pbx,
                        notifier=OutboxNotifier(settings, clock),
                        directory=LocalDirectory(sessions, settings.crm_url))
    with transaction(sessions) as session:
        load_demo(session, clock.now())
    return services


@pytest.fixture
def chat(services: Services) -> Chat:
    return Chat(Dispatcher(COMMANDS, services))


def open_pause(services: Services, key: str) -> activity.Activity | None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        return activity.open_activity(session, person.id, PAUSE)


def test_pause_board_resume_through_the_areavoip_protocol(
        chat: Chat, services: Services, clock: FixedClock, pbx_server: FakeAreavoip) -> None:
    assert chat.say("alice", "/pause lunch").startswith("Paused: lunch (max 60 min).")
    assert pbx_server.paused == {"211"}
    pause_request = next(r for r in pbx_server.requests if r.arg("action") == "pause")
    assert (pause_request.arg("reqtype"), pause_request.arg("extension"),
            pause_request.arg("queue")) == ("AGENT", "211", pbx_server.queue)

    clock.advance(timedelta(minutes=7))
    board = chat.say("carla", "/queue")
    alice_line = next(line for line in board.splitlines() if "Alice" in line)
    assert "paused" in alice_line and "lunch" in alice_line and "7 min" in alice_line

    assert chat.say("alice", "/resume").startswith("Resumed after 7 min")
    assert pbx_server.paused == set()
    assert open_pause(services, "alice") is None


def test_a_pbx_that_never_answers_gets_a_prompt_failure_and_no_pause(
        chat: Chat, services: Services, pbx_server: FakeAreavoip) -> None:
    pbx_server.silent = True
    started = time.monotonic()
    result = chat.send("alice", "/pause lunch")
    elapsed = time.monotonic() - started
    assert result.outcome == "failed"
    assert result.reply.text.startswith("/pause did NOT happen: the PBX said:")
    assert "did not answer within" in result.reply.text
    assert elapsed < TIMEOUT + 1
    assert open_pause(services, "alice") is None
