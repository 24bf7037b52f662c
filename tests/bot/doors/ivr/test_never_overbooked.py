"""50 concurrent bookings for an interval of capacity 5: five 201s, forty-five 409s, five rows.

Once with 50 threads sharing one app (one engine), once with 50 processes each with an
app and an engine of its own (what several gunicorn workers or replicas are), on SQLite
and on PostgreSQL. Every client waits at a barrier so the requests really overlap.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from bot.app import create_app
from commands.core import Services
from integrations.clock import FixedClock
from store.callbacks.bookings import Callback, CallbackRefusal
from store.callbacks.capacity import SlotCounter
from store.db import make_engine, make_sessionmaker, transaction
from testing.ivr import load_capacity, new_key
from tests.conftest import T0, Database, make_settings

CLIENTS = 50
ONE_INTERVAL = """\
templates:
  five: {"10:00": 5}
weekly:
  normal: {tue: five}
queues:
  soporte: {schedule: normal}
"""
WHEN = "2026-11-24T10:00:00+01:00"


def booking(n: int) -> dict[str, Any]:
    return {"phone": f"+3461200{n:04d}", "when": WHEN, "queue": "soporte"}


def post_one(url: str, key: str, n: int, barrier: Any, results: Any) -> None:
    """One client in a process of its own: its own app, engine and connection."""
    status = -1
    try:
        engine = make_engine(url, poolclass=NullPool)
        settings = make_settings(DATABASE_URL=url)
        from bot.delivery.notifier import OutboxNotifier
        from integrations.directory.local import LocalDirectory
        from integrations.pbx.sim.backend import SimPbx

        sessions = make_sessionmaker(engine)
        clock = FixedClock(T0)
        services = Services(sessions=sessions, settings=settings, clock=clock,
                            pbx=SimPbx(sessions, "support", clock),
                            notifier=OutboxNotifier(settings, clock),
                            directory=LocalDirectory(sessions, settings.crm_url))
        client = create_app(settings, services).test_client()
        barrier.wait(timeout=60)
        status = client.post("/ivr/v1/callbacks", json=booking(n),
                             headers={"Authorization": f"Bearer {key}"}).status_code
    finally:
        results[n] = status  # shared memory: written before the process ends
        os._exit(0)  # leave the parent's inherited sockets and atexit hooks alone


def stored(services: Services) -> tuple[int, int, int]:
    with transaction(services.sessions) as session:
        rows = session.scalar(select(func.count()).select_from(Callback)) or 0
        counter = session.scalar(select(SlotCounter.booked)) or 0
        refused = session.scalar(select(func.count()).select_from(CallbackRefusal)) or 0
    return rows, counter, refused


def test_threads_never_overbook(db: Database, services: Services) -> None:
    load_capacity(services, ONE_INTERVAL)
    key = new_key(services)
    app = create_app(services.settings, services)  # type: ignore[arg-type]
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        test_client = app.test_client()
        barrier.wait(timeout=60)
        answer = test_client.post("/ivr/v1/callbacks", json=booking(n),
                                  headers={"Authorization": f"Bearer {key}"})
        with lock:
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(statuses) == {201: 5, 409: 45}
    assert stored(services) == (5, 5, 45)


def test_processes_never_overbook(db: Database, services: Services) -> None:
    load_capacity(services, ONE_INTERVAL)
    key = new_key(services)
    db.engine.dispose()  # no pooled connection may be shared with the children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CLIENTS)
    results = context.Array("i", [0] * CLIENTS)
    processes = [context.Process(target=post_one, args=(db.url, key, n, barrier, results))
                 for n in range(CLIENTS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    statuses = list(results)
    assert Counter(statuses) == {201: 5, 409: 45}
    assert stored(services) == (5, 5, 45)
