"""Callbacks: the bookings, every transition they go through, and the refused requests.

States::

    scheduled ──dispatch──► dispatched ──take──► taken ──done──► done
        ▲                       │                  │
        └──── no answer, attempts left ◄───────────┤──no answer, last attempt──► failed
    dispatched, nobody took it within the expiry ──► expired
    scheduled | dispatched | taken ──cancel──► cancelled

Every change appends a ``callback_event`` (time, kind, actor). ``pending_key`` is
``queue|phone`` while the callback is open and NULL after: a unique constraint, so two
concurrent requests for the same number and queue can never both book.

``created_by`` says who booked it (``person:KEY`` or ``ivr:CLIENT``): in chat the booker
may cancel it, and an IVR key sees and changes only the callbacks booked with it. The
IVR API names a callback by its ``public_id`` (``cb_`` and 22 random URL-safe
characters, 128 bits): the sequential ``id`` stays inside (chat, events), so one
client's ids say nothing of another's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

SCHEDULED, DISPATCHED, TAKEN = "scheduled", "dispatched", "taken"
DONE, FAILED, EXPIRED, CANCELLED = "done", "failed", "expired", "cancelled"
OPEN = (SCHEDULED, DISPATCHED, TAKEN)
CLOSED = (DONE, FAILED, EXPIRED, CANCELLED)
STATUSES = OPEN + CLOSED
IVR, CHAT = "ivr", "chat"
PUBLIC_ID = re.compile(r"^cb_[A-Za-z0-9_-]{22}$")


def new_public_id() -> str:
    """An id the IVR API can show: 128 random bits, nothing to guess from."""
    return "cb_" + secrets.token_urlsafe(16)


class Callback(Base):
    __tablename__ = "callback"
    __table_args__ = (
        Index("ix_callback_due", "status", "due_at"),
        Index("ix_callback_agent", "agent_id", "status"),
        Index("ix_callback_owner", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, index=True,
                                           default=new_public_id)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    queue: Mapped[str] = mapped_column(String(64))
    campaign: Mapped[str | None] = mapped_column(String(64))
    pool: Mapped[str] = mapped_column(String(80))  # where its capacity was taken
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)  # the interval booked
    requested_for: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the next attempt
    status: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    attempts: Mapped[int] = mapped_column(default=0)  # dispatches so far
    customer_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    # A personal callback belongs to this agent; the owner is whoever took it.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(8))  # ivr | chat
    created_by: Mapped[str] = mapped_column(String(120))  # ivr:CLIENT | person:KEY
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The PBX's reference of the call "Call now" placed, while its outcome is awaited.
    call_ref: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class CallbackEvent(Base):
    """One transition: requested, dispatched, taken, called, done, noanswer, retry,
    failed, expired, cancelled — with its time and who did it."""

    __tablename__ = "callback_event"
    __table_args__ = (Index("ix_callback_event_at", "at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callback.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))  # ivr:CLIENT | person:KEY | system
    detail: Mapped[str | None] = mapped_column(Text)


class CallbackRefusal(Base):
    """A request that could not be booked for lack of capacity (requested ≠ scheduled)."""

    __tablename__ = "callback_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    phone: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(64))
    campaign: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))
    requested_for: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(24))


def pending_key(queue: str, phone: str) -> str:
    return f"{queue}|{phone}"


def record(session: Session, callback: Callback, kind: str, actor: str, at: datetime,
           detail: str | None = None) -> None:
    session.add(CallbackEvent(callback_id=callback.id, at=at, kind=kind, actor=actor[:120],
                              detail=detail))


# ------------------------------------------------------------------------- queries


def get(session: Session, callback_id: int, *, lock: bool = False) -> Callback | None:
    if lock:
        return session.get(Callback, callback_id, with_for_update=True, populate_existing=True)
    return session.get(Callback, callback_id)


def by_public_id(session: Session, public_id: str, *, lock: bool = False
                 ) -> Callback | None:
    """The callback with this public id (None for anything that cannot be one)."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    query = select(Callback).where(Callback.public_id == public_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def by_call_ref(session: Session, ref: str) -> Callback | None:
    """The callback awaiting the outcome of the call ``ref``, locked (None when none is:
    another replica handled it, or the call was not placed for a callback)."""
    return session.scalar(select(Callback).where(Callback.call_ref == ref).with_for_update()
                          .execution_options(populate_existing=True))


