"""Booking a callback, for the IVR API and for chat alike.

``book_in(session, …)`` runs inside the caller's transaction and either returns the
callback (new, or the one already pending for that number and queue) or raises:
``Refused`` (the request is not acceptable: which field, why — a 422) or ``SlotFull``
(no place left in that interval — a 409). After a ``SlotFull`` the caller's
transaction must roll back (nothing of the attempt stays) and ``note_refusal`` records
the request in a new one, so the reports count what was asked and not given.

The place is taken with one conditional UPDATE on the interval's counter
(``store.callbacks.capacity.take_place``); a second pending booking for the same number
and queue is stopped by a unique key (``pending_key``), not by a read beforehand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commands.callbacks.capacity import (
    Interval,
    PoolCalendar,
    Rules,
    free_after,
    interval_start,
    nearest_free,
)
from commands.core import Config, Services
from store.callbacks import bookings
from store.callbacks import capacity as cap
from store.callbacks.bookings import Callback, CallbackRefusal
from store.callbacks.capacity import CAMPAIGN, QUEUE, CapacityPool
from store.db import transaction
from store.i18n import _
from store.phones import BadPhone, e164
from store.team import people


class Refused(Exception):
    """The request cannot be booked as asked: ``field`` and ``reason`` say why, in English
    (the IVR API answers with them as they are); ``said`` says it to a person, in the
    language being written ("the time is in the past")."""

    def __init__(self, field: str, reason: str, said: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.said = said if said is not None else f"the {field} {reason}"


class SlotFull(Exception):
    """The interval has no place left (the transaction must be rolled back)."""

    def __init__(self, pool: CapacityPool, slot: datetime) -> None:
        super().__init__(f"{pool.key} is full at {slot.isoformat()}")
        # Plain values: the pool's row is expired once the transaction rolls back.
        self.kind, self.name = pool.kind, pool.name
        self.slot = slot


@dataclass(frozen=True)
class Request:
    phone: str
    when: datetime
    queue: str
    source: str  # ivr | chat
    actor: str  # ivr:CLIENT | person:KEY
    campaign: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    agent: str | None = None  # person key of a personal callback
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Booked:
    callback: Callback
    created: bool  # False: the callback already pending for this number and queue


def rules_of(settings: Config) -> Rules:
    return Rules(settings.timezone, settings.callback_horizon_days,
                 settings.callback_min_lead_minutes, settings.holidays_country,
                 settings.holidays_subdiv)


def normalise_phone(raw: str, region: str) -> str:
    try:
        return e164(raw, region)
    except BadPhone as exc:
        raise Refused("phone", str(exc), _("the number {reason}").format(reason=exc)
                      ) from None


def pool_for(session: Session, queue: str, campaign: str | None) -> CapacityPool:
    """The pool the booking draws on: the campaign's when one is named, else the queue's."""
    queue_pool = cap.pool(session, QUEUE, queue)
    if queue_pool is None:
        known = ", ".join(p.name for p in cap.pools(session, QUEUE)) or "none configured"
        raise Refused("queue", f"unknown queue {queue!r} (known: {known})")
    if campaign is None:
        return queue_pool
    campaign_pool = cap.pool(session, CAMPAIGN, campaign)
    if campaign_pool is None:
        known = ", ".join(p.name for p in cap.pools(session, CAMPAIGN)) or "none configured"
        raise Refused("campaign", f"unknown campaign {campaign!r} (known: {known})")
    return campaign_pool


def check_time(when: datetime, now: datetime, rules: Rules) -> None:
    if when < now:
        raise Refused("when", "is in the past", _("the time is in the past"))
    if when < rules.earliest(now):
        earliest = f"{rules.earliest(now).astimezone(rules.tz):%Y-%m-%d %H:%M}"
        raise Refused("when", f"is inside the lead time: the earliest is {earliest} "
                              f"({rules.lead_minutes} minutes from now)",
                      _("the time is inside the lead time: the earliest is {earliest} "
                        "({minutes} minutes from now)").format(
                            earliest=earliest, minutes=rules.lead_minutes))
    if when.astimezone(rules.tz).date() > rules.last_day(now):
        last = f"{rules.last_day(now):%Y-%m-%d}"
        raise Refused("when", f"is beyond the horizon: callbacks can be booked up to "
                              f"{last} ({rules.horizon_days} days ahead)",
                      _("the time is beyond the horizon: callbacks can be booked up to "
                        "{last} ({days} days ahead)").format(last=last,
                                                             days=rules.horizon_days))


def book_in(session: Session, settings: Config, request: Request, now: datetime) -> Booked:
    """Validate and book in the caller's transaction (see the module docstring)."""
    rules = rules_of(settings)
    phone = normalise_phone(request.phone, settings.default_region)
    pool = pool_for(session, request.queue, request.campaign)
    agent_id = None
    if request.agent is not None:
        agent = people.by_key(session, request.agent.lstrip("@").lower())
        if agent is None or not agent.active:
            raise Refused("agent", f"no active person with the key {request.agent!r}")
        agent_id = agent.id
    when = request.when.astimezone(rules.tz)
    check_time(when, now, rules)
    slot = interval_start(when, rules.tz)
    calendar = PoolCalendar(session, pool, slot.date(), slot.date(), rules, bookings=False)
    if calendar.closed(slot.date()):
        day = f"{slot:%Y-%m-%d}"
        said = (_("the time queue {name} is closed on {day}") if pool.kind == QUEUE else
                _("the time campaign {name} is closed on {day}"))
        raise Refused("when", f"{pool.kind} {pool.name} is closed on {day}",
                      said.format(name=pool.name, day=day))
    capacity = (calendar.template(slot.date()) or {}).get(f"{slot:%H:%M}", 0)
    if capacity <= 0:
        at = f"{slot:%Y-%m-%d %H:%M}"
        said = (_("the time queue {name} takes no callbacks at {at}") if pool.kind == QUEUE
                else _("the time campaign {name} takes no callbacks at {at}"))
        raise Refused("when", f"{pool.kind} {pool.name} takes no callbacks at {at}",
                      said.format(name=pool.name, at=at))
    existing = bookings.open_for(session, request.queue, phone)
    if existing is not None:
        return Booked(existing, created=False)
    callback = Callback(
        phone=phone, queue=request.queue, campaign=request.campaign, pool=pool.key,
        slot_start=slot, requested_for=when, due_at=when, status=bookings.SCHEDULED,
        attempts=0, customer_id=request.customer_id, customer_name=request.customer_name,
        agent_id=agent_id, note=request.note, data=dict(request.data), source=request.source,
        created_by=request.actor[:120], created_at=now,
        pending_key=bookings.pending_key(request.queue, phone))
    try:
        with session.begin_nested():
            session.add(callback)
    except IntegrityError:
        # A concurrent request for the same number and queue committed first.
        existing = bookings.open_for(session, request.queue, phone)
        if existing is None:
            raise
        return Booked(existing, created=False)
    if cap.take_place(session, pool.key, slot, capacity) is None:
        raise SlotFull(pool, slot)
    bookings.record(session, callback, "requested", request.actor, now,
                     f"for {when:%Y-%m-%d %H:%M} ({request.source})")
    return Booked(callback, created=True)


