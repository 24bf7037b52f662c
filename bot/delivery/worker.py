"""Delivers the outbox: claim due rows, send each outside any transaction, record the result.

One pass (``deliver_due``) is short transactions: the claim, then one per row for its
result. Between them nothing is locked, so a slow platform never holds the database. A
worker that dies mid-send leaves its rows ``sending`` under a lease; when the lease runs
out any worker claims them again. Delivery stays exactly-once as before: a row is sent
under its unique key, Google Chat gets a requestId derived from it and Slack a metadata
key checked before a repeated attempt.

- **Waking.** ``start()`` runs the delivery loop in a thread: it passes as soon as a row
  is committed (the notifier's commit calls ``wake``; on PostgreSQL a ``LISTEN`` thread
  hears the ``NOTIFY`` written with the row, from any process), when a row it put off
  falls due, and at least every ``tick`` as a safety net.
- **Priority.** Rows are claimed most urgent first (the screen pop and direct answers,
  then alerts, then broadcasts) and each platform's pool takes the most urgent task
  first, so a broadcast never queues in front of a screen pop.
- **Concurrency.** ``threads`` senders per platform, each with its own HTTP client.
- **Limits.** Before a row is handed to a pool, the platform's client-side limits
  (bot/delivery/limits.py) must have room in every scope the send spends — the project's
  writes and the space for Google Chat, the method and the channel for Slack, opening a
  DM included. A row without room is put off until there is, without counting an attempt.
  A 429's Retry-After holds the scope the platform means (a Slack method; a Google space
  or the project) and nothing is sent in it until the hold ends.
- **Waiting in memory.** The running loop keeps a row it put off claimed and in memory
  until its moment (while that falls well inside the claim's lease), so a broadcast that
  waits for room costs no database write per wait and no claim again; at most
  ``MAX_WAITING`` rows wait so, and ``stop`` hands them back to the table. A one-off pass
  (the CLI) writes the row back ``pending`` until its moment instead.
- **Results in batches.** Each sender's result (sent, retry, dead, put off) is written by
  one recorder thread, which commits whatever results have queued meanwhile in one
  transaction, each in a savepoint of its own: on SQLite a broadcast's hundreds of results
  take a few write locks, not hundreds, and leave room for the screen pop's own writes.
  The sender waits for its result to be committed, so ``wait_idle`` still means
  "recorded".
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.delivery.limits import (
    GOOGLE_PROJECT_READS,
    Limits,
    google_limits,
    google_space,
    slack_channel,
    slack_limits,
)
from bot.delivery.notifier import halves
from bot.delivery.senders import (
    ConsoleSender,
    Delivered,
    DeliveryError,
    Outgoing,
    Sender,
    build_senders,
)
from bot.settings import Settings
from commands.core import Reply
from integrations.clock import Clock
from store.db import reading, transaction
from store.messaging import chat, outbox
from store.messaging.outbox import Claimed
from store.team import people

log = logging.getLogger(__name__)

Place = tuple[str, str]  # (platform, space)


def default_limits() -> dict[str, Limits]:
    """Each platform's documented limits (docs/protocols/)."""
    return {"google": google_limits(), "slack": slack_limits()}


def place_scope(platform: str, space: str) -> str:
    """The limit scope of one space's writes."""
    return google_space(space) if platform == "google" else slack_channel(space)

# Platforms with a per-space write limit (about 1/s); the console has none.
PACED_PLATFORMS = frozenset({"google", "slack"})
_Write = Callable[[Session], bool]


@dataclass
class PassStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    deferred: int = 0
    lost: int = 0  # results not recorded: another worker took the row over meanwhile

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


