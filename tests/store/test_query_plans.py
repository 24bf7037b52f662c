"""Every query a command or job runs on a growing table is served by an index, on SQLite
and on PostgreSQL (see testing/explain.py for how "served" is judged)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from commands.core import Services
from store.db import transaction
from store.messaging import chat, outbox
from store.queue import activity
from store.queue.activity import PAUSE, SESSION
from store.team import audit
from testing.explain import assert_served
from tests.conftest import T0

WEEK = (T0 - timedelta(days=7), T0)


def check(services: Services, run: object, *, limited: bool = False) -> None:
    assert callable(run)
    with transaction(services.sessions) as session:
        checked = assert_served(session, lambda: run(session), limited=limited)
        assert checked > 0
        session.rollback()


@pytest.mark.parametrize("name, run", [
    ("open pause of one person", lambda s: activity.open_activity(s, 1, PAUSE)),
    ("everyone's open pauses", lambda s: activity.open_activities(s, PAUSE)),
    ("everyone's open sessions", lambda s: activity.open_activities(s, SESSION)),
    ("a week of everyone", lambda s: activity.in_period(s, *WEEK)),
    ("a week of one person", lambda s: activity.in_period(s, *WEEK, person_id=1)),
])
def test_the_pause_and_session_log(services: Services, name: str, run: object) -> None:
    check(services, run)


def test_the_audit_trail(services: Services) -> None:
    check(services, lambda s: audit.recent(s, 10, person_id=1))
    check(services, lambda s: audit.recent(s, 10), limited=True)  # newest first, LIMIT n
    check(services, lambda s: audit.prune(s, T0))


def test_redelivery_keys(services: Services) -> None:
    def claim_twice(session: Session) -> None:
        chat.claim_event(session, "slack", "Ev1", T0)
        chat.claim_event(session, "slack", "Ev1", T0)
        chat.store_response(session, "slack", "Ev1", {"ok": True})

    check(services, claim_twice)
    check(services, lambda s: chat.prune_events(s, T0))


def test_the_outbox(services: Services) -> None:
    check(services, lambda s: outbox.claim(s, T0, 20, timedelta(seconds=60)))
    check(services, lambda s: outbox.last_writes(s, {("slack", "C1"), ("google", "spaces/A")},
                                                 T0 - timedelta(seconds=1)))
    check(services, lambda s: outbox.prune_sent(s, T0 - timedelta(days=30)))
    check(services, lambda s: outbox.by_key(s, "announce:x"))
    check(services, outbox.backlog)  # scraped by /metrics


def test_the_check_sees_a_full_scan(services: Services) -> None:
    from sqlalchemy import select

    from store.queue.activity import Activity

    with transaction(services.sessions) as session, pytest.raises(AssertionError,
                                                                   match="full scan"):
        assert_served(session, lambda: list(session.scalars(
            select(Activity).where(Activity.reason == "lunch"))))