def open_for(session: Session, queue: str, phone: str) -> Callback | None:
    return session.scalar(select(Callback).where(
        Callback.pending_key == pending_key(queue, phone)))


def by_phone(session: Session, phone: str, limit: int = 50,
             statuses: Iterable[str] | None = None,
             created_by: str | None = None) -> list[Callback]:
    """A number's callbacks, newest first; only those in ``statuses`` and those booked
    by ``created_by`` when given."""
    query = select(Callback).where(Callback.phone == phone)
    if created_by is not None:
        query = query.where(Callback.created_by == created_by)
    if statuses is not None:
        query = query.where(Callback.status.in_(list(statuses)))
    return list(session.scalars(query.order_by(Callback.id.desc()).limit(limit)))


def events(session: Session, callback_id: int) -> list[CallbackEvent]:
    return list(session.scalars(select(CallbackEvent)
                                .where(CallbackEvent.callback_id == callback_id)
                                .order_by(CallbackEvent.id)))


def claim_due(session: Session, now: datetime, limit: int) -> list[Callback]:
    """Scheduled callbacks whose time has come, locked for this dispatcher.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a second dispatcher running at the same
    moment skips the rows the first holds and, after it commits, no longer sees them as
    scheduled. SQLite serialises writers (BEGIN IMMEDIATE) instead.
    """
    return list(session.scalars(
        select(Callback)
        .where(Callback.status == SCHEDULED, Callback.due_at <= now)
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True)))


def unclaimed_since(session: Session, before: datetime, limit: int) -> list[Callback]:
    """Dispatched callbacks nobody took, handed out before ``before`` (to expire)."""
    return list(session.scalars(
        select(Callback)
        .where(Callback.status == DISPATCHED, Callback.due_at <= before)
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True)))


def listing(session: Session, *, statuses: tuple[str, ...] = OPEN,
            person_id: int | None = None, due_before: datetime | None = None,
            limit: int = 50) -> list[Callback]:
    """Callbacks in these states by due time; ``person_id`` keeps those personal to or
    taken by that person."""
    query = select(Callback).where(Callback.status.in_(statuses))
    if person_id is not None:
        query = query.where(or_(Callback.agent_id == person_id, Callback.owner_id == person_id))
    if due_before is not None:
        query = query.where(Callback.due_at < due_before)
    return list(session.scalars(query.order_by(Callback.due_at, Callback.id).limit(limit)))


def event_counts(session: Session, start: datetime, end: datetime
                 ) -> list[tuple[str, str, str | None, str, int]]:
    """(kind, queue, campaign, source, count) of the transitions in [start, end)."""
    query = (select(CallbackEvent.kind, Callback.queue, Callback.campaign, Callback.source,
                    func.count())
             .join(Callback, Callback.id == CallbackEvent.callback_id)
             .where(CallbackEvent.at >= start, CallbackEvent.at < end)
             .group_by(CallbackEvent.kind, Callback.queue, Callback.campaign, Callback.source))
    return [(k, q, c, s, int(n)) for k, q, c, s, n in session.execute(query)]


def refusal_counts(session: Session, start: datetime, end: datetime
                   ) -> list[tuple[str, str | None, str, int]]:
    """(queue, campaign, source, count) of the requests refused in [start, end)."""
    query = (select(CallbackRefusal.queue, CallbackRefusal.campaign, CallbackRefusal.source,
                    func.count())
             .where(CallbackRefusal.at >= start, CallbackRefusal.at < end)
             .group_by(CallbackRefusal.queue, CallbackRefusal.campaign,
                       CallbackRefusal.source))
    return [(q, c, s, int(n)) for q, c, s, n in session.execute(query)]


def still_due(session: Session, end: datetime) -> list[tuple[str, str | None, str, int]]:
    """(queue, campaign, source, count) of open callbacks due before ``end`` (today's
    end), overdue ones included."""
    query = (select(Callback.queue, Callback.campaign, Callback.source, func.count())
             .where(Callback.status.in_(OPEN), Callback.due_at < end)
             .group_by(Callback.queue, Callback.campaign, Callback.source))
    return [(q, c, s, int(n)) for q, c, s, n in session.execute(query)]
