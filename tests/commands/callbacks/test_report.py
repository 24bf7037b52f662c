"""The callbacks report counts requests (refused too), transitions and today's due ones."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from commands.callbacks import report as callback_report
from commands.callbacks.booking import Booked, Request, book
from commands.callbacks.due import dispatch_callbacks
from commands.core import Services, UsageError
from integrations.clock import FixedClock
from store.db import reading
from tests.conftest import MADRID, T0, Chat

TIGHT = """\
templates:
  two: {"09:30": 2, "10:00": 2}
weekly:
  normal: {mon: two, tue: two}
queues:
  support: {schedule: normal}
campaigns:
  renewals: {schedule: normal}
"""


def ivr(services: Services, phone: str, hour: int, minute: int = 30,
        campaign: str | None = None) -> Booked | object:
    return book(services, Request(phone=phone, when=T0.replace(hour=hour, minute=minute),
                                  queue="support", campaign=campaign, source="ivr",
                                  actor="ivr:test"))


def test_the_report_counts_every_kind_per_queue_campaign_and_source(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    from testing.ivr import load_capacity

    load_capacity(demo, TIGHT)
    assert isinstance(ivr(demo, "+34612000001", 9), Booked)
    assert isinstance(ivr(demo, "+34612000002", 9), Booked)
    assert not isinstance(ivr(demo, "+34612000003", 9), Booked)  # refused: full
    renewal = ivr(demo, "+34612000004", 9, campaign="renewals")
    assert isinstance(renewal, Booked)
    rid = renewal.callback.id  # (a refused booking uses up an id on PostgreSQL only)
    assert "booked" in chat.say("alice", "/callback 612000005 10:00")
    chat.say("carla", "/callback cancel 2")
    clock.advance(timedelta(minutes=30))
    dispatch_callbacks(demo)  # 1 and the renewal go to the team
    chat.say("bruno", "/callback take 1")
    chat.say("bruno", "/callback done 1")
    assert "is yours" in chat.say("chen", f"/callback take {rid}")
    assert "retried" in chat.say("chen", f"/callback noanswer {rid}")  # at 10:15
    with reading(demo.sessions) as session:
        report = callback_report.build(
            session, callback_report.period_for("today", clock.now(), MADRID), clock.now(),
            MADRID)
    total = report.total
    assert {m: total[m] for m in callback_report.METRICS} == {
        "requested": 5, "scheduled": 4, "refused": 1, "dispatched": 2, "done": 1,
        "noanswer": 1, "failed": 0, "expired": 0, "cancelled": 1, "due_today": 2}
    assert report.rows[("source", "ivr")]["requested"] == 4
    assert report.rows[("source", "chat")]["scheduled"] == 1
    assert report.rows[("campaign", "renewals")]["noanswer"] == 1
    assert report.rows[("campaign", "(none)")]["refused"] == 1
    rows = list(csv.DictReader(callback_report.to_csv(report).splitlines()))
    assert [(r["dimension"], r["name"]) for r in rows] == [
        ("all", "all"), ("queue", "support"), ("campaign", "(none)"),
        ("campaign", "renewals"), ("source", "chat"), ("source", "ivr")]
    assert rows[0]["requested"] == "5" and rows[0]["due_today"] == "2"
    text = callback_report.to_text(report)
    assert text.splitlines()[1].startswith("  all: requested 5, scheduled 4, refused 1")
    with reading(demo.sessions) as session:
        yesterday = callback_report.build(
            session, callback_report.period_for("yesterday", clock.now(), MADRID),
            clock.now(), MADRID)
    assert yesterday.total["requested"] == 0 and yesterday.total["due_today"] == 2


@pytest.mark.parametrize("word, label", [
    ("today", "2026-11-23"), ("week", "2026-11-23"), ("month", "2026-11-01 to 2026-11-23"),
    ("2026-11-02..2026-11-08", "2026-11-02 to 2026-11-08")])
def test_periods(word: str, label: str) -> None:
    assert callback_report.period_for(word, T0, MADRID).label == label


@pytest.mark.parametrize("word", ["fortnight", "2026-11-08..2026-11-02", "2026-13-01"])
def test_bad_periods(word: str) -> None:
    with pytest.raises(UsageError):
        callback_report.period_for(word, T0, MADRID)