@dataclass(frozen=True)
class Backoff:
    """Wait before attempt n+1: base·2^(n-1), capped; never less than a Retry-After."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(minutes=30)

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        exponential = min(self.base * (1 << max(attempts - 1, 0)), self.cap)
        if retry_after is None:
            return exponential
        return max(exponential, timedelta(seconds=retry_after))


# Rows the running loop keeps waiting in memory for room, at most (beyond it, it claims only
# urgent rows until some have gone).
MAX_WAITING = 1000
# Results the recorder commits in one transaction, at most.
RECORD_BATCH = 200


class _Result:
    """One result on its way to the recorder, and what became of it."""

    __slots__ = ("done", "error", "result", "then", "write")

    def __init__(self, write: _Write, then: Callable[[_Result], None] | None = None) -> None:
        self.write = write
        self.then = then
        self.done = threading.Event()
        self.result = False
        self.error: BaseException | None = None


class _Recorder:
    """Writes results for every thread, many to a transaction (see the module's doc)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.results: queue.SimpleQueue[_Result | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, write: _Write) -> bool:
        """Run ``write`` in a transaction shared with other results; its own return value
        once committed, or its exception (or the transaction's)."""
        item = self.submit(write)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def submit(self, write: _Write, then: Callable[[_Result], None] | None = None) -> _Result:
        """Queue ``write``; ``then`` is called (on the recorder's thread) once it is
        committed or failed."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="outbox-record")
                self._thread.start()
        item = _Result(write, then)
        self.results.put(item)
        return item

    def stop(self, timeout: float) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self.results.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self.results.get()
            if first is None:
                return
            items = [first]
            while len(items) < RECORD_BATCH:
                try:
                    more = self.results.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.results.put(None)  # stop after this batch
                    break
                items.append(more)
            try:
                with transaction(self.sessions) as session:
                    for item in items:
                        try:
                            with session.begin_nested():
                                item.result = item.write(session)
                        except Exception as exc:
                            item.error = exc
            except BaseException as exc:  # the commit failed: none of them is recorded
                for item in items:
                    if item.error is None:
                        item.error = exc
            for item in items:
                item.done.set()
                if item.then is not None:
                    try:
                        item.then(item)
                    except Exception:
                        log.exception("outbox: a recorded result's follow-up failed")


SenderFactory = Callable[[], Mapping[str, Sender]]
# The limit scopes of opening or finding a DM (the reads quota; Slack's conversations.open).
OPENING_SCOPES = (GOOGLE_PROJECT_READS, "slack:method:conversations.open")


@dataclass
class OpenedDms:
    opened: int = 0
    waiting: int = 0  # left for later: the limits had no room now
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.opened} opened, {self.waiting} waiting for room, "
                f"{len(self.failed)} failed")


class _Pool:
    """Threads that send for one platform, the most urgent task first."""

    def __init__(self, name: str, threads: int, senders: SenderFactory) -> None:
        self.tasks: queue.PriorityQueue[tuple[int, int, Callable[[Mapping[str, Sender]], None]]] \
            = queue.PriorityQueue()
        self.threads = [threading.Thread(target=self._run, args=(senders,), daemon=True,
                                         name=f"outbox-{name}-{i}") for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def submit(self, priority: int, seq: int,
               task: Callable[[Mapping[str, Sender]], None]) -> None:
        self.tasks.put((priority, seq, task))

    def _run(self, factory: SenderFactory) -> None:
        senders = factory()
        while True:
            _, _, task = self.tasks.get()
            if task is _STOP:
                return
            task(senders)

    def stop(self) -> None:
        for _ in self.threads:
            self.tasks.put((1 << 30, 1 << 62, _STOP))


def _STOP(_senders: Mapping[str, Sender]) -> None:  # the pool's "no more work"
    return None


class OutboxWorker:
    """Plans in one thread (claims, limits), sends in a bounded pool per platform.

    ``senders``: one sender per platform, used by one thread per platform; or a factory
    that makes a set for each of ``threads`` threads per platform (the HTTP clients are not
    thread-safe, so no two threads share one)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock,
                 senders: Mapping[str, Sender] | SenderFactory, *, max_attempts: int,
                 lease: timedelta = timedelta(minutes=5), backoff: Backoff | None = None,
                 batch: int = 50, threads: int = 8,
                 limits: Mapping[str, Limits] | None = None,
                 halve: Callable[[str, dict[str, Any]], list[dict[str, Any]]] | None = None
                 ) -> None:
        self.sessions = sessions
        self.clock = clock
        if callable(senders):
            self._factory: SenderFactory = senders
            self.threads = threads
        else:
            fixed = dict(senders)
            self._factory = lambda: fixed
            self.threads = 1
        self._planning = self._factory()  # scopes only; never used to send
        self.platforms = set(self._planning)
        self.max_attempts = max_attempts
        # Long enough for a whole batch of slow requests (2 calls x 15 s timeout each).
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.batch = batch
        self.limits = dict(limits) if limits is not None else default_limits()
        # A body the platform refused as too long → smaller bodies (bot/delivery/notifier).
        self.halve = halve
        self._pools: dict[str, _Pool] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._inflight = 0
        self._crash: BaseException | None = None
        self._dms: dict[tuple[str, int], str] = {}  # DMs known to this process
        self._recorder = _Recorder(sessions)
        # A pool thread's result goes to the recorder without waiting for the commit.
        self._local = threading.local()
        # Rows the loop put off and keeps claimed: (when, seq, message, token, priority).
        self._waiting: list[tuple[datetime, int, Outgoing, datetime, int]] = []
        self._wake = threading.Event()
        self._next_due: datetime | None = None  # the earliest deferral this process set
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------------ a pass

    def deliver_due(self, limit: int | None = None, *, wait: bool = True,
                    claim: bool = True) -> PassStats:
        """Claim what is due (most urgent first), send what the limits allow, put the rest
        off. ``wait``: return once every send of this pass is recorded (the CLI, tests);
        else return as soon as the sends are handed to the pools (the delivery loop)."""
        stats = PassStats()
        now = self.clock.now()
        with self._lock:
            room = self.threads * max(1, len(self.platforms)) * 4 - self._inflight
            due = []
            while self._waiting and self._waiting[0][0] <= now:
                _, _, message, token, priority = heapq.heappop(self._waiting)
                due.append((message, token, priority))
            crowded = len(self._waiting) >= MAX_WAITING
        wanted = limit or self.batch
        # A full pipeline (or waiting room) still takes urgent rows: nothing makes a screen
        # pop wait.
        only_urgent = room <= 0 or crowded
        fresh: list[tuple[Outgoing, datetime, int]] = []
        recent: dict[tuple[str, str], datetime] = {}
        if claim:
            with transaction(self.sessions) as session:
                claimed = outbox.claim(session, now, wanted if not only_urgent else 10,
                                       self.lease,
                                       max_priority=outbox.URGENT if only_urgent else None)
                fresh = [self._outgoing(session, c) for c in claimed]
                places = {(m.platform, m.space) for m, _, _ in fresh
                          if m.space is not None and m.platform in PACED_PLATFORMS}
                recent = outbox.last_writes(session, places, now - timedelta(seconds=1))
        stats.claimed = len(fresh)
        # The most urgent first, whether it waited here or was just claimed.
        batch = sorted(due + fresh, key=lambda item: item[2])
        for (platform, space), written in recent.items():
            limits = self.limits.get(platform)
            if limits is not None:
                limits.note(place_scope(platform, space), written)
        sends: list[tuple[Outgoing, datetime, int]] = []
        try:
            for message, token, priority in batch:
                if not self._plan(message, token, priority, now, stats, hold=not wait):
                    continue
                sends.append((message, token, priority))
        finally:
            for limits in self.limits.values():
                limits.end_pass()
        for message, token, priority in sends:
            self._submit(message, token, priority, stats, now)
        if wait:
            self.wait_idle()
        if batch:
            log.log(logging.INFO if wait else logging.DEBUG, "outbox pass: %s", stats)
        return stats

    def _plan(self, message: Outgoing, token: datetime, priority: int, now: datetime,
              stats: PassStats, *, hold: bool = False) -> bool:
        """True when ``message`` may be sent now; else it is put off (or given up)."""
        if message.attempts >= self.max_attempts:  # only a recovered claim gets here
            error = f"gave up: the worker stopped during delivery ({message.attempts} attempts)"
            self._fail(message, token, DeliveryError(error, retry=False), stats, counted=True)
            return False
        known_dm = self._dms.get((message.platform, message.person_id or 0))
        if message.space is None and known_dm is not None:
            message = replace(message, space=known_dm)
        limits = self.limits.get(message.platform)
        sender = self._planning.get(message.platform)
        if limits is None or sender is None:
            return True
        when = limits.acquire(now, sender.scopes(message), priority)
        if when is None:
            return True
        self._put_off(message, token, priority, when, stats, hold=hold)
        return False

    def _put_off(self, message: Outgoing, token: datetime, priority: int, when: datetime,
                 stats: PassStats, *, hold: bool) -> None:
        with self._lock:
            # Kept claimed here while its moment is well inside the claim.
            if hold and when < token - self.lease / 5:
                heapq.heappush(self._waiting, (when, next(self._seq), message, token,
                                               priority))
                stats.deferred += 1
                return
            if self._next_due is None or when < self._next_due:
                self._next_due = when
        self._record(stats, "deferred", lambda s: outbox.defer(
            s, message.id, token=token, when=when, space=message.space))

    def _release_waiting(self) -> None:
        """Hand the rows waiting in memory back to the table, each due at its moment."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        with transaction(self.sessions) as session:
            for when, _, message, token, _ in waiting:
                outbox.defer(session, message.id, token=token, when=when, space=message.space)

    def _submit(self, message: Outgoing, token: datetime, priority: int,
                stats: PassStats, planned: datetime) -> None:
        known_dm = self._dms.get((message.platform, message.person_id or 0))
        if message.space is None and known_dm is not None:
            message = replace(message, space=known_dm)
        pool = self._pools.get(message.platform)
        if pool is None:
            pool = self._pools[message.platform] = _Pool(message.platform, self.threads,
                                                         self._factory)
        with self._lock:
            self._inflight += 1

        def task(senders: Mapping[str, Sender]) -> None:
            self._local.collect, self._local.pending = True, None
            try:
                self._deliver(senders, message, token, stats, planned, priority)
            except BaseException as exc:  # a crash: the claim is left to expire
                with self._lock:
                    self._crash = exc
            finally:
                pending, self._local.collect, self._local.pending = \
                    self._local.pending, False, None
                if pending is None:
                    self._finished(None)
                else:  # done once the recorder has committed the result
                    counted_in, outcome, write = pending

                    def then(item: _Result) -> None:
                        if item.error is None:
                            self._count(counted_in, outcome, item.result)
                        self._finished(item.error)

                    self._recorder.submit(write, then)

        pool.submit(priority, next(self._seq), task)

    def wait_idle(self) -> None:
        """Until every send handed to the pools is recorded; re-raises a sender's crash."""
        with self._done:
            while self._inflight:
                self._done.wait()
            crash, self._crash = self._crash, None
        if crash is not None:
            raise crash

    # ------------------------------------------------------------------ one row

    def _outgoing(self, session: Session, claimed: Claimed) -> tuple[Outgoing, datetime, int]:
        row = claimed.message
        recipient = None
        if row.space is None and row.person_id is not None:
            person = session.get(people.Person, row.person_id)
            if person is not None:
                recipient = {"google": person.google_chat_id,
                             "slack": person.slack_id}.get(row.platform)
        assert row.claimed_until is not None
        message = Outgoing(id=row.id, key=row.key, target=row.target, platform=row.platform,
                           space=row.space, person_id=row.person_id, recipient=recipient,
                           body=dict(row.body), attempts=row.attempts,
                           created_at=row.created_at, recovered=claimed.recovered)
        return message, row.claimed_until, row.priority

    def _deliver(self, senders: Mapping[str, Sender], message: Outgoing, token: datetime,
                 stats: PassStats, planned: datetime | None = None,
                 priority: int = outbox.BROADCAST) -> None:
        now = self.clock.now()
        if now >= token - self.lease / 10:
            # The pass ran long: sending now could outlive the claim and race a takeover.
            self._record(stats, "deferred", lambda s: outbox.defer(
                s, message.id, token=token, when=now))
            return
        sender = senders.get(message.platform)
        limits = self.limits.get(message.platform)
        if limits is not None and sender is not None:
            # A 429 may have come back while this waited for a sender: its Retry-After
            # holds this row too.
            scopes = sender.scopes(message)
            held = [h for h in (limits.held_until(scope, now) for scope in scopes) if h]
            if held:
                self._put_off(message, token, priority, max(held), stats,
                              hold=self.running)
                return
            if planned is not None:
                limits.sent(scopes, planned, now)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for {message.platform!r} is configured",
                                    retry=True)
            delivered = sender.send(message)
        except DeliveryError as exc:
            if exc.too_long and self._split_again(message, token, exc, stats):
                return
            self._fail(message, token, exc, stats)
            return
        except Exception as exc:
            log.exception("outbox %s: the %s sender crashed", message.id, message.platform)
            self._fail(message, token, DeliveryError(f"sender crashed: {exc!r}", retry=True),
                       stats)
            return
        self._succeed(message, delivered, stats)

    def _succeed(self, message: Outgoing, delivered: Delivered, stats: PassStats) -> None:
        now = self.clock.now()
        space = message.space or delivered.space
        opened = delivered.space if message.space is None else None

        def record(session: Session) -> bool:
            if opened is not None:
                self._remember_dm(session, message, opened, now)
            return outbox.mark_sent(session, message.id, now, delivered.remote_id, space=space)

        self._record(stats, "sent", record)
        metrics.OUTBOX_SENT.labels(platform=message.platform).inc()

    def _split_again(self, message: Outgoing, token: datetime, error: DeliveryError,
                     stats: PassStats) -> bool:
        """The platform refused the message as too long: queue it again in smaller pieces
        (keys ``KEY~1``, ``KEY~2``…) and record this row as done by them. False when it
        cannot be cut further (then it fails as usual)."""
        bodies = self.halve(message.platform, message.body) if self.halve else []
        if not bodies:
            return False
        now = self.clock.now()
        space = message.space or error.space
        log.warning("outbox %s refused as too long (%s): sent again as %d messages",
                    message.id, error.message, len(bodies))

        def record(session: Session) -> bool:
            row = outbox.get(session, message.id)
            if row is None:
                return False
            for n, body in enumerate(bodies, start=1):
                suffix = f"~{n}"
                outbox.enqueue(session, outbox.OutboxMessage(
                    key=message.key[:200 - len(suffix)] + suffix, target=message.target,
                    platform=message.platform, space=space, person_id=message.person_id,
                    body=body, status=outbox.PENDING, attempts=0, priority=row.priority,
                    next_attempt_at=now, created_at=now))
            return outbox.mark_sent(session, message.id, now, f"split into {len(bodies)}",
                                    space=space)

        self._record(stats, "sent", record)
        with self._lock:
            self._next_due = now
        self._wake.set()
        return True

    def _fail(self, message: Outgoing, token: datetime, error: DeliveryError,
              stats: PassStats, *, counted: bool = False) -> None:
        now = self.clock.now()
        attempts = message.attempts if counted else message.attempts + 1
        space = message.space or error.space
        limits = self.limits.get(message.platform)
        if error.retry_after is not None and limits is not None:
            scope = error.scope or (place_scope(message.platform, space) if space else None)
            if scope is not None:
                # Everything sent in that scope waits: 0 calls inside a Retry-After.
                limits.hold(scope, now + timedelta(seconds=error.retry_after))
                with self._lock:
                    self._wake.set()
        opened = error.space if message.space is None else None
        give_up = not error.retry or attempts >= self.max_attempts
        text = error.message
        if give_up and error.retry:
            text = f"gave up after {attempts} attempts: {text}"
        log.warning("outbox %s to %s: attempt %s failed: %s", message.id, message.target,
                    attempts, error.message)

        def record(session: Session) -> bool:
            if opened is not None:
                self._remember_dm(session, message, opened, now)
            if give_up:
                return outbox.mark_dead(session, message.id, token=token, attempts=attempts,
                                        error=text, space=space)
            when = now + self.backoff.delay(attempts, error.retry_after)
            with self._lock:
                if self._next_due is None or when < self._next_due:
                    self._next_due = when
            return outbox.schedule_retry(session, message.id, token=token, attempts=attempts,
                                         when=when, error=text, space=space)

        self._record(stats, "dead" if give_up else "retrying", record)
        metrics.OUTBOX_FAILURES.labels(platform=message.platform,
                                       result="dead" if give_up else "retrying").inc()

    # ------------------------------------------------------------------ helpers

    def _finished(self, error: BaseException | None) -> None:
        with self._done:
            if error is not None:
                self._crash = error
            self._inflight -= 1
            self._done.notify_all()

    def _record(self, stats: PassStats, outcome: str, write: _Write) -> None:
        if getattr(self._local, "collect", False):  # a pool thread: see _submit
            self._local.pending = (stats, outcome, write)
            return
        self._count(stats, outcome, self._recorder.write(write))

    def _count(self, stats: PassStats, outcome: str, done: bool) -> None:
        with self._lock:
            if done:
                setattr(stats, outcome, getattr(stats, outcome) + 1)
            else:
                stats.lost += 1

    def _remember_dm(self, session: Session, message: Outgoing, space: str,
                     now: datetime) -> None:
        person_id = message.person_id
        if person_id is None:
            return
        with self._lock:
            self._dms[(message.platform, person_id)] = space
        try:
            with session.begin_nested():
                chat.remember_space(session, message.platform, space, "dm", now,
                                    person_id=person_id)
        except IntegrityError:
            pass  # another worker remembered the same DM at the same moment


    # ------------------------------------------------------------------ DMs ahead

    def open_dms(self, platforms: Mapping[str, str]) -> OpenedDms:
        """Open (Slack) or find (Google Chat) the DM of everyone active who has none
        remembered yet, as far as the limits allow now; what is left waits for the next
        call (the scheduler runs it every minute). ``platforms``: the one chat platform
        each person's DMs go to, by person key (``OutboxNotifier.dm_platforms``).
        Opening ahead makes a person's first screen pop one API call instead of two."""
        result = OpenedDms()
        now = self.clock.now()
        with reading(self.sessions) as session:
            known = {p: chat.dm_owners(session, p) for p in set(platforms.values())}
            todo = [(p, platforms[p.key]) for p in people.all_people(session, active_only=True)
                    if p.key in platforms and p.id not in known[platforms[p.key]]]
        if not todo:
            return result
        senders = self._factory()
        for person, platform in todo:
            sender, limits = senders.get(platform), self.limits.get(platform)
            if sender is None:
                continue
            recipient = person.google_chat_id if platform == "google" else person.slack_id
            probe = Outgoing(id=0, key="", target=f"person:{person.key}", platform=platform,
                             space=None, person_id=person.id, recipient=recipient, body={},
                             attempts=0, created_at=now)
            # Only the opening's own scope: the send that follows spends the rest later.
            scopes = [s for s in sender.scopes(probe) if s.startswith(OPENING_SCOPES)]
            if limits is not None and limits.acquire(self.clock.now(), scopes,
                                                     outbox.BROADCAST) is not None:
                result.waiting += 1
                continue
            try:
                space = sender.open_dm(probe.target, recipient)
            except DeliveryError as exc:
                result.failed.append(f"{person.key}: {exc.message}")
                if exc.retry_after is not None and exc.scope and limits is not None:
                    limits.hold(exc.scope, self.clock.now()
                                + timedelta(seconds=exc.retry_after))
                continue
            with transaction(self.sessions) as session:
                self._remember_dm(session, probe, space, self.clock.now())
            result.opened += 1
        for limits in self.limits.values():
            limits.end_pass()
        return result

    # ------------------------------------------------------------------ the loop

    @property
    def running(self) -> bool:
        return self._loop is not None

    def wake(self) -> None:
        """Pass now (a row was committed); cheap, from any thread."""
        self._wake.set()

    def start(self, engine: Engine | None = None,
              tick: timedelta = timedelta(seconds=2)) -> None:
        """Run the delivery loop in a thread; with ``engine``, wake on its commits of
        outbox rows (and, on PostgreSQL, on every process's NOTIFY)."""
        if self._loop is not None:
            return
        self._stop.clear()
        if engine is not None:
            self._unsubscribe = outbox.on_commit_of_rows(engine, self.wake)
            if engine.dialect.name == "postgresql":
                self._listener = threading.Thread(target=self._listen, args=(engine, tick),
                                                  daemon=True, name="outbox-listen")
                self._listener.start()
        self._loop = threading.Thread(target=self._run, args=(tick,), daemon=True,
                                      name="outbox-loop")
        self._loop.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the loop and the pools, after the sends in flight are recorded."""
        self._stop.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for thread in (self._loop, self._listener):
            if thread is not None:
                thread.join(timeout)
        self._loop = self._listener = None
        with self._done:  # the sends in flight are recorded first
            self._done.wait_for(lambda: not self._inflight, timeout)
        for pool in self._pools.values():
            pool.stop()
        for pool in self._pools.values():
            for thread in pool.threads:
                thread.join(timeout)
        self._pools.clear()
        try:
            self._release_waiting()
        except Exception:  # their claims run out and any worker takes them then
            log.exception("could not hand the waiting outbox rows back")
        self._recorder.stop(timeout)

    def _run(self, tick: timedelta) -> None:
        claim = True  # claim from the table, or only send what waits here
        while not self._stop.is_set():
            self._wake.clear()
            try:
                stats = self.deliver_due(wait=False, claim=claim)
            except Exception:
                log.exception("outbox delivery pass failed")
                stats = PassStats()
            if claim and stats.claimed and stats.claimed >= self.batch:
                continue  # more is due right now
            now = self.clock.now()
            timeout = tick.total_seconds()
            with self._lock:
                in_table = self._next_due  # a row put back in the table falls due
                here = self._waiting[0][0] if self._waiting else None
                if in_table is not None and in_table <= now:
                    self._next_due = None
                    claim = True
                    continue
            if here is not None and here <= now:
                claim = False
                continue
            for due in (in_table, here):
                if due is not None:
                    timeout = min(timeout, max(0.0, (due - now).total_seconds()))
            woken = self._wake.wait(timeout)
            # Rows were committed, or the safety tick ran out, or a row put back in the
            # table is due: claim; else only what waits here is due.
            claim = woken or timeout >= tick.total_seconds() or (
                in_table is not None and in_table <= self.clock.now())

    def _listen(self, engine: Engine, tick: timedelta) -> None:
        """PostgreSQL: LISTEN on the outbox channel and wake the loop on each NOTIFY."""
        import psycopg

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=tick.total_seconds(), stop_after=1):
                            self.wake()
            except psycopg.Error as exc:
                log.warning("outbox LISTEN connection lost (%s); the tick still runs", exc)
                self._stop.wait(tick.total_seconds())


def build_worker(settings: Settings, sessions: sessionmaker[Session], clock: Clock, *,
                 console_sink: Callable[[str, Reply], None] | None = None) -> OutboxWorker:
    """A worker with a sender for each platform the settings enable, ``OUTBOX_THREADS``
    of them per platform (the console's sink is one, shared)."""
    console = ConsoleSender(console_sink)

    def senders() -> dict[str, Sender]:
        made = build_senders(settings, clock)
        made["console"] = console
        return made

    return OutboxWorker(sessions, clock, senders, max_attempts=settings.outbox_max_attempts,
                        threads=settings.outbox_threads, halve=halves(settings))
