"""The outbox worker against a real HTTP peer (the fake Chat API) and a real database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery.limits import margin
from bot.delivery.senders import (
    ConsoleSender,
    Delivered,
    Outgoing,
    Sender,
    build_senders,
)
from bot.delivery.worker import Backoff, OutboxWorker
from bot.settings import Settings
from commands.core import TEAM, Reply, Services
from integrations.clock import FixedClock
from store.db import make_sessionmaker, transaction
from store.demo.team import load_demo
from store.messaging import chat, outbox
from store.messaging.outbox import DEAD, PENDING, SENDING, SENT, OutboxMessage
from store.team import people
from testing.fake_google_chat import FakeGoogleChat
from testing.local_server import Response
from tests.conftest import T0, Database, make_services, make_settings

TEAM_SPACE = "spaces/TEAM"


@pytest.fixture
def fake() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat(dms={"users/111": "spaces/DM-ALICE"}) as server:
        yield server


def google_settings(db: Database, fake: FakeGoogleChat, tmp_path: Path, **env: str) -> Settings:
    return make_settings(DATABASE_URL=db.url, TEAM_SPACE=f"google:{TEAM_SPACE}",
                         GOOGLE_CHAT_SERVICE_ACCOUNT_FILE=str(fake.write_service_account(tmp_path)),
                         GOOGLE_CHAT_API_ENDPOINT=fake.url, **env)


@pytest.fixture
def gservices(db: Database, fake: FakeGoogleChat, tmp_path: Path, clock: FixedClock) -> Services:
    services = make_services(db, google_settings(db, fake, tmp_path), clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
        alice = people.by_key(session, "alice")
        assert alice is not None
        people.link_chat_id(session, alice, "google", "users/111")
    return services


def settings_of(services: Services) -> Settings:
    assert isinstance(services.settings, Settings)
    return services.settings


def worker_for(services: Services, backoff: Backoff | None = None) -> OutboxWorker:
    settings = settings_of(services)
    return OutboxWorker(services.sessions, services.clock,
                        build_senders(settings, services.clock),
                        max_attempts=settings.outbox_max_attempts, backoff=backoff)


def queue(services: Services, target: str, text: str, key: str) -> int:
    with transaction(services.sessions) as session:
        assert services.notifier.send(session, target, Reply(text), key=key)
        row = outbox.by_key(session, key)
        assert row is not None
        return row.id


def load(services: Services, message_id: int) -> OutboxMessage:
    with transaction(services.sessions) as session:
        row = outbox.get(session, message_id)
        assert row is not None
        return row


def test_429_twice_then_ok_makes_exactly_one_message(gservices: Services,
                                                     fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    retry_after_2 = Response(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}},
                             {"Retry-After": "2"})
    fake.script(retry_after_2, retry_after_2)
    mid = queue(gservices, TEAM, "Shift change: Bruno and Chen come in", "shift:1")
    worker = worker_for(gservices, backoff=Backoff(base=timedelta(milliseconds=500)))

    assert worker.deliver_due().retrying == 1
    first = load(gservices, mid)
    assert (first.status, first.attempts) == (PENDING, 1)
    assert first.next_attempt_at == T0 + timedelta(seconds=2)  # Retry-After beats 0.5 s
    assert "429" in (first.last_error or "")

    clock.advance(timedelta(seconds=1))
    assert worker.deliver_due().claimed == 0  # Retry-After still running
    clock.advance(timedelta(seconds=1))
    assert worker.deliver_due().retrying == 1
    second = load(gservices, mid)
    assert second.attempts == 2 and second.next_attempt_at == clock.now() + timedelta(seconds=2)

    clock.advance(timedelta(seconds=2))
    assert worker.deliver_due().sent == 1
    done = load(gservices, mid)
    assert len(fake.create_calls) == 3 and [c.status for c in fake.create_calls] == [429, 429, 200]
    assert len({c.request_id for c in fake.create_calls}) == 1
    assert fake.create_calls[0].request_id and str(mid) in fake.create_calls[0].request_id
    assert fake.texts(TEAM_SPACE) == ["Shift change: Bruno and Chen come in"]
    assert (done.status, done.attempts, done.sent_at) == (SENT, 2, clock.now())
    assert done.remote_id in fake.messages
    assert fake.token_requests == 1  # one real OAuth token, reused


class Crash(BaseException):
    """The process dies (not an error the worker could catch and record)."""


class CrashAfter:
    """Delivers for real, then dies before the worker can record it."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner

    def send(self, message: Outgoing) -> Delivered:
        delivered = self.inner.send(message)
        raise Crash(f"killed after {delivered}")

    def scopes(self, message: Outgoing) -> list[str]:
        return self.inner.scopes(message)

    def open_dm(self, target: str, recipient: str | None) -> str:
        return self.inner.open_dm(target, recipient)


