"""Every query the callbacks run on a growing table is served by an index (both
databases): the store's own functions are run and each statement they send is EXPLAINed
(``assert_served``), so a query changed in the product is checked as it now is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from commands.core import Services
from store.callbacks import bookings, capacity, ivr_keys
from store.callbacks.bookings import OPEN
from store.db import transaction
from testing.explain import assert_served
from tests.conftest import T0

LATER = T0 + timedelta(days=1)
POOL = "queue:soporte"

RUNS: dict[str, Callable[[Session], object]] = {
    "claim due": lambda s: bookings.claim_due(s, T0, 200),
    "expire": lambda s: bookings.unclaimed_since(s, T0, 200),
    "pending number": lambda s: bookings.open_for(s, "soporte", "+34612"),
    "call outcome": lambda s: bookings.by_call_ref(s, "sb-cb0123456789ab"),
    "by phone": lambda s: bookings.by_phone(s, "+34612"),
    "open by phone": lambda s: bookings.by_phone(s, "+34612", 20, statuses=OPEN),
    "one": lambda s: bookings.get(s, 1, lock=True),
    "mine": lambda s: bookings.listing(s, person_id=1),
    "due before": lambda s: bookings.listing(s, due_before=LATER),
    "due today": lambda s: bookings.still_due(s, LATER),
    "events of one": lambda s: bookings.events(s, 1),
    "report": lambda s: bookings.event_counts(s, T0, LATER),
    "refusals": lambda s: bookings.refusal_counts(s, T0, LATER),
    "booked": lambda s: capacity.booked_between(s, POOL, T0, LATER),
    "take a place": lambda s: capacity.take_place(s, POOL, T0, 5),
    "give it back": lambda s: capacity.give_back_place(s, POOL, T0),
    "rate window prune": lambda s: ivr_keys.prune_windows(s, T0),
    "idempotency": lambda s: ivr_keys.remember(s, 1, "k", "d", 200, {}, T0),
    "idempotency prune": lambda s: ivr_keys.prune_idempotency(s, T0),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_callback_queries_use_indexes(services: Services, name: str) -> None:
    with transaction(services.sessions) as session:
        checked = assert_served(session, lambda: RUNS[name](session))
        session.rollback()
    assert checked > 0, f"{name}: no query was sent"
