"""/busy and /plan in chat: rules added, listed and removed; a plan made in the background,
its summary card, the confirmation, the publish with its log and messages, /onshift
naming the planned people, and /plan explain."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from commands.core import Services
from commands.shifts.planning import chat as planning_chat
from commands.shifts.planning.drafts import make_draft, publish
from commands.shifts.planning.inputs import Options
from integrations.clock import FixedClock
from store.db import reading
from store.messaging.outbox import OutboxMessage
from store.shifts import planning, timetable
from store.shifts.timetable import TimetableChange
from store.team import people
from tests.conftest import T0, Chat

NEXT_MONDAY = date(2026, 11, 30)


def outbox(services: Services) -> list[tuple[str, str]]:
    with reading(services.sessions) as session:
        return [(m.target, m.body["text"]) for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def test_busy_adds_lists_and_removes_ones_own_rules(chat: Chat) -> None:
    assert chat.say("alice", "/busy mon 09:00-11:30 school run") == (
        "Rule #1 added: would rather not: Mondays, turns 1, 2 — school run "
        "(alice dl 1100 # school run).")
    assert chat.say("alice", "/busy! 2026-12-14 all day doctor") == (
        "Rule #2 added: cannot: Mon 14 Dec 2026, all day — doctor (+alice 2026-12-14 # doctor).")
    assert chat.say("alice", "/busy every 14:00-15:00 lessons").startswith(
        "No turn overlaps 14:00-15:00; the turns are 09:00–10:15, 10:15–11:30")
    listed = chat.say("alice", "/busy list")
    assert listed.splitlines()[0] == "You have 2 availability rules."
    assert "#2  cannot: Mon 14 Dec 2026, all day — doctor" in listed
    assert chat.say("alice", "/busy mon 09:00-10:00").startswith(
        "A reason is required: /busy mon 09:00-11:30 school run.")
    assert chat.say("alice", "/busy someday school").startswith("'someday' is not a day")
    assert chat.say("bruno", "/busy remove 1") == (
        "There is no rule #1 of yours; /busy list shows them.")
    assert chat.say("bruno", "/busy @alice list").startswith("Only coordinators")
    assert chat.say("carla", "/busy! @bruno tue 1000 team meeting") == (
        "Rule #3 added for Bruno Agent: cannot: Tuesdays, turns 1 — team meeting "
        "(+bruno dm 1000 # team meeting).")
    assert chat.say("alice", "/busy remove 1") == (
        "Removed rule #1 (would rather not: Mondays, turns 1, 2 — school run).")
    assert chat.say("alice", "/busy list").splitlines()[0] == "You have 1 availability rule."


def test_plan_next_week_then_publish_then_onshift(chat: Chat, demo: Services) -> None:
    chat.say("alice", "/busy mon 09:00-11:30 school run")
    chat.say("carla", "/busy! @bruno 2026-12-01 all day doctor")
    assert chat.say("alice", "/plan next week").startswith("Sorry, /plan is for coordinators")
    assert chat.say("carla", "/plan next week") == (
        "Planning the week of Mon 30 Nov in the background; I will send you the summary "
        "when it is done.")
    assert planning_chat.wait(120)
    [(_target, card)] = [m for m in outbox(demo) if m[0] == "person:carla"]
    assert card.startswith("Plan for the week of 2026-11-30: optimal, cost ")
    with reading(demo.sessions) as session:
        row = planning.draft(session, NEXT_MONDAY)
        assert row is not None
        draft = list(row.cells)
        summary = dict(row.summary)
        live_before = {(c.day, c.start, c.line): c.person_id
                       for c in timetable.cells_between(session, NEXT_MONDAY,
                                                        NEXT_MONDAY + timedelta(days=6))}
    assert not [c for c in draft if c["person"] == "bruno" and c["day"] == "2026-12-01"]
    bruno = next(x for x in summary["loads"] if x["key"] == "bruno")
    assert (bruno["working_days"], bruno["prorated"]) == (4, 6)  # 8 × 4 / 5 = 6.4 → 6
    # A draft never changes the live timetable.
    with reading(demo.sessions) as session:
        assert {(c.day, c.start, c.line): c.person_id for c in timetable.cells_between(
            session, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6))} == live_before
    ask = chat.say("carla", "/plan publish")
    assert ask.startswith("Publish the draft of the week of Mon 30 Nov?")
    assert "[Publish: /plan publish 2026-11-30 confirm]" in ask
    done = chat.say("carla", "/plan publish 2026-11-30 confirm")
    assert done.startswith("Published the week of 2026-11-30: ")
    assert done.endswith("; 8 people told their turns.")
    with reading(demo.sessions) as session:
        keys = {p.id: p.key for p in people.all_people(session)}
        live = {(f"{c.day:%Y-%m-%d}", f"{c.start:%H:%M}", c.line): keys.get(c.person_id or -1)
                for c in timetable.cells_between(session, NEXT_MONDAY,
                                                 NEXT_MONDAY + timedelta(days=6))}
        changes = list(session.scalars(select(TimetableChange).where(
            TimetableChange.action == "plan")))
    assert live == {(c["day"], c["start"], c["line"]): c["person"] for c in draft}
    before = {(f"{d:%Y-%m-%d}", f"{t:%H:%M}", line): keys.get(pid or -1)
              for (d, t, line), pid in live_before.items()}
    differ = [k for k in set(before) | set(live) if before.get(k) != live.get(k)]
    assert changes and len(changes) == len(differ)
    assert done.startswith(f"Published the week of 2026-11-30: {len(changes)} cells changed")
    messages = outbox(demo)
    alice_dm = [text for target, text in messages if target == "person:alice"]
    assert alice_dm and alice_dm[-1].startswith("Your turns for the week of Mon 30 Nov: ")
    monday_first = sorted(who for (day, start, _), who in live.items()
                          if day == "2026-11-30" and start == "09:00" and who)
    onshift = chat.say("alice", "/onshift 2026-11-30 09:30")
    names = {p.key: p.name for p in _team(demo)}
    assert onshift.startswith("On shift: Mon 30 Nov, turn 1 (09:00–10:15): ")
    for key in monday_first:
        assert names[key] in onshift.splitlines()[0]
    assert "· Carla Coordinator  /plan Fri 04 Dec" in chat.say("carla", "/timetable log 5")
    shown = chat.say("carla", "/plan show")
    assert shown.splitlines()[0].endswith("(published)") and "== Penalties ==" in shown
    explained = chat.say("carla", "/plan explain @alice")
    assert explained.startswith("Alice: ideal 8 turns; prorated 8 (5 working of 5 service "
                                "days); bound 8; at most 2 a day.")
    assert "Would rather not: Mon 09:00 ('school run'); Mon 10:15 ('school run')." in explained


def _team(services: Services) -> list[people.Person]:
    with reading(services.sessions) as session:
        return people.all_people(session)


def test_publishing_a_begun_week_keeps_its_past_cells(demo: Services,
                                                      clock: FixedClock) -> None:
    wednesday = T0 + timedelta(days=2, hours=1)  # Wed 25 Nov, 10:00: turn 2 has begun
    clock.set(wednesday)
    monday = T0.date()
    make_draft(demo, monday, Options(time_limit=20))
    with reading(demo.sessions) as session:
        before = {(c.day, c.start, c.line): (c.status, c.person_id)
                  for c in timetable.cells_between(session, monday, monday + timedelta(days=6))}
    report = publish(demo, monday, None)
    with reading(demo.sessions) as session:
        after = {(c.day, c.start, c.line): (c.status, c.person_id)
                 for c in timetable.cells_between(session, monday, monday + timedelta(days=6))}
        logged = list(session.scalars(select(TimetableChange)))
    begun = {k: v for k, v in before.items() if (k[0], k[1]) <= (wednesday.date(),
                                                                 wednesday.time())}
    assert begun and all(after[k] == v for k, v in begun.items())
    assert report.kept_past == len(begun)
    assert all((c.day, c.start) > (wednesday.date(), wednesday.time()) for c in logged)
    assert report.changed == len(logged)
    # Only turns from now on are announced.
    told = [text for _target, text in outbox(demo) if text.startswith("Your turns")]
    assert told and not [t for t in told if re.search(r"(Mon 23|Tue 24|Wed 25) Nov 09:00", t)]
