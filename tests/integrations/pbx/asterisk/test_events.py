"""The AMI event stream: its own session with the call and agent classes, reconnects,
and the OriginateResponse of a "Call now" matched to the reference originate returned."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest

from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.ami_wire import Message
from integrations.pbx.asterisk.backend import AsteriskPbx, call_outcome
from integrations.pbx.asterisk.events import CONNECTED, DOWN, AmiEventStream
from integrations.pbx.base import ANSWERED, BUSY, CONGESTION, FAILURE, NO_ANSWER
from testing.fake_ami import FakeAmi

WAIT = 5.0  # seconds: an upper bound for something that takes milliseconds


@pytest.fixture
def server() -> Iterator[FakeAmi]:
    fake = FakeAmi(queues=("support",)).start()
    assert isinstance(fake, FakeAmi)
    try:
        yield fake
    finally:
        fake.stop()


def stream_on(server: FakeAmi, seen: queue.Queue[Message], *,
              secret: str | None = None) -> AmiEventStream:
    return AmiEventStream("127.0.0.1", server.port, server.username,
                          secret if secret is not None else server.secret, 1.0, seen.put,
                          backoff=(0.01, 0.05))


def message(**fields: str) -> Message:
    return Message(headers=tuple(fields.items()))


@pytest.mark.parametrize(("response", "reason", "expected"), [
    ("Success", "4", ANSWERED),
    ("Failure", "5", BUSY),
    ("Failure", "3", NO_ANSWER),
    ("Failure", "1", NO_ANSWER),
    ("Failure", "8", CONGESTION),
    ("Failure", "0", FAILURE),
    ("Failure", "4", FAILURE),  # a failure is never read as answered
    ("Failure", "", FAILURE),
])
def test_originate_response_reasons(response: str, reason: str, expected: str) -> None:
    event = message(Event="OriginateResponse", ActionID="sb-1", Response=response,
                    Reason=reason)
    outcome = call_outcome(event)
    assert outcome is not None and (outcome.ref, outcome.reason) == ("sb-1", expected)


def test_other_events_are_no_outcome() -> None:
    assert call_outcome(message(Event="AgentRingNoAnswer", ActionID="sb-1")) is None
    assert call_outcome(message(Event="OriginateResponse", Response="Success")) is None


def test_the_outcome_of_an_originate_arrives_on_the_event_session(server: FakeAmi) -> None:
    seen: queue.Queue[Message] = queue.Queue()
    stream = stream_on(server, seen).start()
    pbx = AsteriskPbx(AmiClient("127.0.0.1", server.port, server.username, server.secret,
                                timeout=1.0), "support", "PJSIP/{extension}")
    try:
        assert stream.wait_for(CONNECTED, WAIT)
        server.devices["PJSIP/211"] = 2  # in a call: the agent's phone is busy
        assert pbx.originate("211", "+34612345678", "sb-cb-7") is True
        outcome = call_outcome(seen.get(timeout=WAIT))
        assert outcome is not None and (outcome.ref, outcome.reason) == ("sb-cb-7", BUSY)
        # The action session asked for no events, the listener for the two classes.
        assert sorted(a["events"] for a in server.actions("Login")) == ["call,agent", "off"]
        assert pbx.queue_status() == []  # and the action session is not confused
    finally:
        pbx.close()
        stream.stop()
    assert stream.status.state == DOWN


def test_unwanted_events_are_skipped_and_a_failing_handler_does_not_stop_it(
        server: FakeAmi) -> None:
    seen: queue.Queue[Message] = queue.Queue()
    calls = {"n": 0}

    def handler(event: Message) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug in one handler")
        seen.put(event)

    stream = AmiEventStream("127.0.0.1", server.port, server.username, server.secret, 1.0,
                            handler, backoff=(0.01, 0.05)).start()
    try:
        assert stream.wait_for(CONNECTED, WAIT)
        server.emit([("Event", "PeerStatus"), ("Peer", "PJSIP/101")], "system")
        server.emit([("Event", "Newchannel"), ("Channel", "PJSIP/101-1")], "call")
        for n in (1, 2):
            server.emit([("Event", "AgentRingNoAnswer"), ("Queue", "support"),
                         ("MemberName", "Alice"), ("Interface", "PJSIP/211"),
                         ("RingTime", str(n))], "agent")
        event = seen.get(timeout=WAIT)
        assert (event.event, event.get("RingTime")) == ("AgentRingNoAnswer", "2")
        assert seen.empty() and calls["n"] == 2
        assert stream.status.events == 2
    finally:
        stream.stop()


def test_it_reconnects_after_a_drop(server: FakeAmi) -> None:
    seen: queue.Queue[Message] = queue.Queue()
    stream = stream_on(server, seen).start()
    try:
        assert stream.wait_for(CONNECTED, WAIT)
        server.drop_connections()
        assert stream.wait_until(lambda s: s.state == CONNECTED and server.connections == 2,
                                 WAIT)
        server.emit([("Event", "AgentRingNoAnswer"), ("Interface", "PJSIP/211")], "agent")
        assert seen.get(timeout=WAIT).get("Interface") == "PJSIP/211"
    finally:
        stream.stop()


def test_a_refused_login_is_reported_and_retried(server: FakeAmi) -> None:
    seen: queue.Queue[Message] = queue.Queue()
    stream = stream_on(server, seen, secret="wrong").start()
    try:
        assert stream.wait_until(lambda s: s.state == DOWN
                                 and "refused the manager login" in (s.error or ""), WAIT)
        assert stream.wait_until(lambda s: server.connections >= 2, WAIT)  # it tries again
    finally:
        stream.stop()
