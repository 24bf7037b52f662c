"""The outbox: every proactive message is a row first and a delivery after.

States: ``pending`` (waiting for its next attempt), ``sending`` (claimed by a worker
until ``claimed_until``), ``sent``, ``dead`` (gave up after the maximum attempts or a
permanent error; ``switchboard outbox retry ID`` revives it).

A claim's ``claimed_until`` doubles as its fencing token: a worker records a failure or a
deferral only while the row is still ``sending`` under the lease it took, so a worker
that overran its lease cannot undo what the worker that took over has done.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    delete,
    event,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime, insert_new

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)
PLATFORMS = ("google", "slack", "console")
ERROR_LIMIT = 2000
# Priorities, lowest first: what one person waits for right now (the screen pop, a direct
# answer), then alerts (coordinators, reminders), then broadcasts (shift notices, stats).
URGENT, ALERT, BROADCAST = 0, 1, 2
PRIORITIES = (URGENT, ALERT, BROADCAST)
# The PostgreSQL channel a committed outbox row is announced on (LISTEN/NOTIFY).
NOTIFY_CHANNEL = "switchboard_outbox"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # Sent rows by time: the pacing lookup (what went into a space in the last second)
        # and the daily prune of old sent rows both read a narrow range of it.
        Index("ix_outbox_message_sent", "sent_at",
              sqlite_where=text("status = 'sent'"), postgresql_where=text("status = 'sent'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per message: (job, slot) for broadcasts, so a second sender cannot duplicate it.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    target: Mapped[str] = mapped_column(String(120))  # team | coordinators | person:KEY
    platform: Mapped[str] = mapped_column(String(16))  # google | slack | console
    # Where it goes: a Google space, a Slack channel. None until a DM has been opened.
    space: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # rendered for the platform
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    priority: Mapped[int] = mapped_column(SmallInteger, default=ALERT,
                                          server_default=text(str(ALERT)))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(200))  # message name / Slack ts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotRetryable(ValueError):
    """``revive`` refused: the message is sent already, or a worker holds it right now."""


@dataclass(frozen=True)
class Claimed:
    message: OutboxMessage
    # True when an earlier claim expired without a recorded result (a worker died
    # mid-send): the message may have reached the platform already.
    recovered: bool


def enqueue(session: Session, message: OutboxMessage) -> bool:
    """Add the message unless its key exists already; True when added (one statement)."""
    values = {column.key: getattr(message, column.key)
              for column in OutboxMessage.__table__.columns
              if getattr(message, column.key) is not None}
    new_id = insert_new(session, OutboxMessage, values, ("key",))
    if new_id is None:
        return False
    message.id = new_id
    announce(session)
    return True


def announce(session: Session) -> None:
    """Tell workers a row is waiting, once per transaction and only if it commits: a
    NOTIFY on PostgreSQL (delivered at commit, to every process that listens), and the
    callbacks registered with ``on_commit_of_rows`` in this process, after the commit."""
    if session.info.get(_ANNOUNCED):
        return
    session.info[_ANNOUNCED] = True
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    engine = bind if isinstance(bind, Engine) else bind.engine

    def committed(_session: Session) -> None:
        session.info.pop(_ANNOUNCED, None)
        for callback in list(_WAKERS.get(engine, ())):
            callback()

    def rolled_back(_session: Session, _transaction: Any = None) -> None:
        session.info.pop(_ANNOUNCED, None)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)


_ANNOUNCED = "outbox_announced"
_WAKERS: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = \
    weakref.WeakKeyDictionary()


def on_commit_of_rows(engine: Engine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit (in this process, on ``engine``) that wrote an
    outbox row. Returns the function that unsubscribes it. The callback must be quick."""
    callbacks = _WAKERS.setdefault(engine, [])
    callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in callbacks:
            callbacks.remove(callback)

    return unsubscribe


