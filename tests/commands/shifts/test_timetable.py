"""/assign, /swap and /timetable log: coordinators change cells, every change is logged."""

from __future__ import annotations

from datetime import date, timedelta

from commands.core import Services
from integrations.clock import FixedClock
from store.db import transaction
from store.shifts import timetable as shifts
from testing.timetable import import_week
from tests.conftest import Chat


def test_assign_and_swap_are_logged(chat: Chat, demo: Services, clock: FixedClock) -> None:
    import_week(demo)
    assert chat.say("carla", "/assign 2026-11-24 3 T1 @gael") == (
        "Tue 24 Nov, turn 3 (11:30–12:45), line T1: nobody → Gael Agent.")
    assert "Gael Agent (T1)" in chat.say("alice", "/onshift 2026-11-24 12:00")
    clock.advance(timedelta(minutes=3))
    assert chat.say("carla", "/assign tomorrow 1 2 nobody") == (
        "Tue 24 Nov, turn 1 (09:00–10:15), line T2: Alice Agent → nobody.")
    assert chat.say("dani", "/swap @hana @bruno 2026-11-24 09:00") == (
        "Tue 24 Nov, turn 1 (09:00–10:15): line T1: Bruno Agent.")
    assert chat.say("dani", "/swap @chen @bruno 2026-11-24 2") == (
        "Tue 24 Nov, turn 2 (10:15–11:30): line T2: Bruno Agent; line T1: Chen Agent.")
    log = chat.say("carla", "/timetable log")
    assert log.splitlines()[0] == "The latest 5 timetable changes."
    lines = [" ".join(line.split()) for line in log.splitlines()[3:]]
    assert lines[0] == ("09:03 · Dani Coordinator /swap Tue 24 Nov 10:15 line T1: "
                        "Bruno Agent → Chen Agent")
    assert lines[-1] == ("09:00 · Carla Coordinator /assign Tue 24 Nov 11:30 line T1: "
                         "nobody → Gael Agent")
    # One person on a day of festiu cells gives it service: the note says so.
    assert chat.say("carla", "/assign 2026-11-25 1 T1 alice") == (
        "Wed 25 Nov, turn 1 (09:00–10:15), line T1: holiday → Alice Agent (that day had no "
        "service: a holiday in the timetable (festiu); now it has).")


def test_mistakes_are_explained_and_nothing_changes(chat: Chat, demo: Services) -> None:
    import_week(demo)
    assert chat.say("alice", "/assign 2026-11-24 1 T1 @gael").startswith(
        "Sorry, /assign is for coordinators and above")
    assert "has no turn '7'; its turns are 1 (09:00–10:15)" in chat.say(
        "carla", "/assign 2026-11-24 7 T1 @gael")
    assert "has no line 'T9'; its lines are T1, T2." in chat.say(
        "carla", "/assign 2026-11-24 1 T9 @gael")
    assert "I don't know anyone called '@zoe'" in chat.say(
        "carla", "/assign 2026-11-24 1 T1 @zoe")
    assert "Hana Agent is already on turn 09:00–10:15 on another line" in chat.say(
        "carla", "/assign 2026-11-24 1 T2 @hana")
    assert "Neither Gael Agent nor Farah Agent is on turn 09:00–10:15" in chat.say(
        "carla", "/swap @gael @farah 2026-11-24 1")
    assert "'2026-02-31' is not a date" in chat.say("carla", "/assign 2026-02-31 1 T1 @gael")
    assert chat.say("carla", "/timetable log") == (
        "Nobody has changed the timetable from chat yet.")
    assert "Usage: /timetable log [count]" in chat.say("carla", "/timetable")


def test_shifts_shows_a_week_and_a_calendar_link(chat: Chat, demo: Services) -> None:
    import_week(demo)
    mine = chat.say("alice", "/shifts")
    assert mine.splitlines()[0] == "You have 4 turns in the week of Mon 23 Nov."
    assert "Mon 23 Nov  09:00–10:15 · line T1" in mine
    assert "Wed" not in mine.split("== Calendar ==")[0]  # festiu: no turns that day
    assert "/calendar/" in mine and ".ics" in mine
    assert chat.say("alice", "/shifts @bruno").startswith(
        "Only coordinators can see someone else's turns")
    assert chat.say("carla", "/shifts @elena next week").startswith(
        "Elena Agent has ")
    assert "I can't read 'someday' as a week" in chat.say("alice", "/shifts someday")


def test_assigning_on_a_day_planned_by_its_turn_definitions_keeps_its_other_turns(
        chat: Chat, demo: Services) -> None:
    # 2027-06-01 has no timetable: its turns come from the weekday's turn definitions.
    # One /assign once turned the day into a single turn (its only cell).
    before = chat.say("carla", "/onshift 2027-06-01")
    assert "4 turns" in before
    assert chat.say("carla", "/assign 2027-06-01 2 T1 @gael").startswith(
        "Tue 01 Jun, turn 2 (10:15–11:30), line T1: nobody → Gael Agent")
    after = chat.say("carla", "/onshift 2027-06-01")
    assert "4 turns" in after and "Gael Agent" in chat.say("carla", "/onshift 2027-06-01 10:30")


def test_assigning_whoever_is_there_already_changes_and_logs_nothing(
        chat: Chat, demo: Services) -> None:
    import_week(demo)
    # Once logged as a change "Farah Agent → Farah Agent".
    assert chat.say("carla", "/assign 2026-11-24 1 T1 @farah").startswith(
        "Tue 24 Nov, turn 1 (09:00–10:15), line T1: Hana Agent → Farah Agent")
    assert chat.say("carla", "/assign 2026-11-24 1 T1 @farah") == (
        "Tue 24 Nov, turn 1 (09:00–10:15), line T1: Farah Agent is there already; "
        "nothing changed.")
    assert chat.say("carla", "/assign 2026-11-24 3 T1 nobody") == (
        "Tue 24 Nov, turn 3 (11:30–12:45), line T1: nobody is there already; "
        "nothing changed.")
    # A day planned by its turn definitions (no timetable) is not even seeded.
    assert chat.say("carla", "/assign 2027-06-01 2 T1 nobody").endswith(
        "nobody is there already; nothing changed.")
    assert chat.say("carla", "/timetable log").startswith("The latest 1 timetable change.")
    with transaction(demo.sessions) as session:
        assert shifts.cells_of_day(session, date(2027, 6, 1)) == []
