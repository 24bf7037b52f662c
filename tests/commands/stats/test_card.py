"""/stats as people type it: periods, queues, who sees which agent rows, the chart link."""

from __future__ import annotations

import pytest

from commands.core import Services
from integrations.clock import FixedClock
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from tests.conftest import T0, Chat


def test_a_coordinator_sees_every_agent(chat: Chat, calls: Services) -> None:
    card = chat.say("carla", "/stats")
    assert card.startswith("Calls today (Mon 23 Nov): 5 offered, 4 answered (80.0 %), "
                           "1 abandoned.")
    assert "  Service level 20 s (of answered)              75.0 %" in card
    assert "  Service level 20 s (of answered + abandoned)  60.0 %" in card
    assert "Alice Agent (211)  2 answered · talk 4 min · AHT 2:00 · no pauses" in card
    assert "Bruno Agent (212)  1 answered · talk 5 min · AHT 5:00 · paused 45 min " \
           "(lunch 45 min)" in card
    assert "Chen Agent (213)" in card
    assert "== Calls per hour ==" in card and "(image: http://127.0.0.1:8080/charts/" in card
    assert chat.last is not None and chat.last.reply.private


def test_an_agent_sees_the_team_and_their_own_row(chat: Chat, calls: Services) -> None:
    card = chat.say("alice", "how are we doing")
    assert "5 offered, 4 answered" in card
    assert "Alice Agent (211)" in card and "Bruno" not in card and "Chen" not in card
    refused = chat.say("alice", "/stats @bruno")
    assert refused == ("Agents see the team's totals and their own figures; ask a "
                       "coordinator for Bruno's.")
    assert chat.last is not None and chat.last.outcome == "denied"


def test_a_coordinator_names_one_agent(chat: Chat, calls: Services) -> None:
    card = chat.say("carla", "/stats @bruno")
    assert "Bruno Agent (212)" in card and "Alice" not in card


@pytest.mark.parametrize(("text", "start"), [
    ("/stats yesterday", "Calls yesterday (Sun 22 Nov): 1 offered, 1 answered"),
    ("estadístiques 2026-11-22", "Calls Sun 22 Nov 2026: 1 offered"),
    ("/stats week", "Calls this week (since Mon 23 Nov): 5 offered"),
    ("/stats month", "Calls this month (since Sun 01 Nov): 6 offered"),
    ("/stats 2026-11-20..2026-11-23", "Calls 20 Nov 2026 to 23 Nov 2026: 6 offered"),
    ("/stats today sales", "Calls in queue sales today (Mon 23 Nov): 1 offered"),
])
def test_periods_and_queues(chat: Chat, calls: Services, text: str, start: str) -> None:
    assert chat.say("carla", text).startswith(start)


def test_only_a_single_day_carries_the_chart(chat: Chat, calls: Services) -> None:
    assert "(image:" not in chat.say("carla", "/stats month")


@pytest.mark.parametrize(("text", "problem"), [
    ("/stats today yesterday", "Give at most one period"),
    ("/stats support sales", "Give at most one period"),
    ("/stats 2026-13-01", "'2026-13-01' is not a real date"),
    ("/stats 2026-12-01", "2026-12-01 is in the future"),
    ("/stats 2026-11-23..2026-11-01", "the end comes before the start"),
])
def test_bad_periods_say_what_would_do(chat: Chat, calls: Services, text: str,
                                       problem: str) -> None:
    reply = chat.say("carla", text)
    assert problem in reply and "Usage: /stats [today|" in reply


def test_an_unknown_queue_lists_the_queues_with_calls(chat: Chat, calls: Services) -> None:
    assert chat.say("carla", "/stats billing") == (
        "No calls in queue billing today (Mon 23 Nov). Queues with calls: sales, support.")


def test_a_quiet_day(chat: Chat, demo: Services) -> None:
    card = chat.say("carla", "/stats")
    assert card.startswith("No calls today (Mon 23 Nov).")
    assert "Answered                                      0 · — of offered" in card


def test_the_chart_is_an_image_in_google_and_slack_cards(chat: Chat, calls: Services) -> None:
    from bot.render.google import render_message as google
    from bot.render.slack import render_message as slack

    chat.say("carla", "/stats")
    assert chat.last is not None
    reply = chat.last.reply
    url = reply.sections[-1].image_url
    assert url is not None and url.startswith("http://127.0.0.1:8080/charts/")
    widgets = [w for s in google(reply)["cardsV2"][0]["card"]["sections"] for w in s["widgets"]]
    assert {"image": {"imageUrl": url, "altText": "Calls per hour"}} in widgets
    assert {"type": "image", "image_url": url, "alt_text": "Calls per hour"} in slack(
        reply)["blocks"]


def test_calls_outside_the_turns_are_counted_apart(chat: Chat, demo: Services,
                                                   clock: FixedClock) -> None:
    """The demo's turns run 09:00–14:00 on weekdays: a call at 08:40 and one at 15:30 are
    outside them (both abandoned), the one at 10:00 inside (answered)."""
    day = T0.replace(hour=0)
    with transaction(demo.sessions) as session:
        save_calls(session, "sim", [
            CallInfo("early", "support", day.replace(hour=8, minute=40), "abandoned",
                     wait_seconds=40),
            CallInfo("inside", "support", day.replace(hour=10), "answered",
                     answered_at=day.replace(hour=10, second=5), extension="211",
                     wait_seconds=5, talk_seconds=100),
            CallInfo("late", "support", day.replace(hour=15, minute=30), "abandoned",
                     wait_seconds=50)], region="ES")
    clock.set(day.replace(hour=18))
    text = chat.say("carla", "/stats today")
    outside = [line.split() for line in
               text.split("== Outside the turns ==")[1].split("==")[0].strip().splitlines()]
    assert [row[:2] for row in outside] == [["Offered", "2"], ["Answered", "0"],
                                            ["Abandoned", "2"]]
    assert "after 0:45 on average" in " ".join(outside[2])  # (40 + 50) / 2 s
    assert "3 offered, 1 answered" in text


def test_stats_by_category_counts_the_typified_calls(chat: Chat, demo: Services) -> None:
    """The demo's two calls of alice today: demo-1 comes typified as an invoice copy,
    demo-2 is typified here."""
    chat.say("alice", "/typify demo-2 outage")
    text = chat.say("carla", "/stats today by category")
    section = text.split("== Calls by category ==")[1].strip().splitlines()
    rows = {line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[1] for line in section}
    assert rows == {"Billing › Invoice copy": "1", "Outage": "1"}
    assert "Calls by category" not in chat.say("carla", "/stats today")
