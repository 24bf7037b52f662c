"""How a "Call now" went: Asterisk's OriginateResponse, read from a local AMI server's
event stream, sends a failed call's callback back to due with the reason."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.runtime import build_pbx_events
from bot.settings import Settings
from commands.callbacks.call_outcome import record_call_outcome
from commands.callbacks.due import dispatch_callbacks
from commands.core import Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.ami_wire import Message
from integrations.pbx.asterisk.backend import AsteriskPbx, call_outcome
from integrations.pbx.asterisk.events import CONNECTED, AmiEventStream
from integrations.pbx.base import BUSY, CallOutcome
from store.callbacks import bookings
from store.callbacks.bookings import CallbackEvent
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from testing.fake_ami import FakeAmi
from tests.conftest import Chat

WAIT = 5.0


@pytest.fixture
def ami() -> Iterator[FakeAmi]:
    fake = FakeAmi(queues=("support",)).start()
    assert isinstance(fake, FakeAmi)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def on_asterisk(demo: Services, ami: FakeAmi) -> Iterator[tuple[Services, threading.Event]]:
    """The demo team's services on the local Asterisk, with its event stream running;
    the event is set each time an outcome has been applied."""
    pbx = AsteriskPbx(AmiClient("127.0.0.1", ami.port, ami.username, ami.secret, timeout=1.0),
                      "support", "PJSIP/{extension}", dial_context="callbacks")
    services = dataclasses.replace(demo, pbx=pbx)
    applied = threading.Event()

    def handle(event: Message) -> None:
        outcome = call_outcome(event)
        if outcome is not None:
            record_call_outcome(services, outcome)
            applied.set()

    stream = AmiEventStream("127.0.0.1", ami.port, ami.username, ami.secret, 1.0, handle,
                            backoff=(0.01, 0.05)).start()
    try:
        assert stream.wait_for(CONNECTED, WAIT)
        yield services, applied
    finally:
        stream.stop()
        pbx.close()


def history(services: Services) -> list[tuple[str, str, str | None]]:
    with transaction(services.sessions) as session:
        return [(e.kind, e.actor, e.detail) for e in session.scalars(
            select(CallbackEvent).order_by(CallbackEvent.id))]


def due_for_alice(chat: Chat, demo: Services, clock: FixedClock) -> None:
    demo.pbx.set_members(["211"])  # connected on the simulator, so it is handed to her
    chat.say("alice", "/callback 612345678 09:30")
    clock.advance(timedelta(minutes=30))
    assert dispatch_callbacks(demo).to_agents == [1]


def test_a_busy_call_puts_the_callback_back_to_due_with_the_reason(
        chat: Chat, demo: Services, clock: FixedClock, ami: FakeAmi,
        on_asterisk: tuple[Services, threading.Event]) -> None:
    services, applied = on_asterisk
    due_for_alice(chat, demo, clock)
    ami.devices["PJSIP/211"] = 2  # alice's phone is in another call
    reply = Chat(Dispatcher(COMMANDS, services)).say("alice", "/callback call 1")
    assert reply.startswith("Calling: your phone (211) rings first, then +34612345678.")
    assert applied.wait(WAIT)
    with transaction(services.sessions) as session:
        callback = bookings.get(session, 1)
        assert callback is not None
        assert (callback.status, callback.owner_id, callback.call_ref) == (
            "scheduled", None, None)
        assert callback.due_at == clock.now() + timedelta(minutes=15)
        dms = [(m.target, m.body) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.like("callback:1:call:%")))]
    kinds = history(services)
    assert [k for k, _, _ in kinds][-3:] == ["called", "call_failed", "retry"]
    assert kinds[-2][:3] == ("call_failed", "pbx", BUSY)
    assert kinds[-1][0] == "retry" and kinds[-1][2] is not None
    assert "attempt 2 " in kinds[-1][2]
    assert len(dms) == 1 and dms[0][0] == "person:alice"
    assert "your phone was busy (Busy)" in str(dms[0][1])
    assert "will be retried" in str(dms[0][1])


def test_an_answered_call_is_logged_and_the_agent_keeps_it(
        chat: Chat, demo: Services, clock: FixedClock, ami: FakeAmi,
        on_asterisk: tuple[Services, threading.Event]) -> None:
    services, applied = on_asterisk
    due_for_alice(chat, demo, clock)
    ami.devices["PJSIP/211"] = 1
    Chat(Dispatcher(COMMANDS, services)).say("alice", "/callback call 1")
    assert applied.wait(WAIT)
    with transaction(services.sessions) as session:
        callback = bookings.get(session, 1)
        assert callback is not None and callback.status == "taken"
        assert callback.call_ref is None
    assert history(services)[-1][:2] == ("answered", "pbx")


def test_an_outcome_applies_once_and_not_after_the_agent_recorded_one(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    due_for_alice(chat, demo, clock)
    with transaction(demo.sessions) as session:
        callback = bookings.get(session, 1)
        assert callback is not None
        callback.call_ref = "sb-test-1"
    # The agent said "no answer" before the PBX's event arrived.
    assert chat.say("alice", "/callback take 1")
    chat.say("alice", "/callback noanswer 1")
    assert record_call_outcome(demo, CallOutcome("sb-test-1", BUSY)) is True
    assert record_call_outcome(demo, CallOutcome("sb-test-1", BUSY)) is False  # once
    assert record_call_outcome(demo, CallOutcome("someone-else", BUSY)) is False
    with transaction(demo.sessions) as session:
        callback = bookings.get(session, 1)
        assert callback is not None and callback.status == "scheduled"
    kinds = [k for k, _, _ in history(demo)]
    assert kinds.count("retry") == 1 and kinds[-1] == "call_failed"


def test_the_event_stream_runs_only_for_asterisk(demo: Services) -> None:
    assert build_pbx_events(Settings.load({}, app_yaml=None), demo) is None
    asterisk = Settings.load(app_yaml=None, environ={"PBX_BACKEND": "asterisk", "AMI_HOST": "127.0.0.1",
                                  "AMI_USER": "u", "AMI_SECRET": "s"})
    assert isinstance(build_pbx_events(asterisk, demo), AmiEventStream)
    quiet = Settings.load(app_yaml=None, environ={"PBX_BACKEND": "asterisk", "AMI_HOST": "127.0.0.1",
                               "AMI_USER": "u", "AMI_SECRET": "s", "AMI_EVENTS": "false"})
    assert build_pbx_events(quiet, demo) is None
