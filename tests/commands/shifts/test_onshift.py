"""/onshift against an imported Tomàtic week: planned vs live, holidays, outside turns."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from commands.core import Services
from integrations.errors import Unreachable
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store.db import transaction
from store.shifts.absences import Absence
from store.shifts.timetable_io import DAY_CODES
from store.team import people
from testing.timetable import EXPECTED, WEEK, import_week
from tests.conftest import MADRID, T0, Chat

NAMES = {"alice": "Alice Agent", "bruno": "Bruno Agent", "chen": "Chen Agent",
         "diego": "Diego Agent", "elena": "Elena Agent", "farah": "Farah Agent",
         "gael": "Gael Agent", "hana": "Hana Agent"}
HOURS = [time(9, 0), time(10, 15), time(11, 30), time(12, 45), time(14, 0)]


def named(reply: str) -> list[str]:
    """The people a reply's first line names after the colon."""
    first = reply.splitlines()[0]
    listed = first.rsplit(": ", 1)[1].rstrip(".")
    return [] if listed.startswith(("everyone", "Nobody")) else listed.split(", ")


def test_any_moment_of_any_turn_names_exactly_that_turns_people(chat: Chat,
                                                                demo: Services) -> None:
    import_week(demo)
    for offset, code in enumerate(DAY_CODES[:5]):
        day = WEEK + timedelta(days=offset)
        for minutes in range(8 * 60, 15 * 60, 20):
            at = datetime.combine(day, time(minutes // 60, minutes % 60), MADRID)
            reply = chat.say("alice", f"/onshift {day} {at:%H:%M}")
            assert chat.last is not None and chat.last.ok, reply
            turn = next((i for i in range(4)
                         if HOURS[i] <= at.time() < HOURS[i + 1]), None)
            if code == "dx":
                assert "has no service: a holiday in the timetable (festiu)" in reply
                assert "Nobody is on shift" in reply
            elif turn is None:
                assert "Nobody is on shift" in reply and "outside the turns" in reply
            elif not EXPECTED[code][turn]:
                assert "Nobody is planned on this turn" in reply, reply
            else:
                assert named(reply) == [NAMES[k] for k in EXPECTED[code][turn]], (at, reply)
            assert "ningu" not in reply.lower()


def test_the_current_turn_is_live(chat: Chat, demo: Services) -> None:
    import_week(demo)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212", "215"])  # alice, bruno + elena (not on turn)
    chat.say("bruno", "/pause lunch")
    with transaction(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        session.add(Absence(person_id=alice.id, starts=T0 - timedelta(hours=1),
                            ends=T0 + timedelta(days=2), kind="sick", source="local"))
    reply = chat.say("carla", "who is on shift")
    assert reply.startswith("On shift now: today, turn 1 (09:00–10:15): Bruno Agent.")
    assert "Alice Agent (T1)  absent: sick (until Wed 25 Nov 09:00)" in reply
    assert "Bruno Agent (T2)  paused: lunch since 09:00 (0 min)" in reply
    assert "== In the queue but not on turn ==\n  Elena Agent  available" in reply
    demo.pbx.set_state("215", MemberState.DISCONNECTED)
    chat.say("bruno", "/resume")
    demo.pbx.set_state("212", MemberState.IN_CALL)
    assert "Bruno Agent (T2)  in a call" in chat.say("carla", "/onshift now")


def test_a_disconnected_agent_on_turn(chat: Chat, demo: Services) -> None:
    import_week(demo)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212"])
    demo.pbx.set_state("212", MemberState.DISCONNECTED)
    reply = chat.say("alice", "qui hi ha")
    assert "Alice Agent (T1)  available" in reply
    # What needs action comes first.
    assert reply.index("== Not connected ==\nBruno Agent (T2): disconnected") \
        < reply.index("Alice Agent (T1)  available")


def test_a_silent_pbx_leaves_the_timetable_answer(chat: Chat, demo: Services) -> None:
    import_week(demo)

    def down() -> list[object]:
        raise Unreachable("the PBX", "did not answer in time")

    demo.pbx.queue_status = down  # type: ignore[method-assign,assignment]
    reply = chat.say("alice", "quién está")
    assert named(reply) == ["Alice Agent", "Bruno Agent"]
    assert "the PBX did not answer (did not answer in time); showing the timetable only." in reply


def test_next_today_and_public_holidays(chat: Chat, demo: Services) -> None:
    import_week(demo)
    assert chat.say("alice", "/onshift next").startswith(
        "Next turn: today, turn 2 (10:15–11:30): Chen Agent, Diego Agent.")
    day = chat.say("alice", "/onshift tomorrow")
    assert day.startswith("Shifts on Tue 24 Nov 2026: 4 turns (turns from 09:00 to 14:00).")
    assert "== Turn 3 · 11:30–12:45 ==\nNobody is planned." in day
    assert chat.say("alice", "/onshift 2026-12-08 10:00") == (
        "Tue 08 Dec has no service: Immaculate Conception (public holiday). Nobody is on shift.")
    assert chat.say("alice", "/onshift 21:30").startswith("Nobody is on shift at Mon 23 Nov 21:30")
    usage = chat.say("alice", "/onshift someday")
    assert "I can't read 'someday' as a moment" in usage and "Usage: /onshift" in usage


def test_the_queue_board_expects_the_current_turn(chat: Chat, demo: Services) -> None:
    import_week(demo)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211"])
    board = chat.say("carla", "/queue")
    missing = board.split("== Expected but not in the queue ==")[1]
    assert re.findall(r"/add @(\w+)", missing) == ["bruno"]
    with transaction(demo.sessions) as session:
        assert session.scalar(select(Absence)) is None



def test_onshift_at_a_thousand_agents_leads_with_problems_and_counts(chat: Chat,
                                                                     demo: Services) -> None:
    from store.shifts import timetable
    from store.shifts.timetable import PERSON, TimetableCell, TimetableWeek
    from testing.big_team import fill_sim_queue, load_big_team
    from testing.timetable import WEEK

    with transaction(demo.sessions) as session:
        team = load_big_team(session, demo.clock.now(), agents=1000)
        lines = [f"L{n}" for n in range(1000)]
        timetable.replace_week(session, TimetableWeek(
            monday=WEEK, days=["dl"], hours=["09:00", "10:15"], lines=lines,
            imported_at=T0), [
            TimetableCell(day=WEEK, start=time(9), end=time(10, 15), line=lines[n],
                          position=n, status=PERSON, person_id=p.id)
            for n, p in enumerate(team.agents)])
    trouble = fill_sim_queue(demo, team, over_limit=64, disconnected=0, paused=100)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(team.extensions[:-48])  # 48 on turn are not in the queue
    reply = chat.say("boss", "/onshift")
    headline = reply.split("\n")[0]
    assert headline == ("On shift now: today, turn 1 (09:00–10:15): 1000 people — 788 on "
                        "turn, 164 paused, 48 not connected (64 over the pause limit).")
    late = reply.split("== Paused over the limit ==")[1].split("==")[0]
    assert all(f"{p.name} (L{n})" in late for n, p in enumerate(trouble.over_limit))
    gone = reply.split("== Not connected ==")[1].split("==")[0]
    assert gone.count("not in the queue") == 48
    assert "== Turn 1 · 09:00–10:15 (1–40 of 888) ==" in reply
    assert "[Page 2 of 23: /onshift page 2]" in reply
    second = chat.say("boss", "/onshift page 23")
    assert "(881–888 of 888)" in second and "Page 24" not in second
