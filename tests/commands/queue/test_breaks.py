"""/breaks over a hand-built log, with the figures worked out by hand below."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commands.core import Services
from integrations.clock import FixedClock
from store.db import transaction
from store.queue.activity import PAUSE, SESSION, Activity
from store.team import people
from tests.conftest import Chat

MADRID = ZoneInfo("Europe/Madrid")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MADRID)


# (person, kind, reason, start, end) — Mon 23, Tue 24 and Wed 25 November 2026.
LOG = [
    # Bruno: a late session and a break across Monday midnight.
    ("bruno", SESSION, None, at(23, 22, 30), at(24, 1, 30)),
    ("bruno", PAUSE, "break", at(23, 23, 50), at(24, 0, 10)),
    # Tuesday.
    ("bruno", SESSION, None, at(24, 8), at(24, 15)),
    ("bruno", PAUSE, "break", at(24, 10), at(24, 10, 12)),
    ("bruno", PAUSE, "break", at(24, 11, 30), at(24, 11, 35)),
    ("bruno", PAUSE, "lunch", at(24, 13), at(24, 13, 45)),
    # Wednesday, still in the queue and at lunch at noon.
    ("bruno", SESSION, None, at(25, 8), None),
    ("bruno", PAUSE, "break", at(25, 9), at(25, 9, 10)),
    ("bruno", PAUSE, "lunch", at(25, 11, 20), None),
    # Chen: in training since Tuesday 17:00 and still there.
    ("chen", PAUSE, "training", at(24, 17), None),
    # Someone else's Friday, outside every period asked about.
    ("alice", PAUSE, "break", at(20, 10), at(20, 10, 15)),
]


@pytest.fixture
def logged(demo: Services, clock: FixedClock) -> Services:
    clock.set(at(25, 12))  # Wednesday noon
    with transaction(demo.sessions) as session:
        ids = {p.key: p.id for p in people.all_people(session)}
        for key, kind, reason, start, end in LOG:
            session.add(Activity(person_id=ids[key], kind=kind, reason=reason, started_at=start,
                                 ended_at=end, source="chat"))
    return demo


def figures(chat: Chat, key: str, text: str) -> dict[str, dict[str, str]]:
    result = chat.send(key, text)
    assert result.ok, result.reply.text
    return {s.title or "": dict(s.rows) for s in result.reply.sections}


def test_today_counts_open_rows_up_to_now(chat: Chat, logged: Services) -> None:
    # Session 08:00 → 12:00 (open); break 09:00–09:10; lunch 11:20 → 12:00 (open).
    assert figures(chat, "bruno", "/breaks") == {"Bruno Agent": {
        "break": "1 pause, 10 min",
        "lunch": "1 pause, 40 min",
        "all pauses": "2 pauses, 50 min",
        "logged in": "4 h 00 min",
    }}


def test_a_date_clips_rows_that_cross_its_edges(chat: Chat, logged: Services) -> None:
    # Bruno on Tuesday: session 00:00–01:30 (from Monday) + 08:00–15:00 = 8 h 30;
    # breaks 00:00–00:10 (from Monday) + 12 + 5 = 27 min; lunch 45 min.
    # Chen: training 17:00 → midnight (still open now) = 7 h.
    assert figures(chat, "carla", "/breaks 2026-11-24") == {
        "Bruno Agent": {
            "break": "3 pauses, 27 min",
            "lunch": "1 pause, 45 min",
            "all pauses": "4 pauses, 1 h 12 min",
            "logged in": "8 h 30 min",
        },
        "Chen Agent": {"training": "1 pause, 7 h 00 min", "logged in": "0 min"},
    }


def test_the_week_runs_from_monday_midnight_to_now(chat: Chat, logged: Services) -> None:
    # Sessions 3 h + 7 h + 4 h; breaks 20 + 12 + 5 + 10 = 47 min; lunch 45 + 40 = 85 min.
    # Chen: Tuesday 17:00 → Wednesday 12:00 = 19 h.
    week = figures(chat, "dani", "/breaks week")
    assert week["Bruno Agent"] == {
        "break": "4 pauses, 47 min",
        "lunch": "2 pauses, 1 h 25 min",
        "all pauses": "6 pauses, 2 h 12 min",
        "logged in": "14 h 00 min",
    }
    assert week["Chen Agent"] == {"training": "1 pause, 19 h 00 min", "logged in": "0 min"}
    assert "Alice Agent" not in week
    assert figures(chat, "dani", "/breaks week @chen") == {"Chen Agent": week["Chen Agent"]}


def test_agents_see_only_their_own(chat: Chat, logged: Services) -> None:
    assert list(figures(chat, "bruno", "/breaks week")) == ["Bruno Agent"]
    assert list(figures(chat, "bruno", "/breaks week @bruno")) == ["Bruno Agent"]
    reply = chat.say("bruno", "/breaks week @chen")
    assert chat.last is not None and chat.last.outcome == "denied"
    assert "only their own" in reply and "19 h" not in reply
    assert figures(chat, "alice", "/breaks") == {"Alice Agent": {"pauses": "none",
                                                                 "logged in": "0 min"}}


@pytest.mark.parametrize(("text", "why"), [
    ("/breaks tomorrow", "I don't understand the period 'tomorrow'"),
    ("/breaks 2026-02-30", "'2026-02-30' is not a real date"),
    ("/breaks 2026-12-01", "2026-12-01 is in the future"),
    ("/breaks today week", "Give one period"),
])
def test_bad_periods_name_the_accepted_forms(chat: Chat, logged: Services, text: str,
                                             why: str) -> None:
    reply = chat.say("bruno", text)
    assert chat.last is not None and chat.last.outcome == "usage"
    assert why in reply
    assert "today, yesterday, week, month, a date (YYYY-MM-DD) or FROM..TO" in reply


def test_a_day_of_25_hours_when_summer_time_ends(chat: Chat, demo: Services,
                                                 clock: FixedClock) -> None:
    clock.set(at(26, 9, month=10))
    with transaction(demo.sessions) as session:
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        session.add(Activity(person_id=bruno.id, kind=SESSION, started_at=at(24, 20, month=10),
                             source="chat"))
    assert figures(chat, "bruno", "/breaks 2026-10-25")["Bruno Agent"]["logged in"] == (
        "25 h 00 min")
    assert figures(chat, "bruno", "/breaks yesterday")["Bruno Agent"]["logged in"] == (
        "25 h 00 min")


def test_the_month_runs_from_the_first_to_now(chat: Chat, logged: Services) -> None:
    # November holds this week and, before it, Alice's one break of the week before.
    month = figures(chat, "dani", "/breaks month")
    assert month == {**figures(chat, "dani", "/breaks week"),
                     "Alice Agent": {"break": "1 pause, 15 min", "logged in": "0 min"}}
    assert "this month (since Sun 01 Nov)" in chat.say("dani", "/breaks month")


@pytest.mark.parametrize(("text", "why"), [
    ("/breaks 2026-11-20..2026-11-01", "the end comes before the start"),
    ("/breaks 2024-01-01..2026-11-20", "at most 400 days"),
])
def test_bad_ranges_say_why(chat: Chat, logged: Services, text: str, why: str) -> None:
    assert why in chat.say("bruno", text)
    assert chat.last is not None and chat.last.outcome == "usage"


def test_a_range_of_days_is_the_sum_of_its_days(chat: Chat, logged: Services,
                                                clock: FixedClock) -> None:
    today = clock.now().astimezone(MADRID).date()
    monday = today - timedelta(days=today.weekday())
    assert figures(chat, "dani", f"/breaks {monday}..{today}") == \
        figures(chat, "dani", "/breaks week")
