"""The live alerts' queries on their growing tables are served by indexes (both databases)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from commands.core import Services
from store.db import transaction
from store.queue import alerts
from testing.explain import assert_served
from tests.conftest import T0

RUNS: dict[str, Callable[[Session], object]] = {
    "open episode": lambda s: alerts.open_episode(s, "ring-no-answer", "alice"),
    "open episodes": lambda s: alerts.open_episodes(s, "pressure"),
    "seen this turn": lambda s: alerts.seen_in(s, "service-level", "turn:x"),
    "muted": lambda s: alerts.muted(s, T0),
    "unmute": lambda s: alerts.unmute(s, T0),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_alert_queries_use_indexes(services: Services, name: str) -> None:
    with transaction(services.sessions) as session:
        checked = assert_served(session, lambda: RUNS[name](session))
        session.rollback()
    assert checked > 0, f"{name}: no query was sent"
