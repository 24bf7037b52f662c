"""Delivers the outbox: claim due rows, send each outside any transaction, record the result.

One pass (``deliver_due``) is three kinds of short transactions: the claim, then one per
row for its result. Between them nothing is locked, so a slow platform never holds the
database. A worker that dies mid-send leaves its rows ``sending`` under a lease; when the
lease runs out any worker claims them again.

Pacing: at most one message per second into one space (Google Chat allows about one write
per second per space, Slack one message per second per channel). A row whose space was
written less than a second ago, or whose space answered 429 with a Retry-After still
running, is deferred without counting an attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.delivery.senders import Delivered, DeliveryError, Outgoing, Sender, build_senders
from bot.settings import Settings
from commands.core import Reply
from integrations.clock import Clock
from store.db import transaction
from store.messaging import chat, outbox
from store.messaging.outbox import Claimed
from store.team import people

log = logging.getLogger(__name__)

Place = tuple[str, str]  # (platform, space)
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


class OutboxWorker:
    """Not thread-safe (the senders' HTTP clients are not): one per thread."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock,
                 senders: Mapping[str, Sender], *, max_attempts: int,
                 lease: timedelta = timedelta(minutes=5), backoff: Backoff | None = None,
                 pace: timedelta = timedelta(seconds=1), batch: int = 20) -> None:
        self.sessions = sessions
        self.clock = clock
        self.senders = dict(senders)
        self.max_attempts = max_attempts
        # Long enough for a whole batch of slow requests (2 calls x 15 s timeout each).
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.pace = pace
        self.batch = batch
        # No write into a place before: its last write + pace, or the end of a Retry-After.
        self._holds: dict[Place, datetime] = {}
        # Within a pass, also the slots handed to rows deferred so far, so that rows queued
        # for one space leave one per ``pace`` instead of all retrying at the same moment.
        self._slots: dict[Place, datetime] = {}
        self._dms: dict[tuple[str, int], str] = {}  # DMs opened in this process

    # ------------------------------------------------------------------ a pass

    def deliver_due(self, limit: int | None = None) -> PassStats:
        stats = PassStats()
        now = self.clock.now()
        with transaction(self.sessions) as session:
            claimed = outbox.claim(session, now, limit or self.batch, self.lease)
            batch = [self._outgoing(session, c) for c in claimed]
            places = {(m.platform, m.space) for m, _ in batch
                      if m.space is not None and m.platform in PACED_PLATFORMS}
            recent = outbox.last_writes(session, places, now - self.pace)
        stats.claimed = len(batch)
        self._holds = {p: t for p, t in self._holds.items() if t > now}
        self._slots = dict(self._holds)
        for place, written in recent.items():
            self._hold(place, written + self.pace)
        for message, token in batch:
            self._deliver(message, token, stats)
        if batch:
            log.info("outbox pass: %s", stats)
        return stats

    # ------------------------------------------------------------------ one row

    def _outgoing(self, session: Session, claimed: Claimed) -> tuple[Outgoing, datetime]:
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
        return message, row.claimed_until

    def _deliver(self, message: Outgoing, token: datetime, stats: PassStats) -> None:
        now = self.clock.now()
        if message.attempts >= self.max_attempts:  # only a recovered claim gets here
            error = f"gave up: the worker stopped during delivery ({message.attempts} attempts)"
            self._fail(message, token, DeliveryError(error, retry=False), stats, counted=True)
            return
        if now >= token - self.lease / 10:
            # The pass ran long: sending now could outlive the claim and race a takeover.
            self._record(stats, "deferred", lambda s: outbox.defer(
                s, message.id, token=token, when=now))
            return
        known_dm = self._dms.get((message.platform, message.person_id or 0))
        if message.space is None and known_dm is not None:
            message = replace(message, space=known_dm)
        place = (message.platform, message.space) \
            if message.space and message.platform in PACED_PLATFORMS else None
        if place is not None and self._slots.get(place, now) > now:
            when = self._slots[place]
            self._slots[place] = when + self.pace
            self._record(stats, "deferred", lambda s: outbox.defer(
                s, message.id, token=token, when=when, space=message.space))
            return
        sender = self.senders.get(message.platform)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for {message.platform!r} is configured",
                                    retry=True)
            delivered = sender.send(message)
        except DeliveryError as exc:
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
        if space is not None:
            self._hold((message.platform, space), now + self.pace)
        opened = delivered.space if message.space is None else None

        def record(session: Session) -> bool:
            if opened is not None:
                self._remember_dm(session, message, opened, now)
            return outbox.mark_sent(session, message.id, now, delivered.remote_id, space=space)

        self._record(stats, "sent", record)
        metrics.OUTBOX_SENT.labels(platform=message.platform).inc()

    def _fail(self, message: Outgoing, token: datetime, error: DeliveryError,
              stats: PassStats, *, counted: bool = False) -> None:
        now = self.clock.now()
        attempts = message.attempts if counted else message.attempts + 1
        space = message.space or error.space
        if space is not None and error.retry_after is not None:
            self._hold((message.platform, space), now + timedelta(seconds=error.retry_after))
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
            return outbox.schedule_retry(session, message.id, token=token, attempts=attempts,
                                         when=when, error=text, space=space)

        self._record(stats, "dead" if give_up else "retrying", record)
        metrics.OUTBOX_FAILURES.labels(platform=message.platform,
                                       result="dead" if give_up else "retrying").inc()

    # ------------------------------------------------------------------ helpers

    def _record(self, stats: PassStats, outcome: str, write: _Write) -> None:
        with transaction(self.sessions) as session:
            done = write(session)
        if done:
            setattr(stats, outcome, getattr(stats, outcome) + 1)
        else:
            stats.lost += 1

    def _hold(self, place: Place, until: datetime) -> None:
        """No write into ``place`` before ``until``."""
        for table in (self._holds, self._slots):
            current = table.get(place)
            if current is None or until > current:
                table[place] = until

    def _remember_dm(self, session: Session, message: Outgoing, space: str,
                     now: datetime) -> None:
        person_id = message.person_id
        if person_id is None:
            return
        self._dms[(message.platform, person_id)] = space
        try:
            with session.begin_nested():
                chat.remember_space(session, message.platform, space, "dm", now,
                                    person_id=person_id)
        except IntegrityError:
            pass  # another worker remembered the same DM at the same moment


def build_worker(settings: Settings, sessions: sessionmaker[Session], clock: Clock, *,
                 console_sink: Callable[[str, Reply], None] | None = None) -> OutboxWorker:
    """A worker with a sender for each platform the settings enable."""
    return OutboxWorker(sessions, clock,
                        build_senders(settings, clock, console_sink=console_sink),
                        max_attempts=settings.outbox_max_attempts)
