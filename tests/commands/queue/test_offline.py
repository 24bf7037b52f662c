"""The offline monitor: one alert after the grace period, one "back online", nothing for
a short drop, and an absent agent is absent, never offline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.render.text import render_text
from commands.core import Reply, Services
from commands.queue.offline import check_offline
from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.shifts.absences import Absence
from store.team import people
from testing.timetable import import_week
from tests.conftest import T0, Chat


def sent(services: Services) -> list[tuple[str, str]]:
    with transaction(services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.target, render_text(Reply.from_dict(r.body))) for r in rows]


def setup(demo: Services) -> SimPbx:
    import_week(demo)  # turn 1 on Monday: alice (T1), bruno (T2)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212"])
    return demo.pbx


def test_a_disconnection_past_the_grace_is_reported_once_and_closed_once(
        demo: Services, clock: FixedClock, chat: Chat) -> None:
    pbx = setup(demo)
    clock.advance(timedelta(minutes=5))
    pbx.set_state("212", MemberState.DISCONNECTED)
    assert check_offline(demo).opened == ["bruno"]
    for _ in range(2):  # 60 s, 120 s: still within / at the grace period
        clock.advance(timedelta(seconds=60))
        report = check_offline(demo)
    assert report.alerted == ["bruno"]
    assert sent(demo) == [
        ("coordinators", "@bruno is on turn (09:00–10:15, line T2) but disconnected since 09:05."),
        ("person:bruno", "Bruno, you are on turn (09:00–10:15) but your phone shows as "
                         "disconnected since 09:05. Log in (/login) or pause with a reason."),
    ]
    assert "Bruno Agent (T2, ext 212)  disconnected since 09:05 (2 min)" in chat.say(
        "carla", "/offline")
    for _ in range(5):  # no repeats within the episode
        clock.advance(timedelta(seconds=60))
        assert check_offline(demo).alerted == []
    pbx.set_state("212", MemberState.AVAILABLE)
    assert check_offline(demo).back == ["bruno"]
    clock.advance(timedelta(seconds=60))
    check_offline(demo)
    assert sent(demo)[2:] == [("coordinators", "Bruno Agent is back online (was away 7 min).")]
    assert chat.say("carla", "/offline").startswith("Everyone on turn 1 (09:00–10:15)")


def test_flapping_inside_the_grace_raises_nothing(demo: Services, clock: FixedClock) -> None:
    pbx = setup(demo)
    for _ in range(4):
        pbx.set_state("211", MemberState.DISCONNECTED)
        check_offline(demo)
        clock.advance(timedelta(seconds=90))
        pbx.set_state("211", MemberState.AVAILABLE)
        check_offline(demo)
        clock.advance(timedelta(seconds=30))
    assert sent(demo) == []


def test_an_absent_agent_is_absent_never_offline(demo: Services, clock: FixedClock,
                                                 chat: Chat) -> None:
    pbx = setup(demo)
    pbx.remove_member("211")
    with transaction(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        session.add(Absence(person_id=alice.id, starts=T0, ends=T0 + timedelta(hours=8),
                            kind="vacation", source="local"))
    for _ in range(6):
        check_offline(demo)
        clock.advance(timedelta(minutes=1))
    assert sent(demo) == []
    assert "Alice Agent (T1)  absent: vacation" in chat.say("carla", "/onshift")
    assert "Alice" not in chat.say("carla", "/offline")


def test_paused_agents_and_other_turns_are_not_chased(demo: Services,
                                                      clock: FixedClock) -> None:
    pbx = setup(demo)
    pbx.pause("211", "lunch")
    pbx.set_state("211", MemberState.DISCONNECTED)
    pbx.set_state("212", MemberState.DISCONNECTED)
    check_offline(demo)
    clock.set(T0.replace(hour=10, minute=14))
    check_offline(demo)
    assert [t for t, _ in sent(demo)] == ["coordinators", "person:bruno"]
    clock.set(T0.replace(hour=14, minute=30))  # after the last turn: nothing is open
    assert check_offline(demo).skipped == "outside the turns"
    clock.set(T0 + timedelta(days=2))  # Wednesday: festiu in the timetable
    assert "festiu" in (check_offline(demo).skipped or "")


def test_offline_on_a_day_without_a_timetable_says_so(chat: Chat, demo: Services,
                                                      clock: FixedClock) -> None:
    """A day with turns but no timetable: nobody is planned, so nobody can be called
    connected or not (it used to say everyone on turn was connected)."""
    assert "3 on turn 1" in chat.say("carla", "/offline")  # the demo plans today
    clock.set(T0 + timedelta(days=14))  # a Monday the demo's timetable does not reach
    answer = chat.say("carla", "/offline")
    assert "has nobody planned today" in answer and "is connected" not in answer
