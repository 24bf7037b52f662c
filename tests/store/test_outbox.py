"""The outbox table's queries: enqueue once, claim with a lease, record under the claim."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.clock import FixedClock
from store.db import make_sessionmaker, transaction
from store.messaging import outbox
from store.messaging.outbox import DEAD, PENDING, SENDING, SENT, NotRetryable, OutboxMessage
from tests.conftest import T0, Database

LEASE = timedelta(minutes=5)


def message(key: str, *, space: str = "team", platform: str = "console",
            due: timedelta = timedelta(0)) -> OutboxMessage:
    return OutboxMessage(key=key, target="team", platform=platform, space=space,
                         body={"text": key}, status=PENDING, attempts=0,
                         next_attempt_at=T0 + due, created_at=T0)


@pytest.fixture
def sessions(db: Database) -> sessionmaker[Session]:
    return make_sessionmaker(db.engine)


def add(sessions: sessionmaker[Session], *messages: OutboxMessage) -> list[int]:
    with transaction(sessions) as session:
        for m in messages:
            assert outbox.enqueue(session, m)
        session.flush()
        return [m.id for m in messages]


def row(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with transaction(sessions) as session:
        found = outbox.get(session, message_id)
        assert found is not None
        return found


def test_a_key_is_queued_once(sessions: sessionmaker[Session]) -> None:
    add(sessions, message("shift:0900"))
    with transaction(sessions) as session:
        assert outbox.enqueue(session, message("shift:0900")) is False
        assert outbox.enqueue(session, message("shift:1500")) is True
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_claim_takes_due_rows_under_a_lease_and_an_expired_lease_is_due_again(
        sessions: sessionmaker[Session]) -> None:
    due, later = add(sessions, message("a"), message("b", due=timedelta(minutes=1)))
    with transaction(sessions) as session:
        claimed = outbox.claim(session, T0, 10, LEASE)
    assert [(c.message.id, c.recovered) for c in claimed] == [(due, False)]
    assert row(sessions, due).status == SENDING
    assert row(sessions, due).claimed_until == T0 + LEASE

    with transaction(sessions) as session:  # held, and b is not due yet
        assert outbox.claim(session, T0 + timedelta(seconds=30), 10, LEASE) == []
    with transaction(sessions) as session:  # the claimer died: its lease ran out
        again = outbox.claim(session, T0 + LEASE, 10, LEASE)
    assert [(c.message.id, c.recovered) for c in again] == [(due, True), (later, False)]
    recovered = row(sessions, due)
    assert recovered.attempts == 1 and "stopped during delivery" in (recovered.last_error or "")


def test_results_are_recorded_only_under_the_claim_that_took_the_row(
        sessions: sessionmaker[Session]) -> None:
    [mid] = add(sessions, message("a"))
    with transaction(sessions) as session:
        [first] = outbox.claim(session, T0, 1, LEASE)
    old_token = T0 + LEASE
    with transaction(sessions) as session:  # taken over after the lease ran out
        outbox.claim(session, T0 + LEASE, 1, LEASE)
    new_token = T0 + LEASE + LEASE
    with transaction(sessions) as session:
        assert not outbox.schedule_retry(session, mid, token=old_token, attempts=1,
                                         when=T0, error="late")
        assert not outbox.mark_dead(session, mid, token=old_token, attempts=1, error="late")
        assert not outbox.defer(session, mid, token=old_token, when=T0)
    assert row(sessions, mid).status == SENDING
    with transaction(sessions) as session:
        assert outbox.schedule_retry(session, mid, token=new_token, attempts=2,
                                     when=T0 + timedelta(hours=1), error="HTTP 503",
                                     space="spaces/X")
    retrying = row(sessions, mid)
    assert (retrying.status, retrying.attempts, retrying.last_error) == (PENDING, 2, "HTTP 503")
    assert retrying.next_attempt_at == T0 + timedelta(hours=1) and retrying.claimed_until is None
    assert retrying.space == "team"  # a known space is never replaced
    assert first.message.id == mid


def test_sent_is_recorded_once_and_stops_everything_else(sessions: sessionmaker[Session]) -> None:
    [mid] = add(sessions, message("dm", space="x"))
    with transaction(sessions) as session:
        outbox.claim(session, T0, 1, LEASE)
        assert outbox.mark_sent(session, mid, T0, "spaces/X/messages/1")
    with transaction(sessions) as session:
        assert not outbox.mark_sent(session, mid, T0, "again")
        assert not outbox.schedule_retry(session, mid, token=T0 + LEASE, attempts=1,
                                         when=T0, error="x")
        assert outbox.claim(session, T0 + LEASE * 3, 10, LEASE) == []
    sent = row(sessions, mid)
    assert (sent.status, sent.remote_id, sent.sent_at) == (SENT, "spaces/X/messages/1", T0)


def test_defer_counts_no_attempt_and_fills_in_a_found_dm(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        m = message("dm")
        m.space = None
        outbox.enqueue(session, m)
        session.flush()
        mid = m.id
    with transaction(sessions) as session:
        outbox.claim(session, T0, 1, LEASE)
        assert outbox.defer(session, mid, token=T0 + LEASE, when=T0 + timedelta(seconds=1),
                            space="D0ALICE")
    deferred = row(sessions, mid)
    assert (deferred.status, deferred.attempts, deferred.space) == (PENDING, 0, "D0ALICE")


def test_revive_brings_back_dead_letters_only(sessions: sessionmaker[Session]) -> None:
    dead, sent, busy = add(sessions, message("dead"), message("sent"), message("busy"))
    with transaction(sessions) as session:
        outbox.claim(session, T0, 3, LEASE)
        outbox.mark_dead(session, dead, token=T0 + LEASE, attempts=8, error="HTTP 503")
        outbox.mark_sent(session, sent, T0, "r1")
    now = T0 + timedelta(minutes=1)
    with transaction(sessions) as session:
        revived = outbox.revive(session, dead, now)
        assert revived is not None
        assert outbox.revive(session, 999, now) is None
        with pytest.raises(NotRetryable, match="sent already"):
            outbox.revive(session, sent, now)
        with pytest.raises(NotRetryable, match="right now"):
            outbox.revive(session, busy, now)
    back = row(sessions, dead)
    assert (back.status, back.attempts, back.next_attempt_at, back.last_error) == \
        (PENDING, 0, now, None)
    with transaction(sessions) as session:  # a claim that expired can be revived too
        assert outbox.revive(session, busy, T0 + LEASE) is not None


def test_listing_failed_shows_dead_and_retrying(sessions: sessionmaker[Session]) -> None:
    ok, dead, retry, fresh = add(sessions, *(message(k) for k in ("ok", "dead", "retry", "new")))
    with transaction(sessions) as session:
        outbox.claim(session, T0, 3, LEASE)
        outbox.mark_sent(session, ok, T0, "r")
        outbox.mark_dead(session, dead, token=T0 + LEASE, attempts=1, error="HTTP 403")
        outbox.schedule_retry(session, retry, token=T0 + LEASE, attempts=1, when=T0,
                              error="HTTP 429")
    with transaction(sessions) as session:
        assert [m.id for m in outbox.listing(session, failed_only=True)] == [retry, dead]
        assert [m.id for m in outbox.listing(session, limit=2)] == [fresh, retry]
        assert outbox.status_counts(session) == {PENDING: 2, SENDING: 0, SENT: 1, DEAD: 1}
        assert outbox.by_key(session, "dead") is not None


def test_last_writes_per_space(sessions: sessionmaker[Session]) -> None:
    a1, a2, b = add(sessions, message("a1", space="A"), message("a2", space="A"),
                    message("b", space="B"))
    with transaction(sessions) as session:
        outbox.claim(session, T0, 3, LEASE)
        outbox.mark_sent(session, a1, T0, "1")
        outbox.mark_sent(session, a2, T0 + timedelta(milliseconds=400), "2")
        outbox.mark_sent(session, b, T0 - timedelta(seconds=5), "3")
    with transaction(sessions) as session:
        recent = outbox.last_writes(session, {("console", "A"), ("console", "B"),
                                              ("google", "A")}, T0 - timedelta(seconds=1))
    assert recent == {("console", "A"): T0 + timedelta(milliseconds=400)}


def test_two_claimers_at_once_never_take_the_same_row(db: Database) -> None:
    """Two engines (two replicas) claim at the same moment.

    PostgreSQL: the first claim's transaction stays open while the second runs; SKIP
    LOCKED hands the second the other rows at once instead of blocking. SQLite: BEGIN
    IMMEDIATE makes the second wait for the first to commit; it then sees them taken.
    """
    first_sessions = make_sessionmaker(db.engine)
    other_engine = db.new_engine()
    second_sessions = make_sessionmaker(other_engine)
    ids = add(first_sessions, *(message(f"m{i}", space=f"s{i}") for i in range(10)))
    clock = FixedClock(T0)
    holding = db.backend == "postgresql"
    first_claimed = threading.Event()
    second_done = threading.Event()
    taken: dict[str, list[int]] = {}
    problems: list[BaseException] = []

    def first() -> None:
        try:
            with transaction(first_sessions) as session:
                taken["first"] = [c.message.id for c in outbox.claim(session, clock.now(), 5, LEASE)]
                first_claimed.set()
                if holding:  # keep the row locks until the other claim has run
                    assert second_done.wait(10), "the second claim blocked on locked rows"
        except BaseException as exc:
            problems.append(exc)
            first_claimed.set()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_claimed.wait(10)
        with transaction(second_sessions) as session:
            taken["second"] = [c.message.id for c in outbox.claim(session, clock.now(), 10, LEASE)]
        second_done.set()
    finally:
        second_done.set()
        thread.join(10)
        other_engine.dispose()
    assert not problems, problems
    assert len(taken["first"]) == 5 and len(taken["second"]) == 5
    assert sorted(taken["first"] + taken["second"]) == ids
