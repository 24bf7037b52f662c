"""Two dispatchers against one database hand each due callback out exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from commands.callbacks.booking import Booked, Request, book
from commands.callbacks.due import DispatchReport, dispatch_callbacks
from commands.core import Services
from integrations.clock import FixedClock
from store.callbacks.bookings import CallbackEvent
from store.db import make_sessionmaker, transaction
from store.messaging.outbox import OutboxMessage
from testing.ivr import load_capacity
from tests.conftest import Database

ROOMY = """\
templates:
  big: {"09:30": 100}
weekly:
  normal: {mon: big}
queues:
  soporte: {schedule: normal}
"""
DUE = 60


def test_two_dispatchers_hand_out_each_callback_once(db: Database, demo: Services,
                                                     clock: FixedClock) -> None:
    load_capacity(demo, ROOMY)
    for n in range(DUE):
        booked = book(demo, Request(phone=f"+3461200{n:04d}", when=clock.now().replace(
            minute=30), queue="soporte", source="ivr", actor="ivr:test"))
        assert isinstance(booked, Booked) and booked.created
    clock.advance(timedelta(minutes=30))
    # Two replicas: each its own engine (its own connections) on the same database.
    engines = [db.new_engine(), db.new_engine()]
    replicas = [Services(sessions=make_sessionmaker(engine), settings=demo.settings,
                         clock=clock, pbx=demo.pbx, notifier=demo.notifier,
                         directory=demo.directory)
                for engine in engines]
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []

    def run(services: Services) -> None:
        barrier.wait(timeout=30)
        reports.append(dispatch_callbacks(services))

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2  # both dispatchers finished (one that raised reports nothing)
    handed = sorted(cid for r in reports for cid in r.to_team)
    assert len(handed) == DUE and len(set(handed)) == DUE
    with transaction(demo.sessions) as session:
        events = session.scalar(select(func.count()).select_from(CallbackEvent)
                                .where(CallbackEvent.kind == "dispatched"))
        cards = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert (events, cards) == (DUE, DUE)
    assert dispatch_callbacks(demo).to_team == []
    for engine in engines:
        engine.dispose()
