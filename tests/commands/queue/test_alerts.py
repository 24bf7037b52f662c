"""Live alerts: ring-no-answer streaks, the queue under pressure, nobody in the queue, the
service level once a turn; each raised once and cleared once, quiet outside the turns,
muted by a coordinator; and a local AMI server's AgentRingNoAnswer events reaching the
agent as a DM."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.doors.pbx_events import signed_headers
from bot.render.text import render_text
from bot.runtime import build_pbx_events
from bot.settings import Settings
from commands.core import Reply, Services
from commands.queue.alerts import answered as answered_call
from commands.queue.alerts import check_alerts, ring_no_answer
from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.backend import AsteriskPbx
from integrations.pbx.asterisk.events import CONNECTED
from integrations.pbx.sim.backend import SimPbx
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.queue.sim_pbx import SimCall
from testing.fake_ami import FakeAmi
from testing.timetable import import_week
from tests.conftest import T0, Chat, Database, make_settings

WAIT = 5.0


def sent(services: Services) -> list[tuple[str, str, str]]:
    with transaction(services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.key, r.target, render_text(Reply.from_dict(r.body))) for r in rows]


def on_turn(demo: Services) -> SimPbx:
    import_week(demo)  # turn 1 on Monday 09:00–10:15: alice (T1), bruno (T2)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212"])
    return demo.pbx


def with_settings(demo: Services, **env: str) -> Services:
    settings = Settings.load(environ=env, app_yaml=None)
    base = demo.settings
    changed = dataclasses.replace(base, **{  # type: ignore[type-var]
        f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
        if f.name.startswith("alert_")})
    return dataclasses.replace(demo, settings=changed)


def waiting(demo: Services, count: int, seconds: int = 30) -> None:
    with transaction(demo.sessions) as session:
        for n in range(count):
            session.add(SimCall(queue="support", call_id=f"support-{n:06d}",
                                caller=f"+3460011{n:04d}", phase="waiting",
                                entered_at=T0 - timedelta(seconds=seconds),
                                patience_until=T0 + timedelta(hours=1)))


def test_ring_no_answer_tells_the_agent_then_the_coordinators_and_ends_on_an_answer(
        demo: Services) -> None:
    told = [ring_no_answer(demo, "211", f"call-{n}") for n in range(1, 7)]
    assert told == [None, None, "agent", None, None, "coordinators"]
    assert ring_no_answer(demo, "211", "call-6") is None  # the same call again counts once
    messages = sent(demo)
    assert [(k.split(":")[-1], t) for k, t, _ in messages] == [
        ("agent", "person:alice"), ("coordinators", "coordinators")]
    assert messages[0][2].startswith("Alice, 3 calls in a row rang out on your phone (211)")
    assert "[Pause: /pause]" in messages[0][2] and "[Open board: /queue]" in messages[0][2]
    assert messages[1][2].startswith("@alice let 6 calls in a row ring out")
    assert answered_call(demo, "211") is True
    assert sent(demo)[-1][1:] == ("person:alice",
                                  "You answered a call: the ring-no-answer alert is over.")
    assert answered_call(demo, "211") is False  # no streak any more
    assert [ring_no_answer(demo, "211") for _ in range(2)] == [None, None]  # a new streak
    assert ring_no_answer(demo, "999") is None  # nobody has that extension


def test_ring_no_answer_can_pause_the_agent_or_be_off(demo: Services) -> None:
    pbx = on_turn(demo)
    pausing = with_settings(demo, ALERT_RING_NO_ANSWER="2", ALERT_RING_NO_ANSWER_PAUSE="true")
    assert [ring_no_answer(pausing, "212") for _ in range(2)] == [None, "agent"]
    assert {s.extension: s.paused for s in pbx.queue_status()} == {"211": False, "212": True}
    off = with_settings(demo, ALERT_RING_NO_ANSWER="0")
    assert all(ring_no_answer(off, "211") is None for _ in range(10))


def test_pressure_names_the_paused_and_offline_and_clears_once(
        demo: Services, clock: FixedClock) -> None:
    pbx = on_turn(demo)
    waiting(demo, 5)
    assert check_alerts(demo).raised == []  # both agents are there
    pbx.pause("211", "lunch")
    assert check_alerts(demo).raised == []  # one away is below the threshold of two
    pbx.set_state("212", MemberState.DISCONNECTED)
    report = check_alerts(demo)
    assert report.raised == ["pressure", "nobody"]
    texts = {t.split(":")[0]: t for _, _, t in sent(demo)}
    assert texts["The queue is under pressure"].startswith(
        "The queue is under pressure: 5 waiting, the longest for 0:30, while 2 on turn "
        "(09:00–10:15) are away: @alice (paused), @bruno (offline).")
    assert all(target == "team" for _, target, _ in sent(demo))
    clock.advance(timedelta(seconds=30))
    assert check_alerts(demo).raised == []  # told once
    pbx.resume("211")
    report = check_alerts(demo)
    assert sorted(report.cleared) == ["nobody", "pressure"]
    cleared = [t for k, _, t in sent(demo) if k.endswith(":cleared")]
    assert cleared == ["Queue under pressure: back to normal: 5 waiting.",
                       "Nobody in the queue: back to normal: someone in the queue can take "
                       "calls again."]


def test_the_service_level_is_told_once_a_turn(demo: Services, clock: FixedClock) -> None:
    on_turn(demo)
    clock.advance(timedelta(minutes=40))

    def calls(prefix: str, wait: float, n: int) -> None:
        with transaction(demo.sessions) as session:
            save_calls(session, "sim", [
                CallInfo(f"{prefix}{i}", "support", clock.now() - timedelta(minutes=10),
                         "answered", caller="600111222",
                         answered_at=clock.now() - timedelta(minutes=10, seconds=-wait),
                         extension="211", wait_seconds=wait, talk_seconds=60)
                for i in range(n)], region="ES")

    calls("slow", 90, 4)
    assert "service-level" not in check_alerts(demo).raised  # 4 calls say too little
    calls("slower", 90, 2)
    assert "service-level" in check_alerts(demo).raised
    told = [(t, text.split("\n")[0]) for k, t, text in sent(demo) if "Service level" in text]
    assert told == [("coordinators", "Service level of the last 30 minutes: 0%, below the "
                     "80% target (answered within 20 s). Turn 09:00–10:15; since 09:10.")]
    calls("fast", 5, 30)
    assert check_alerts(demo).cleared == ["service-level"]
    calls("slowest", 300, 60)
    assert "service-level" not in check_alerts(demo).raised  # once per turn


def test_quiet_outside_the_turns(demo: Services, clock: FixedClock) -> None:
    pbx = on_turn(demo)
    waiting(demo, 9)
    pbx.pause("211")
    pbx.pause("212")
    assert check_alerts(demo).raised == ["pressure", "nobody"]
    clock.advance(timedelta(hours=11))  # 20:00, after the last turn of the week's Monday
    report = check_alerts(demo)
    assert report.skipped is not None and report.raised == []
    assert [k for k, _, _ in sent(demo) if k.endswith(":cleared")] == []


def test_alerts_lists_and_only_coordinators_mute(
        demo: Services, chat: Chat, clock: FixedClock) -> None:
    pbx = on_turn(demo)
    listing = chat.say("alice", "/alerts")
    assert listing.splitlines()[0] == "Live alerts:"
    assert "• Ring no answer (3 calls in a row rang out (coordinators at 6)): quiet" in listing
    assert chat.say("alice", "/alerts mute 30m").startswith("Only coordinators")
    assert chat.say("carla", "/alerts mute soon").startswith("For how long?")
    assert chat.say("carla", "/alerts mute 30m").startswith(
        "Alerts to the team and the coordinators are muted until 09:30.")
    pbx.pause("211")
    pbx.pause("212")
    assert check_alerts(demo).raised == ["nobody"]
    assert sent(demo) == []  # muted: raised, not told
    for n in range(3):
        ring_no_answer(demo, "211", f"c{n}")
    assert [t for _, t, _ in sent(demo)] == ["person:alice"]  # an agent still hears theirs
    listing = chat.say("alice", "/alerts")
    assert "Nobody in the queue (nobody in the queue available during a turn): since 09:00" \
        in listing
    assert "Ring no answer (3 calls in a row rang out (coordinators at 6)): Alice Agent: 3 in " \
        "a row since 09:00" in listing
    assert "Muted until 09:30 by Carla Coordinator." in listing
    assert chat.say("carla", "/alerts unmute") == "The alerts speak again."
    assert "Muted" not in chat.say("alice", "/alerts")


@pytest.fixture
def ami() -> Iterator[FakeAmi]:
    fake = FakeAmi(queues=("support",)).start()
    assert isinstance(fake, FakeAmi)
    try:
        yield fake
    finally:
        fake.stop()


def test_three_ring_no_answer_events_on_the_wire_reach_the_agent(demo: Services,
                                                                 ami: FakeAmi) -> None:
    settings = Settings.load(app_yaml=None, environ={
        "PBX_BACKEND": "asterisk", "AMI_HOST": "127.0.0.1", "AMI_PORT": str(ami.port),
        "AMI_USER": ami.username, "AMI_SECRET": ami.secret, "PBX_TIMEOUT": "1"})
    pbx = AsteriskPbx(AmiClient("127.0.0.1", ami.port, ami.username, ami.secret, timeout=1.0),
                      "support", "PJSIP/{extension}")
    services = dataclasses.replace(demo, pbx=pbx)
    stream = build_pbx_events(settings, services)
    assert stream is not None
    told = threading.Event()
    handle = stream.handler

    def counted(event: object) -> None:
        handle(event)  # type: ignore[arg-type]
        if any(t == "person:alice" for _, t, _ in sent(services)):
            told.set()

    stream.handler = counted
    stream.backoff = (0.01, 0.05)
    stream.start()
    try:
        assert stream.wait_for(CONNECTED, WAIT)
        for n in range(3):
            ami.emit([("Event", "AgentRingNoAnswer"), ("Queue", "support"),
                      ("Channel", f"PJSIP/trunk-{n}"), ("Uniqueid", f"1700000000.{n}"),
                      ("Interface", "PJSIP/211"), ("MemberName", "Alice"),
                      ("RingTime", "15")], "agent")
        assert told.wait(WAIT)
    finally:
        stream.stop()
        pbx.close()
    _, target, text = sent(services)[0]
    assert target == "person:alice" and text.startswith("Alice, 3 calls in a row rang out")


def test_the_webhook_counts_calls_that_rang_out(demo: Services, db: Database) -> None:
    client = create_app(make_settings(DATABASE_URL=db.url, PBX_WEBHOOK_SECRET="whsec-rna"),
                        demo).test_client()

    def post(body: dict[str, str]) -> Any:
        raw = json.dumps(body)
        headers = signed_headers("whsec-rna", raw, int(demo.clock.now().timestamp()))
        return client.post("/pbx/events", data=raw, headers=headers)

    for n in (1, 2, 2, 3):  # call 2 posted twice counts once
        answer = post({"event": "call.ring_no_answer", "call_id": f"c{n}", "extension": "211",
                       "queue": "support"})
        assert answer.status_code == 200
    assert answer.get_json()["told"] == "agent"
    assert [t for _, t, _ in sent(demo)] == ["person:alice"]
    missing = post({"event": "call.ring_no_answer", "call_id": "c4", "queue": "support"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "extension"
    post({"event": "call.answered", "call_id": "c5", "extension": "211", "queue": "support"})
    assert sent(demo)[-1][2] == "You answered a call: the ring-no-answer alert is over."


def test_who_hears_the_queue_rules_is_a_setting(demo: Services) -> None:
    pbx = on_turn(demo)
    waiting(demo, 5)
    pbx.pause("211")
    pbx.pause("212")
    to_coordinators = with_settings(demo, ALERT_PRESSURE_TO="coordinators",
                                    ALERT_NOBODY_TO="coordinators")
    assert check_alerts(to_coordinators).raised == ["pressure", "nobody"]
    assert [target for _, target, _ in sent(demo)] == ["coordinators", "coordinators"]
