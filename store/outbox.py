"""The outbox: every proactive message is a row first and a delivery after.

States: ``pending`` (waiting for its next attempt), ``sending`` (claimed by a worker
until ``claimed_until``), ``sent``, ``dead`` (gave up after the maximum attempts;
``switchboard outbox retry ID`` revives it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

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
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(200))  # message name / Slack ts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(session: Session, message: OutboxMessage) -> bool:
    """Add the message unless its key exists already; True when added."""
    try:
        with session.begin_nested():
            session.add(message)
        return True
    except IntegrityError:
        return False


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several workers claim concurrently
    without taking the same row; SQLite serialises writers (BEGIN IMMEDIATE) instead.
    An expired claim (a worker that died mid-send) is due again.
    """
    query = (
        select(OutboxMessage)
        .where(or_(
            (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until <= now),
        ))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    for row in rows:
        row.status = SENDING
        row.claimed_until = now + lease
    session.flush()
    return rows


def get(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def listing(session: Session, *, failed_only: bool = False, limit: int = 50) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if failed_only:
        query = query.where(or_(OutboxMessage.status == DEAD,
                                (OutboxMessage.status == PENDING) & (OutboxMessage.attempts > 0)))
    return list(session.scalars(query))
