"""Over-long pauses: one DM and one coordinators' message per pause, however often it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commands.core import Reply, Services
from commands.queue.pause_overdue import remind_overdue
from integrations.clock import FixedClock
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.queue.activity import PAUSE, Activity
from store.team import people
from tests.conftest import T0, Chat


def outbox(services: Services) -> list[OutboxMessage]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def pauses(services: Services) -> list[Activity]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(Activity).where(Activity.kind == PAUSE)
                                    .order_by(Activity.id)))


@pytest.fixture
def queued(demo: Services) -> Services:
    demo.pbx.set_members(["211", "212", "213"])
    return demo


def test_one_reminder_and_one_escalation_after_the_maximum(chat: Chat, queued: Services,
                                                           clock: FixedClock) -> None:
    chat.say("alice", "/pause lunch")
    chat.say("bruno", "/pause training")  # no maximum: never chased
    clock.advance(timedelta(minutes=60))
    report = remind_overdue(queued)
    assert (report.reminded, report.escalated) == ([], [])  # 60 min is not over 60
    assert outbox(queued) == []

    clock.advance(timedelta(minutes=1))
    report = remind_overdue(queued)
    assert (report.reminded, report.escalated) == (["alice"], ["alice"])
    (row,) = [p for p in pauses(queued) if p.reason == "lunch"]
    dm, team = outbox(queued)
    assert (dm.key, dm.target) == (f"pause-overdue:{row.id}:agent", "person:alice")
    assert (team.key, team.target) == (f"pause-overdue:{row.id}:coordinators", "coordinators")
    to_alice = Reply.from_dict(dm.body)
    assert to_alice.text.startswith("Alice, you have been on lunch for 1 h 01 min "
                                    "(the limit is 60 min).")
    assert [(b.label, b.command, b.args) for b in to_alice.sections[0].buttons] == [
        ("Resume", "resume", "")]
    to_coordinators = Reply.from_dict(team.body)
    assert to_coordinators.text.startswith("Alice Agent has been on lunch for 1 h 01 min")
    assert to_coordinators.sections[0].buttons[0].text == "/resume @alice"
    assert row.reminded_at == row.escalated_at == T0 + timedelta(minutes=61)

    clock.advance(timedelta(minutes=30))
    report = remind_overdue(queued)
    assert (report.reminded, report.escalated) == ([], [])
    assert len(outbox(queued)) == 2

    # The reminder's button resumes her; a new over-long pause is chased afresh.
    assert chat.say("alice", to_alice.sections[0].buttons[0].text).startswith("Resumed after")
    chat.say("alice", "/pause break")
    clock.advance(timedelta(minutes=16))
    assert remind_overdue(queued).reminded == ["alice"]
    assert len(outbox(queued)) == 4


def test_a_pause_made_on_the_phone_is_logged_and_chased(queued: Services,
                                                        clock: FixedClock) -> None:
    queued.pbx.pause("213", "descanso")  # Chen pauses on his phone: a break alias
    clock.advance(timedelta(minutes=1))
    report = remind_overdue(queued)
    assert report.reconciled.pauses_opened == ["chen"]
    (row,) = pauses(queued)
    with transaction(queued.sessions) as session:
        chen = people.by_key(session, "chen")
        assert chen is not None
    assert (row.person_id, row.reason, row.source, row.started_at, row.started_by_id) == (
        chen.id, "break", "pbx", T0, None)
    clock.advance(timedelta(minutes=15))
    assert remind_overdue(queued).reminded == ["chen"]
    assert [m.target for m in outbox(queued)] == ["person:chen", "coordinators"]


def test_a_pause_ended_on_the_phone_is_closed_not_chased(chat: Chat, queued: Services,
                                                         clock: FixedClock) -> None:
    chat.say("alice", "/pause break")
    clock.advance(timedelta(minutes=5))
    queued.pbx.resume("211")
    clock.advance(timedelta(minutes=20))
    report = remind_overdue(queued)
    assert report.reconciled.pauses_closed == ["alice"]
    assert report.reminded == [] and outbox(queued) == []
    (row,) = pauses(queued)
    # The PBX does not say when; the log closes it when it noticed.
    assert (row.ended_at, row.ended_by_id) == (T0 + timedelta(minutes=25), None)


def test_overdue_lists_the_same_pauses_for_coordinators(chat: Chat, queued: Services,
                                                        clock: FixedClock) -> None:
    assert chat.say("carla", "/overdue") == "No pause is over its limit right now."
    chat.say("alice", "/pause break")
    clock.advance(timedelta(minutes=10))
    chat.say("bruno", "/pause break")
    clock.advance(timedelta(minutes=10))
    text = chat.say("carla", "long pauses")
    assert text.startswith("1 pause is over the limit.")
    assert "Alice Agent  on break for 20 min (the limit is 15 min) · not reminded yet" in text
    assert "[Resume Alice: /resume @alice]" in text
    remind_overdue(queued)
    assert "reminded 09:20" in chat.say("carla", "/overdue")
    chat.say("alice", "/overdue")
    assert chat.last is not None and chat.last.outcome == "denied"