def claim(session: Session, now: datetime, limit: int, lease: timedelta, *,
          max_priority: int | None = None) -> list[Claimed]:
    """Take up to ``limit`` due messages for this worker until ``now + lease``, the most
    urgent first (priority, then due time).

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several workers claim concurrently
    without taking the same row; SQLite serialises writers (BEGIN IMMEDIATE) instead.
    An expired claim (a worker that died mid-send) is due again and counts as an attempt,
    so a message that kills its worker every time still ends up dead, not in a loop.
    """
    query = (
        select(OutboxMessage)
        .where(or_(
            (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until <= now),
        ))
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if max_priority is not None:
        query = query.where(OutboxMessage.priority <= max_priority)
    claimed: list[Claimed] = []
    for row in session.scalars(query):
        recovered = row.status == SENDING
        if recovered:
            row.attempts += 1
            row.last_error = "the worker stopped during delivery (its claim expired)"
        row.status = SENDING
        row.claimed_until = now + lease
        claimed.append(Claimed(row, recovered))
    session.flush()
    return claimed


def _held(session: Session, message_id: int, token: datetime) -> OutboxMessage | None:
    """The row, locked, if it is still ``sending`` under the claim that ends at ``token``."""
    row = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if row is None or row.status != SENDING or row.claimed_until != token:
        return None
    return row


def mark_sent(session: Session, message_id: int, now: datetime, remote_id: str, *,
              space: str | None = None) -> bool:
    """Record a delivery the platform acknowledged.

    Recorded even if the claim expired meanwhile: the message did reach the platform,
    and ``sent`` is what stops anyone from posting it again. False if it was sent already.
    """
    row = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if row is None or row.status == SENT:
        return False
    row.status = SENT
    row.sent_at = now
    row.remote_id = remote_id[:200]
    row.claimed_until = None
    if space is not None and row.space is None:
        row.space = space
    session.flush()
    return True


def _release(session: Session, message_id: int, token: datetime, status: str, *,
             space: str | None, when: datetime | None = None, attempts: int | None = None,
             error: str | None = None) -> bool:
    """End this worker's claim on a row: back to ``pending`` or ``dead``.

    False (and nothing written) when the claim was lost to another worker meanwhile."""
    row = _held(session, message_id, token)
    if row is None:
        return False
    row.status = status
    row.claimed_until = None
    if when is not None:
        row.next_attempt_at = when
    if attempts is not None:
        row.attempts = attempts
    if error is not None:
        row.last_error = error[:ERROR_LIMIT]
    if space is not None and row.space is None:
        row.space = space
    session.flush()
    return True


def schedule_retry(session: Session, message_id: int, *, token: datetime, attempts: int,
                   when: datetime, error: str, space: str | None = None) -> bool:
    """A failed attempt: back to ``pending`` until ``when``. False if the claim was lost."""
    return _release(session, message_id, token, PENDING, space=space, when=when,
                    attempts=attempts, error=error)


def defer(session: Session, message_id: int, *, token: datetime, when: datetime,
          space: str | None = None) -> bool:
    """Not attempted (pacing, or the claim ran short): ``pending`` until ``when``, no attempt
    counted. False if the claim was lost."""
    return _release(session, message_id, token, PENDING, space=space, when=when)


def mark_dead(session: Session, message_id: int, *, token: datetime, attempts: int,
              error: str, space: str | None = None) -> bool:
    """Give up: ``dead`` with the reason, until someone revives it. False if the claim was
    lost."""
    return _release(session, message_id, token, DEAD, space=space, attempts=attempts,
                    error=error)


def revive(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """A dead (or waiting) message goes back to ``pending`` now with its attempts reset.

    None for an unknown id; NotRetryable for a message that was sent (retrying would post
    it twice) or that a worker holds right now.
    """
    row = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if row is None:
        return None
    if row.status == SENT:
        raise NotRetryable(f"message {message_id} was sent already; retrying would post it twice")
    if row.status == SENDING and row.claimed_until is not None and row.claimed_until > now:
        raise NotRetryable(f"message {message_id} is being delivered right now")
    row.status = PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_until = None
    row.last_error = None
    session.flush()
    return row


def get(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.key == key[:200]))


def last_writes(session: Session, places: set[tuple[str, str]],
                since: datetime) -> dict[tuple[str, str], datetime]:
    """When each (platform, space) was last written to, for writes at or after ``since``."""
    if not places:
        return {}
    query = (
        select(OutboxMessage.platform, OutboxMessage.space, func.max(OutboxMessage.sent_at))
        .where(OutboxMessage.status == SENT, OutboxMessage.sent_at >= since,
               tuple_(OutboxMessage.platform, OutboxMessage.space).in_(sorted(places)))
        .group_by(OutboxMessage.platform, OutboxMessage.space)
    )
    return {(platform, space): at for platform, space, at in session.execute(query)
            if space is not None and at is not None}


def status_counts(session: Session) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in session.execute(query)})
    return counts


def backlog(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Per platform: how many messages are not delivered yet (pending or being sent) and
    when the oldest of them was written. Reads only those rows (the due index)."""
    query = (select(OutboxMessage.platform, func.count(), func.min(OutboxMessage.created_at))
             .where(OutboxMessage.status.in_((PENDING, SENDING)))
             .group_by(OutboxMessage.platform))
    return {platform: (int(n), first) for platform, n, first in session.execute(query)}


def prune_sent(session: Session, before: datetime) -> int:
    """Forget messages sent before ``before`` (OUTBOX_RETENTION_DAYS); failed ones stay."""
    result = session.execute(delete(OutboxMessage).where(OutboxMessage.status == SENT,
                                                         OutboxMessage.sent_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def listing(session: Session, *, failed_only: bool = False, limit: int = 50) -> list[OutboxMessage]:
    """Newest first. ``failed_only``: dead, or waiting for a retry after a failure."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if failed_only:
        query = query.where(or_(OutboxMessage.status == DEAD,
                                (OutboxMessage.status == PENDING) & (OutboxMessage.attempts > 0)))
    return list(session.scalars(query))
