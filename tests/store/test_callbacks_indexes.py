"""Every query the callbacks run on a growing table is served by an index (both databases)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from commands.core import Services
from store.callback_capacity import SlotCounter
from store.callbacks import (
    DISPATCHED,
    OPEN,
    SCHEDULED,
    Callback,
    CallbackEvent,
    CallbackRefusal,
)
from store.db import transaction
from store.ivr_keys import IvrIdempotency, IvrRateWindow
from tests.conftest import T0
from tests.support.explain import assert_indexed

LATER = T0 + timedelta(days=1)


def statements(now: datetime) -> list[tuple[str, object]]:
    return [
        ("claim due", select(Callback).where(Callback.status == SCHEDULED,
                                             Callback.due_at <= now)
         .order_by(Callback.due_at, Callback.id).limit(200)),
        ("expire", select(Callback).where(Callback.status == DISPATCHED,
                                          Callback.due_at <= now)
         .order_by(Callback.due_at, Callback.id).limit(200)),
        ("pending number", select(Callback).where(Callback.pending_key == "soporte|+34612")),
        ("by phone", select(Callback).where(Callback.phone == "+34612")
         .order_by(Callback.id.desc()).limit(50)),
        ("mine", select(Callback).where(Callback.status.in_(OPEN), or_(
            Callback.agent_id == 1, Callback.owner_id == 1)).order_by(Callback.due_at)),
        ("due today", select(Callback.queue, func.count()).where(
            Callback.status.in_(OPEN), Callback.due_at < LATER).group_by(Callback.queue)),
        ("events of one", select(CallbackEvent).where(CallbackEvent.callback_id == 1)),
        ("report", select(CallbackEvent.kind, Callback.queue, func.count())
         .join(Callback, Callback.id == CallbackEvent.callback_id)
         .where(CallbackEvent.at >= now, CallbackEvent.at < LATER)
         .group_by(CallbackEvent.kind, Callback.queue)),
        ("refusals", select(CallbackRefusal.queue, func.count())
         .where(CallbackRefusal.at >= now, CallbackRefusal.at < LATER)
         .group_by(CallbackRefusal.queue)),
        ("booked", select(SlotCounter.starts_at, SlotCounter.booked).where(
            SlotCounter.pool == "queue:soporte", SlotCounter.starts_at >= now,
            SlotCounter.starts_at < LATER)),
        ("take a place", update(SlotCounter).where(
            SlotCounter.pool == "queue:soporte", SlotCounter.starts_at == now,
            SlotCounter.booked < 5).values(booked=SlotCounter.booked + 1)
         .returning(SlotCounter.id)),
        ("rate window prune", delete(IvrRateWindow).where(IvrRateWindow.minute < 10)),
        ("idempotency", select(IvrIdempotency).where(IvrIdempotency.ivr_key_id == 1,
                                                     IvrIdempotency.key == "k")),
        ("idempotency prune", delete(IvrIdempotency).where(IvrIdempotency.created_at < now)),
    ]


def test_callback_queries_use_indexes(services: Services) -> None:
    with transaction(services.sessions) as session:
        for name, stmt in statements(T0):
            try:
                assert_indexed(session, stmt)  # type: ignore[arg-type]
            except AssertionError as exc:
                raise AssertionError(f"{name}: {exc}") from None
