"""/slots: free capacity for everyone; closing, opening and re-templating a date."""

from __future__ import annotations

from commands.core import Services
from testing.ivr import load_capacity
from tests.conftest import Chat


def test_slots_show_the_next_days_with_room(chat: Chat) -> None:
    reply = chat.say("alice", "/slots")
    assert reply.splitlines()[0] == ("Free callback places in support (free/capacity per "
                                     "interval):")
    assert "Mon 23 Nov  27 free: 09:30 3/3 · 10:00 3/3" in reply
    assert "Tue 24 Nov" in reply and "Wed 25 Nov" in reply and "Thu 26 Nov" not in reply


def test_slots_for_one_date_and_a_campaign(chat: Chat) -> None:
    chat.say("alice", "/callback 612345678 2026-11-28 10:00")
    reply = chat.say("alice", "/slots 2026-11-28")
    assert "Sat 28 Nov  7 free: 10:00 1/2 · 10:30 2/2 · 11:00 2/2 · 11:30 2/2" in reply
    assert "Sat 28 Nov  8 free" in chat.say("alice", "/slots campaign:renewals 2026-11-28")
    assert "no free callback places on Sun 29 Nov 2026" in chat.say("alice", "/slots 2026-11-29")
    assert "I don't know the queue 'nosuch'" in chat.say("alice", "/slots nosuch")


def test_coordinators_close_open_and_retemplate_a_date(chat: Chat) -> None:
    chat.say("alice", "/callback 612345678 2026-11-25 10:00")
    assert "for coordinators" in chat.say("alice", "/slots close 2026-11-25")
    assert chat.say("carla", "/slots close 2026-11-25") == (
        "support is closed for callbacks on Wed 25 Nov 2026. 1 callback is already booked "
        "that day and stays booked.")
    assert chat.say("alice", "/slots 2026-11-25") == (
        "support takes no callbacks on Wed 25 Nov 2026: the day is closed.")
    assert "is closed on 2026-11-25" in chat.say("bruno", "/callback 699112233 2026-11-25 11:00")
    assert chat.say("carla", "/slots open 2026-11-25") == (
        "support follows its weekly schedule again on Wed 25 Nov 2026.")
    assert "nothing to do" in chat.say("carla", "/slots open 2026-11-25")
    assert chat.say("carla", "/slots set 2026-11-29 saturday") == (
        "support is on template saturday on Sun 29 Nov 2026.")
    assert "Sun 29 Nov  8 free" in chat.say("alice", "/slots 2026-11-29")
    assert "no template 'nosuch'" in chat.say("carla", "/slots set 2026-11-29 nosuch")
    assert "Which date?" in chat.say("carla", "/slots close tomorrow")


def test_without_capacity_the_asker_is_told_who_configures_it(demo: Services,
                                                               chat: Chat) -> None:
    load_capacity(demo, "{}")
    assert "No callback capacity is configured yet" in chat.say("alice", "/slots")