def note_refusal(session: Session, settings: Config, request: Request, now: datetime) -> None:
    """Count a request refused for capacity (its own transaction, after the rollback)."""
    session.add(CallbackRefusal(
        at=now, phone=normalise_phone(request.phone, settings.default_region),
        queue=request.queue, campaign=request.campaign, source=request.source,
        requested_for=request.when, reason="slot_full"))


def alternatives(session: Session, settings: Config, full: SlotFull, now: datetime, *,
                 nearest: bool = False) -> list[Interval]:
    """Intervals with room: the next ones after the full one, or the nearest to it."""
    pool = cap.pool(session, full.kind, full.name)
    if pool is None:
        return []
    pick = nearest_free if nearest else free_after
    return pick(session, pool, full.slot, now, rules_of(settings))


def book(services: Services, request: Request, *, nearest: bool = False
         ) -> Booked | list[Interval]:
    """Book in transactions of its own: the callback, or the alternatives when full."""
    now = services.clock.now()
    try:
        with transaction(services.sessions) as session:
            return book_in(session, services.settings, request, now)
    except SlotFull as full:
        with transaction(services.sessions) as session:
            note_refusal(session, services.settings, request, now)
            return alternatives(session, services.settings, full, now, nearest=nearest)


def cancel_in(session: Session, callback: Callback, actor: str, now: datetime,
              detail: str | None = None) -> bool:
    """Cancel an open callback and give its place back; False if it was closed already."""
    if not callback.is_open:
        return False
    close(session, callback, bookings.CANCELLED, actor, now, detail)
    cap.give_back_place(session, callback.pool, callback.slot_start)
    return True


def close(session: Session, callback: Callback, status: str, actor: str, now: datetime,
          detail: str | None = None) -> None:
    callback.status = status
    callback.closed_at = now
    callback.pending_key = None
    bookings.record(session, callback, status, actor, now, detail)
