"""The rate limit: counted in each process, exact under 200 a minute, within its stated
bound above, shared by every worker and replica on the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.doors.ivr.limits import RateLimiter, batch_for
from commands.core import Services
from integrations.clock import FixedClock
from store.callbacks import ivr_keys
from store.callbacks.ivr_keys import IvrRateWindow
from store.db import make_sessionmaker, reading, transaction
from testing.ivr import another_instance, load_capacity, open_ivr
from tests.conftest import T0, Database

NOW = T0.replace(second=15)  # 45 seconds left in the minute
MINUTE = int(NOW.timestamp()) // 60


@pytest.fixture
def replicas(db: Database) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    """Two processes' sessions: an engine each, one database, one client key."""
    first, second = make_sessionmaker(db.engine), make_sessionmaker(db.new_engine())
    with transaction(first) as session:
        ivr_keys.create(session, "client", T0)
    yield first, second
    second.kw["bind"].dispose()


def key_id(sessions: sessionmaker[Session]) -> int:
    with reading(sessions) as session:
        key = ivr_keys.by_name(session, "client")
        assert key is not None
        return key.id


def shared_count(sessions: sessionmaker[Session], minute: int = MINUTE) -> int:
    with reading(sessions) as session:
        return session.scalar(select(IvrRateWindow.count).where(
            IvrRateWindow.minute == minute)) or 0


def test_the_batch_is_a_hundredth_of_the_limit_and_at_least_1() -> None:
    assert [batch_for(n) for n in (1, 3, 199, 200, 600, 5000, 1_000_000)] == [
        1, 1, 1, 2, 6, 50, 10_000]


def test_a_small_limit_is_exact_across_processes(replicas: tuple[sessionmaker[Session],
                                                                 sessionmaker[Session]]) -> None:
    one, two = (RateLimiter(sessions, 3) for sessions in replicas)
    client = key_id(replicas[0])
    verdicts = [limiter.admit(client, NOW) for limiter in (one, two, one, two, one, two)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False, False]
    assert {v.retry_after for v in verdicts} == {45}
    assert shared_count(replicas[0]) == 4  # the fourth was counted, then refused
    later = NOW + timedelta(seconds=45)  # the next minute
    assert [limiter.admit(client, later).allowed for limiter in (two, one)] == [True, True]


def test_a_process_folds_its_count_in_every_batch_or_second(
        replicas: tuple[sessionmaker[Session], sessionmaker[Session]]) -> None:
    limiter = RateLimiter(replicas[0], 1000)  # batch 10
    client = key_id(replicas[0])
    assert limiter.admit(client, NOW).allowed
    assert shared_count(replicas[1]) == 1  # the first of the minute folds in at once
    for _ in range(9):
        assert limiter.admit(client, NOW).allowed
    assert shared_count(replicas[1]) == 1  # nine pending, no write
    assert limiter.admit(client, NOW).allowed
    assert shared_count(replicas[1]) == 11  # the tenth pending folds them in
    assert limiter.admit(client, NOW + timedelta(milliseconds=999)).allowed
    assert shared_count(replicas[1]) == 11
    assert limiter.admit(client, NOW + timedelta(seconds=1)).allowed
    assert shared_count(replicas[1]) == 13  # a second since the last fold


def admitted(limiters: list[RateLimiter], client: int, now: datetime, order: list[int]
             ) -> int:
    return sum(limiters[i].admit(client, now).allowed for i in order)


@pytest.mark.parametrize("limit", [200, 1000])
def test_a_large_limit_overshoots_by_at_most_processes_times_batch_minus_one(
        replicas: tuple[sessionmaker[Session], sessionmaker[Session]], limit: int) -> None:
    limiters = [RateLimiter(sessions, limit) for sessions in replicas]
    client = key_id(replicas[0])
    batch = batch_for(limit)
    # The worst case: each process learns the other's count as late as it can.
    order = [0, 1] + [0] * (batch - 1) + [1] * (batch - 1)
    total = admitted(limiters, client, NOW, order * (3 * limit // len(order) + 1))
    assert limit <= total <= limit + 2 * (batch - 1)
    assert total > limit or batch == 1  # the bound is reached here, not merely stated
    assert admitted(limiters, client, NOW + timedelta(seconds=2), [0, 1] * 30) == 0


def test_threads_of_two_processes_keep_a_small_limit_exact(
        replicas: tuple[sessionmaker[Session], sessionmaker[Session]]) -> None:
    limiters = [RateLimiter(sessions, 5) for sessions in replicas]
    client = key_id(replicas[0])
    barrier = threading.Barrier(16)
    allowed: list[bool] = []

    def hammer(limiter: RateLimiter) -> None:
        barrier.wait(timeout=30)
        for _ in range(3):
            allowed.append(limiter.admit(client, NOW).allowed)

    threads = [threading.Thread(target=hammer, args=(limiters[n % 2],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(allowed) == [False] * 43 + [True] * 5


def test_the_api_answers_429_with_retry_after_from_either_instance(
        db: Database, demo: Services, clock: FixedClock) -> None:
    load_capacity(demo)
    one = open_ivr(demo, IVR_RATE_PER_MINUTE="3")
    two = another_instance(db, demo, one.key, IVR_RATE_PER_MINUTE="3")
    try:
        clock.set(NOW)
        answers = [ivr.get("/slots?queue=soporte") for ivr in (one, two, one, two, one)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert answers[3].headers["Retry-After"] == "45"
        assert answers[4].json == {"reason": "rate_limited", "retry_after": 45}
        clock.advance(timedelta(seconds=45))
        assert [ivr.get("/slots?queue=soporte").status_code for ivr in (two, one)] == [200, 200]
    finally:
        two.close()
