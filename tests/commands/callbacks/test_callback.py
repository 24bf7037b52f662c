"""Callbacks from chat: booking, the nearest free times, take, call now, outcomes, lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commands.callbacks.booking import Booked, Request, book
from commands.callbacks.due import dispatch_callbacks
from commands.callers.card import CardContext, pending_callbacks
from commands.core import Services
from integrations.clock import FixedClock
from integrations.pbx.sim.backend import SimPbx
from store.callbacks import bookings
from store.callbacks.bookings import Callback, CallbackEvent
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from tests.conftest import Chat


def stored(services: Services, cid: int = 1) -> Callback:
    with transaction(services.sessions) as session:
        found = bookings.get(session, cid)
        assert found is not None
        return found


def events(services: Services, cid: int = 1) -> list[tuple[str, str]]:
    with transaction(services.sessions) as session:
        return [(e.kind, e.actor) for e in session.scalars(
            select(CallbackEvent).where(CallbackEvent.callback_id == cid)
            .order_by(CallbackEvent.id))]


def outbox(services: Services) -> list[tuple[str, str]]:
    with transaction(services.sessions) as session:
        return [(m.key, m.target) for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def test_booking_a_personal_callback(chat: Chat, demo: Services) -> None:
    reply = chat.say("alice", "/callback 612 34 56 78 tomorrow 10:30 about the invoice")
    assert reply == ("Callback #1 booked: +34612345678, tomorrow 10:30 (support). It is "
                     "yours: I will message you when it is due.\n\n"
                     "  [Cancel: /callback cancel 1]")
    callback = stored(demo)
    assert callback.note == "about the invoice" and callback.source == "chat"
    assert events(demo) == [("requested", "person:alice")]
    again = chat.say("alice", "schedule callback +34612345678 16:00")
    assert again.startswith("+34612345678 already has a pending callback in support: #1")


BAD_BOOKINGS = [
    ("/callback", "Give the number"),
    ("/callback tomorrow 10:30", "is not a phone number"),
    ("/callback 612345678", "When should I call back"),
    ("/callback 612345678 someday 10:00", "can't read 'someday' as a day"),
    ("/callback 612345678 2026-02-30 10:00", "not a real date"),
    ("/callback 12 tomorrow 10:30", "the number"),
    ("/callback 612345678 08:00", "the time is in the past"),
    ("/callback 612345678 tomorrow 14:00", "takes no callbacks"),
    ("/callback 612345678 2026-12-20 10:00", "beyond the horizon"),
]


def test_bad_bookings_say_why(chat: Chat) -> None:
    for text, words in BAD_BOOKINGS:
        assert words in chat.say("alice", text), text


def test_a_full_interval_offers_the_nearest_free_times_as_buttons(chat: Chat,
                                                                  demo: Services) -> None:
    assert "booked" in chat.say("alice", "/callback 612000001 tomorrow 12:00")
    assert "booked" in chat.say("bruno", "/callback 612000002 tomorrow 12:00")
    result = chat.send("chen", "devolver llamada 612000003 tomorrow 12:00 support urgent")
    assert result.reply.text == "tomorrow 12:00 is full in support. The nearest free times:"
    buttons = result.reply.sections[0].buttons
    assert [b.label for b in buttons] == ["tomorrow 11:00", "tomorrow 11:30", "tomorrow 12:30"]
    assert buttons[2].text == "/callback 612000003 2026-11-24 12:30 support urgent"
    booked = chat.say("chen", buttons[2].text)  # (a refused booking may use up an id)
    assert "booked: +34612000003, tomorrow 12:30 (support)" in booked
    with transaction(demo.sessions) as session:
        assert [c.note for c in bookings.by_phone(session, "+34612000003")] == ["urgent"]


def test_a_due_personal_callback_goes_to_its_connected_agent(chat: Chat, demo: Services,
                                                             clock: FixedClock) -> None:
    demo.pbx.set_members(["211"])
    chat.say("alice", "/callback 612345678 09:30")
    clock.advance(timedelta(minutes=29))
    assert dispatch_callbacks(demo).to_agents == []
    clock.advance(timedelta(minutes=1))
    report = dispatch_callbacks(demo)
    assert report.to_agents == [1] and report.to_team == []
    assert outbox(demo) == [("callback:1:attempt:1:dm", "person:alice")]
    assert dispatch_callbacks(demo).to_agents == []  # handed out once
    # Another agent cannot take what was sent to alice.
    assert "was sent to Alice Agent" in chat.say("bruno", "/callback take 1")
    reply = chat.say("alice", "/callback call 1")
    assert reply.startswith("Calling: your phone (211) rings first, then +34612345678.")
    assert isinstance(demo.pbx, SimPbx)
    assert [(e, n) for e, n, _ in demo.pbx.originated] == [("211", "+34612345678")]
    assert chat.say("alice", "/callback done 1 sorted") == "Callback #1 done. Thanks!"
    assert stored(demo).status == "done"
    assert [k for k, _ in events(demo)] == ["requested", "dispatched", "taken", "called", "done"]
    assert "is done already" in chat.say("alice", "/callback done 1")


def test_an_offline_agent_s_callback_goes_to_the_team_and_the_first_taker_owns_it(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    chat.say("alice", "/callback 612345678 09:30")  # alice is not connected
    clock.advance(timedelta(minutes=30))
    assert dispatch_callbacks(demo).to_team == [1]
    assert outbox(demo) == [("callback:1:attempt:1:team", "team")]
    taken = chat.say("bruno", "/callback take 1")
    assert taken.startswith("Bruno, callback #1 is yours: call +34612345678.")
    assert chat.say("chen", "/callback take 1") == "Callback #1 was taken by Bruno Agent."
    assert chat.say("bruno", "/callback take 1").startswith("Bruno, callback #1 is yours")
    assert chat.say("chen", "/callback done 1") == (
        "Callback #1 was taken by Bruno Agent; only they can record how it went.")
    assert events(demo)[-1] == ("taken", "person:bruno")


def test_no_answer_is_retried_then_fails(chat: Chat, demo: Services, clock: FixedClock) -> None:
    demo.pbx.set_members(["211"])
    chat.say("alice", "/callback 612345678 09:30")
    clock.advance(timedelta(minutes=30))
    for attempt in (1, 2):
        assert dispatch_callbacks(demo).to_agents == [1]
        reply = chat.say("alice", "/callback noanswer 1")
        assert reply == (f"No answer: callback #1 will be retried today "
                         f"{(clock.now() + timedelta(minutes=15)):%H:%M} (attempt "
                         f"{attempt + 1} of 3).")
        assert stored(demo).status == "scheduled"
        clock.advance(timedelta(minutes=14))
        assert dispatch_callbacks(demo).to_agents == []  # not yet
        clock.advance(timedelta(minutes=1))
    assert dispatch_callbacks(demo).to_agents == [1]
    assert stored(demo).attempts == 3
    assert "has failed after 3 attempts" in chat.say("alice", "/callback noanswer 1")
    assert stored(demo).status == "failed"
    assert ("callback:1:failed:coordinators", "coordinators") in outbox(demo)
    kinds = [k for k, _ in events(demo)]
    assert kinds.count("dispatched") == 3 and kinds.count("retry") == 2
    assert kinds[-2:] == ["noanswer", "failed"]


def test_nobody_taking_it_expires_it(chat: Chat, demo: Services, clock: FixedClock) -> None:
    chat.say("alice", "/callback 612345678 09:30")
    clock.advance(timedelta(minutes=30))
    dispatch_callbacks(demo)
    clock.advance(timedelta(minutes=59))
    assert dispatch_callbacks(demo).expired == []
    clock.advance(timedelta(minutes=1))
    assert dispatch_callbacks(demo).expired == [1]
    assert stored(demo).status == "expired"
    assert events(demo)[-1] == ("expired", "system")
    assert ("callback:1:expired:coordinators", "coordinators") in outbox(demo)


def test_cancelling_frees_the_place_and_only_the_booker_or_a_coordinator_may(
        chat: Chat, demo: Services) -> None:
    chat.say("alice", "/callback 612000001 tomorrow 12:00")
    chat.say("bruno", "/callback 612000002 tomorrow 12:00")
    assert chat.say("chen", "/callback cancel 1") == (
        "Callback #1 was booked by Alice Agent; only they or a coordinator can cancel it.")
    assert chat.say("carla", "/callback cancel 1 customer called in") == (
        "Callback #1 cancelled; its place is free again.")
    assert "Callback #3 booked" in chat.say("chen", "/callback 612000003 tomorrow 12:00")
    assert events(demo)[-1] == ("cancelled", "person:carla")


def test_call_now_on_a_pbx_that_cannot_originate(chat: Chat, demo: Services,
                                                 clock: FixedClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from integrations.pbx import PbxError

    def refuse(extension: str, number: str, ref: str) -> bool:
        raise PbxError("no origination here", "unsupported")

    chat.say("alice", "/callback 612345678 09:30")
    clock.advance(timedelta(minutes=30))
    dispatch_callbacks(demo)
    monkeypatch.setattr(demo.pbx, "originate", refuse)
    reply = chat.say("bruno", "/callback call 1")
    assert reply.startswith("This PBX cannot place calls for me: dial +34612345678 yourself")
    assert stored(demo).owner_id is not None and stored(demo).call_ref is None
    assert [k for k, _ in events(demo)][-2:] == ["called", "call_failed"]


def test_listing_callbacks(chat: Chat, demo: Services, clock: FixedClock) -> None:
    chat.say("alice", "/callback 612000001 09:30")
    chat.say("alice", "/callback 612000002 tomorrow 10:00 renewal")
    chat.say("bruno", "/callback 612000003 10:00")
    mine = chat.say("alice", "/callbacks")
    assert mine.splitlines()[0] == "Your open callbacks:"
    assert "#1 today 09:30" in mine and "#2 tomorrow 10:00" in mine and "#3" not in mine
    today = chat.say("alice", "/callbacks today")
    assert "#1" in today and "#3" in today and "#2" not in today
    assert "#3" in chat.say("carla", "/callbacks @bruno")
    assert chat.say("chen", "my callbacks") == "Your open callbacks: none."
    clock.advance(timedelta(minutes=30))
    dispatch_callbacks(demo)
    listed = chat.send("chen", "/callbacks all").reply
    assert [b.text for b in listed.sections[0].buttons] == ["/callback take 1"]


def test_the_report_in_chat(chat: Chat, demo: Services, clock: FixedClock) -> None:
    chat.say("alice", "/callback 612000001 tomorrow 12:00")
    chat.say("bruno", "/callback 612000002 tomorrow 12:00")
    chat.say("chen", "/callback 612000003 tomorrow 12:00")  # refused: full
    chat.say("carla", "/callback cancel 2")
    assert "for coordinators" in chat.say("alice", "/callbacks report")
    reply = chat.say("carla", "/callbacks report today")
    assert reply.startswith("Callbacks, 2026-11-23:")
    assert "== All ==" in reply and "== Queue support ==" in reply
    assert "  requested        3" in reply and "  refused          1" in reply
    assert "  cancelled        1" in reply and "  still due today  0" in reply
    assert "not a date" in chat.say("carla", "/callbacks report 2026-13-01")


def test_the_caller_card_shows_a_pending_callback_behind_many_closed_ones(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    assert "booked" in chat.say("alice", "/callback 612000009 tomorrow 12:00")
    now = clock.now()
    with transaction(demo.sessions) as session:
        for n in range(25):  # newer than the booking, all closed
            session.add(Callback(phone="+34612000009", queue="support", pool="support",
                                 slot_start=now, requested_for=now, due_at=now,
                                 status=bookings.DONE, source=bookings.CHAT,
                                 created_by="person:alice", created_at=now,
                                 closed_at=now, note=f"done {n}"))
    with transaction(demo.sessions) as session:
        section = pending_callbacks(session, CardContext(
            phone="+34612000009", masked=False, timezone=demo.settings.timezone, now=now))
    assert section is not None
    assert [row[1] for row in section.rows] == ["scheduled · queue support"]


def ivr_booking(services: Services, when: str = "tomorrow") -> int:
    """A callback the IVR booked (no agent, nobody owns it)."""
    day = services.clock.now() + timedelta(days=1 if when == "tomorrow" else 0)
    booked = book(services, Request(phone="612000009", when=day.replace(hour=10, minute=0),
                                    queue="support", source=bookings.IVR,
                                    actor="ivr:ivr-test"))
    assert isinstance(booked, Booked)
    return booked.callback.id


def test_an_agent_cannot_cancel_a_callback_nobody_owns(chat: Chat, demo: Services) -> None:
    """Any agent once cancelled any callback without an owner, an IVR booking not yet due
    included."""
    cid = ivr_booking(demo)
    assert chat.say("chen", f"/callback cancel {cid}") == (
        f"Callback #{cid} was booked through the IVR (ivr-test); only a coordinator can "
        "cancel it here.")
    assert stored(demo, cid).status == "scheduled"
    chat.say("alice", "/callback 612000001 tomorrow 12:00")  # #2, alice's own
    assert "only they or a coordinator" in chat.say("bruno", "/callback cancel 2")
    assert chat.say("alice", "/callback cancel 2").startswith("Callback #2 cancelled")
    assert chat.say("carla", f"/callback cancel {cid}").startswith(
        f"Callback #{cid} cancelled")
    assert [e for e in events(demo, cid) if e[0] == "cancelled"] == [
        ("cancelled", "person:carla")]


def test_only_the_taker_records_done_or_no_answer(chat: Chat, demo: Services,
                                                   clock: FixedClock) -> None:
    """Done and no answer on a team callback once worked without taking it first."""
    chat.say("alice", "/callback 612345678 09:30")  # alice is not connected: to the team
    assert "has not been tried yet" in chat.say("alice", "/callback done 1")
    clock.advance(timedelta(minutes=30))
    assert dispatch_callbacks(demo).to_team == [1]
    for who, verb in (("chen", "done"), ("chen", "noanswer"), ("carla", "done")):
        assert chat.say(who, f"/callback {verb} 1") == (
            "Nobody has taken callback #1 yet: take it first (/callback take 1), then "
            "record how it went.")
    assert stored(demo).status == "dispatched" and stored(demo).attempts == 1
    chat.say("bruno", "/callback take 1")
    for who in ("chen", "alice", "carla"):  # nor its agent, nor a coordinator
        assert "was taken by Bruno Agent; only they can record" in chat.say(
            who, "/callback noanswer 1")
    assert chat.say("bruno", "/callback done 1") == "Callback #1 done. Thanks!"
    assert events(demo)[-1] == ("done", "person:bruno")