def test_a_worker_that_dies_after_chat_accepted_does_not_double_post(
        gservices: Services, fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    mid = queue(gservices, TEAM, "Daily stats", "stats:1")
    settings = gservices.settings
    assert isinstance(settings, Settings)
    real = build_senders(settings, clock)
    dying = OutboxWorker(gservices.sessions, clock, {"google": CrashAfter(real["google"])},
                         max_attempts=8)
    with pytest.raises(Crash):
        dying.deliver_due()
    assert load(gservices, mid).status == SENDING and len(fake.messages) == 1

    successor = worker_for(gservices)
    assert successor.deliver_due().claimed == 0  # the dead worker's lease still holds
    clock.advance(successor.lease)
    assert successor.deliver_due().sent == 1
    assert len(fake.create_calls) == 2 and len(fake.messages) == 1  # same requestId
    assert load(gservices, mid).remote_id == next(iter(fake.messages))


def test_a_permanent_error_is_dead_at_once(gservices: Services, fake: FakeGoogleChat) -> None:
    fake.script(Response(403, {"error": {"code": 403, "message": "The app is not a member "
                                         "of the space.", "status": "PERMISSION_DENIED"}}))
    mid = queue(gservices, TEAM, "hello", "k")
    assert worker_for(gservices).deliver_due().dead == 1
    dead = load(gservices, mid)
    assert (dead.status, dead.attempts) == (DEAD, 1)
    assert "403" in (dead.last_error or "") and "not a member" in (dead.last_error or "")


def test_two_messages_to_one_space_in_one_pass_are_paced(gservices: Services,
                                                         fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    first = queue(gservices, TEAM, "one", "k1")
    second = queue(gservices, TEAM, "two", "k2")
    dm = queue(gservices, "person:alice", "for Alice", "k3")
    third = queue(gservices, TEAM, "three", "k4")
    worker = worker_for(gservices)
    stats = worker.deliver_due()
    assert (stats.sent, stats.deferred, stats.retrying, stats.dead) == (2, 2, 0, 0)
    assert load(gservices, first).status == SENT and load(gservices, dm).status == SENT
    waiting = load(gservices, second)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (PENDING, 0, None)
    assert waiting.next_attempt_at == T0 + timedelta(seconds=1) + margin(timedelta(seconds=1))
    # Queued behind it, one second apart: not all three at once a second later.
    assert load(gservices, third).next_attempt_at == T0 + 2 * (timedelta(seconds=1) + margin(timedelta(seconds=1)))
    assert worker.deliver_due().claimed == 0
    clock.advance(timedelta(seconds=1) + margin(timedelta(seconds=1)))
    assert worker.deliver_due().sent == 1
    clock.advance(timedelta(seconds=1) + margin(timedelta(seconds=1)))
    assert worker.deliver_due().sent == 1
    assert fake.texts(TEAM_SPACE) == ["one", "two", "three"]
    assert load(gservices, third).attempts == 0


def test_pacing_holds_across_workers(gservices: Services, db: Database,
                                     fake: FakeGoogleChat) -> None:
    """Another instance wrote to the space half a second ago: the database says so."""
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    queue(gservices, TEAM, "from instance one", "k1")
    assert worker_for(gservices).deliver_due().sent == 1
    clock.advance(timedelta(milliseconds=500))
    later = queue(gservices, TEAM, "from instance two", "k2")
    other = make_services(db, settings_of(gservices), clock)
    assert worker_for(other).deliver_due().deferred == 1
    assert load(gservices, later).next_attempt_at == T0 + timedelta(seconds=1) + margin(timedelta(seconds=1))


def test_a_dm_is_found_remembered_and_reused(gservices: Services, fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    first = queue(gservices, "person:alice", "Your turn starts in 5 minutes", "dm1")
    assert load(gservices, first).space is None
    assert worker_for(gservices).deliver_due().sent == 1
    assert fake.find_dm_calls == ["users/111"]
    assert load(gservices, first).space == "spaces/DM-ALICE"
    with transaction(gservices.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        space = chat.dm_space(session, "google", alice.id)
        assert space is not None and space.name == "spaces/DM-ALICE"
    clock.advance(timedelta(seconds=5))
    second = queue(gservices, "person:alice", "Back online?", "dm2")
    assert load(gservices, second).space == "spaces/DM-ALICE"  # the notifier knows it now
    assert worker_for(gservices).deliver_due().sent == 1
    assert fake.find_dm_calls == ["users/111"]
    assert fake.texts("spaces/DM-ALICE") == ["Your turn starts in 5 minutes", "Back online?"]


def test_a_person_without_a_dm_is_dead_with_the_reason(gservices: Services,
                                                       fake: FakeGoogleChat) -> None:
    with transaction(gservices.sessions) as session:
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        people.link_chat_id(session, bruno, "google", "users/222")
    mid = queue(gservices, "person:bruno", "hi", "dm")
    assert worker_for(gservices).deliver_due().dead == 1
    assert "no direct message with users/222" in (load(gservices, mid).last_error or "")


def test_a_new_instance_delivers_what_the_first_left(db: Database, tmp_path: Path) -> None:
    clock = FixedClock(T0)
    settings = make_settings(DATABASE_URL=db.url)
    first = make_services(db, settings, clock)
    with transaction(first.sessions) as session:
        load_demo(session, clock.now())
    ids = [queue(first, TEAM, f"message {i}", f"k{i}") for i in range(3)]

    def die(target: str, reply: Reply) -> None:
        raise Crash("power cut")

    with pytest.raises(Crash):
        OutboxWorker(first.sessions, clock, {"console": ConsoleSender(die)},
                     max_attempts=8).deliver_due()
    ids.append(queue(first, TEAM, "message 3", "k3"))  # queued, never attempted

    # The second instance: its own engine and services on the same database.
    engine = db.new_engine()
    try:
        second = make_services(Database(db.backend, db.url, engine), settings, clock)
        shown: list[str] = []
        worker = OutboxWorker(second.sessions, clock,
                              {"console": ConsoleSender(lambda t, r: shown.append(r.text))},
                              max_attempts=8)
        assert worker.deliver_due().sent == 1  # the others are still leased to the dead one
        assert shown == ["message 3"]
        clock.advance(worker.lease)
        assert worker.deliver_due().sent == 3
        assert shown == ["message 3", "message 0", "message 1", "message 2"]
        with transaction(second.sessions) as session:
            rows = [outbox.get(session, i) for i in ids]
        assert [(r.status, r.attempts) for r in rows if r] == \
            [(SENT, 1), (SENT, 1), (SENT, 1), (SENT, 0)]
    finally:
        engine.dispose()


def test_two_workers_on_one_database_deliver_each_row_once(db: Database) -> None:
    clock = FixedClock(T0)
    first_sessions = make_sessionmaker(db.engine)
    ids = []
    with transaction(first_sessions) as session:
        for i in range(30):
            m = OutboxMessage(key=f"k{i}", target=f"person:p{i}", platform="console",
                              space=f"@p{i}", body=Reply(f"n{i}").to_dict(), status=PENDING,
                              attempts=0, next_attempt_at=T0, created_at=T0)
            outbox.enqueue(session, m)
            session.flush()
            ids.append(m.id)
    delivered: list[str] = []
    lock = threading.Lock()
    # Both workers must be mid-pass at once, each holding a claimed batch.
    together = threading.Barrier(2, timeout=10)
    problems: list[BaseException] = []
    engines = [db.engine, db.new_engine()]

    def run(index: int) -> None:
        first_send = [True]

        def record(target: str, reply: Reply) -> None:
            if first_send[0]:
                first_send[0] = False
                together.wait()
            with lock:
                delivered.append(reply.text)

        worker = OutboxWorker(make_sessionmaker(engines[index]), clock,
                              {"console": ConsoleSender(record)}, max_attempts=8, batch=4)
        try:
            while worker.deliver_due().claimed:
                pass
        except BaseException as exc:
            problems.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engines[1].dispose()
    assert not problems, problems
    assert sorted(delivered) == sorted(f"n{i}" for i in range(30))
    with transaction(first_sessions) as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {SENT}


def test_a_pass_that_runs_past_its_lease_sends_nothing_more(db: Database) -> None:
    clock = FixedClock(T0)
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as session:
        for i in range(2):
            outbox.enqueue(session, OutboxMessage(
                key=f"k{i}", target="team", platform="console", space=f"s{i}",
                body=Reply(f"n{i}").to_dict(), status=PENDING, attempts=0,
                next_attempt_at=T0, created_at=T0))
    shown: list[str] = []

    def slow(target: str, reply: Reply) -> None:
        shown.append(reply.text)
        clock.advance(timedelta(minutes=5))  # this send took the whole lease

    worker = OutboxWorker(sessions, clock, {"console": ConsoleSender(slow)}, max_attempts=8)
    stats = worker.deliver_due()
    assert (stats.sent, stats.deferred) == (1, 1) and shown == ["n0"]
    with transaction(sessions) as session:
        waiting = outbox.by_key(session, "k1")
        assert waiting is not None and (waiting.status, waiting.attempts) == (PENDING, 0)


def test_an_unconfigured_platform_is_retried_then_dead(db: Database) -> None:
    clock = FixedClock(T0)
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as session:
        outbox.enqueue(session, OutboxMessage(
            key="k", target="team", platform="slack", space="C1", body={"text": "x"},
            status=PENDING, attempts=0, next_attempt_at=T0, created_at=T0))
    worker = OutboxWorker(sessions, clock, {}, max_attempts=2)
    assert worker.deliver_due().retrying == 1
    clock.advance(timedelta(hours=1))
    assert worker.deliver_due().dead == 1
    with transaction(sessions) as session:
        row = outbox.by_key(session, "k")
        assert row is not None and row.status == DEAD
        assert row.last_error == "gave up after 2 attempts: no sender for 'slack' is configured"


def test_backoff_grows_is_capped_and_never_undercuts_retry_after() -> None:
    backoff = Backoff(base=timedelta(seconds=10), cap=timedelta(minutes=5))
    assert [backoff.delay(n, None).total_seconds() for n in range(1, 7)] == \
        [10, 20, 40, 80, 160, 300]
    assert backoff.delay(1, 45.0) == timedelta(seconds=45)
    assert backoff.delay(3, 5.0) == timedelta(seconds=40)


def test_a_sender_that_raises_something_unexpected_is_retried(db: Database) -> None:
    clock = FixedClock(T0)
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as session:
        outbox.enqueue(session, OutboxMessage(
            key="k", target="team", platform="console", space="team", body={"text": "x"},
            status=PENDING, attempts=0, next_attempt_at=T0, created_at=T0))

    class Broken:
        def send(self, message: Outgoing) -> Delivered:
            raise KeyError("body")

        def scopes(self, message: Outgoing) -> list[str]:
            return []

        def open_dm(self, target: str, recipient: str | None) -> str:
            return target

    stats = OutboxWorker(sessions, clock, {"console": Broken()}, max_attempts=3).deliver_due()
    assert stats.retrying == 1
    with transaction(sessions) as session:
        row = outbox.by_key(session, "k")
        assert row is not None and "sender crashed: KeyError('body')" in (row.last_error or "")


def test_the_loop_keeps_a_paced_row_claimed_in_memory_and_stop_hands_it_back(
        gservices: Services, fake: FakeGoogleChat) -> None:
    """The running loop (``wait=False``) keeps a row the limits put off in memory — no
    write to the table, no claim again — sends it at its moment, and on ``stop`` gives
    what still waits back to the table, due at its moment."""
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    first = queue(gservices, TEAM, "one", "k1")
    second = queue(gservices, TEAM, "two", "k2")
    third = queue(gservices, TEAM, "three", "k3")
    worker = worker_for(gservices)
    assert worker.deliver_due(wait=False).deferred == 2
    worker.wait_idle()
    assert load(gservices, first).status == SENT
    held = load(gservices, second)
    assert (held.status, held.attempts) == (SENDING, 0)  # still claimed: nothing written
    step = timedelta(seconds=1) + margin(timedelta(seconds=1))
    clock.advance(step)
    stats = worker.deliver_due(wait=False, claim=False)  # only what waits in memory
    worker.wait_idle()
    assert (stats.claimed, stats.deferred) == (0, 0)
    assert load(gservices, second).status == SENT and fake.texts(TEAM_SPACE) == ["one", "two"]
    worker.stop()
    back = load(gservices, third)
    assert (back.status, back.attempts, back.next_attempt_at) == (PENDING, 0, T0 + 2 * step)


def test_results_queued_meanwhile_are_committed_in_one_transaction(db: Database) -> None:
    from sqlalchemy import event

    from bot.delivery.worker import _Recorder

    sessions = make_sessionmaker(db.engine)
    commits: list[int] = []
    # The outermost transactions that end (a savepoint is not one).
    def ended(_session: object, tx: Any) -> None:
        if tx.parent is None:
            commits.append(1)

    event.listen(sessions, "after_transaction_end", ended)
    recorder = _Recorder(sessions)
    first_running, release = threading.Event(), threading.Event()

    def slow(_session: object) -> bool:
        first_running.set()
        release.wait(10)
        return True

    order: list[int] = []
    first = recorder.submit(slow)
    assert first_running.wait(10)
    before = len(commits)
    def noting(n: int) -> Callable[[object], bool]:
        def write(_session: object) -> bool:
            order.append(n)
            return True
        return write

    items = [recorder.submit(noting(n)) for n in range(5)]
    failing = recorder.submit(lambda _s: 1 / 0 == 0)
    release.set()
    for item in (first, *items, failing):
        assert item.done.wait(10)
    recorder.stop(10)
    assert first.result and all(item.result for item in items) and order == [0, 1, 2, 3, 4]
    assert isinstance(failing.error, ZeroDivisionError)  # its savepoint only
    # The slow one's transaction, then the five and the failing one together.
    assert len(commits) - before == 2
