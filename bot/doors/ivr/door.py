"""The IVR API's views: verify the key, count the request, then read the request.

Every route but the OpenAPI document needs ``Authorization: Bearer KEY``. A missing,
malformed, unknown or revoked key gets a bare 401 before anything else of the request
is read, and nothing is stored. A verified key's request is counted in its minute
(``limits.RateLimiter``: in the process, folded into a count every worker and replica
shares); past ``IVR_RATE_PER_MINUTE`` it gets 429 with ``Retry-After``.

The key check and the slots answers are cached in the process, and served only while the
database's cache version and (for slots) the minute are unchanged (``cache.py``): a
cached ``GET /slots`` costs one primary-key read.

A key sees and changes only the callbacks booked with it (``created_by`` is
``ivr:NAME``): another's — another key's, or one booked in chat — is a 404 like one
that does not exist, and a booking for a number already pending elsewhere is a 409 that
shows nothing of it. Callbacks are named by their opaque public id (``cb_…``), never by
the sequential one.

Keys and ``reason`` codes are English, for programs; a refusal also carries a ``message``
for people in the client's language when its Accept-Language names ca, es or pt (a 409's
``message``, English otherwise, is then in that language too).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bot import metrics
from bot.doors.http import (
    accepted_language,
    bearer_token,
    json_response,
    read_body,
    storable,
    unauthorized,
)
from bot.doors.ivr.cache import Missing, Stamped, time_bucket
from bot.doors.ivr.limits import RateLimiter
from bot.doors.ivr.models import (
    BookingRequest,
    CallbackList,
    CallbackOut,
    Conflict,
    DayOut,
    IntervalOut,
    Problem,
    RateLimited,
    SlotsOut,
    Variables,
)
from bot.runtime import Runtime
from commands.callbacks import booking as booking
from commands.callbacks.booking import Refused, SlotFull
from commands.callbacks.capacity import Interval, PoolCalendar, bookable, next_days_with_room
from store import cache_version, i18n
from store.callbacks import bookings, ivr_keys
from store.callbacks.bookings import Callback
from store.db import reading, transaction
from store.i18n import N_, _, ngettext, speaking
from store.team.people import Person

MAX_BODY_BYTES = 16_000
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
View = Callable[..., Response]


@dataclass(frozen=True)
class Caller:
    """The verified client of a request, and the cache version read when verifying it."""

    id: int
    name: str
    version: int

    @property
    def actor(self) -> str:
        """What its bookings' ``created_by`` says: the callbacks it may see."""
        return f"ivr:{self.name}"


@dataclass(frozen=True)
class Answer:
    """A response as it can be cached: status and body."""

    status: int
    body: bytes

    def response(self) -> Response:
        return Response(self.body, status=self.status, mimetype="application/json")


def answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
           ) -> Response:
    return json_response(model.model_dump(mode="json"), status, headers)


def client_language() -> str | None:
    """The language the client reads, when its Accept-Language prefers one Switchboard
    translates to (ca, es, pt) over English; None otherwise."""
    found = accepted_language(request)
    return None if found in (None, i18n.ENGLISH) else found


def told(body: dict[str, Any], message: Callable[[], str]) -> dict[str, Any]:
    """``body`` with ``message`` (written by the callable, in the client's language) when
    the client reads ca, es or pt; as it is otherwise."""
    language = client_language()
    if language is None:
        return body
    with speaking(language):
        return {**body, "message": message()}


def problem(field: str, reason: str, status: int = 422,
            message: Callable[[], str] | None = None) -> Response:
    """A refusal naming the field and why (English, for programs), with a ``message`` for
    people in the client's language when it reads one of ours."""
    body = Problem(field=field, reason=reason).model_dump(mode="json", exclude_none=True)

    def generic() -> str:
        return _("This request could not be accepted: {field} is not valid.").format(
            field=field)

    return json_response(told(body, message or generic), status)


def not_found() -> Response:
    return problem("id", "no such callback", 404,
                   lambda: _("No such callback was booked with this key."))


def too_large() -> Response:
    return problem("body", f"larger than {MAX_BODY_BYTES} bytes", 413,
                   lambda: _("The request body is larger than {limit} bytes.").format(
                       limit=MAX_BODY_BYTES))


def first_error(exc: ValidationError) -> Response:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "body"
    return problem(field, error["msg"])


class IvrDoor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.services = runtime.services
        self.settings = runtime.settings
        self.tz = runtime.settings.timezone
        self.limiter = RateLimiter(self.services.sessions, self.settings.ivr_rate_per_minute)
        # SHA-256 of a presented key → (key id, name), or None for one that is refused.
        self.keys: Stamped[bytes, tuple[int, str] | None] = Stamped()
        self.slots: Stamped[bytes, Answer] = Stamped()  # by query string

    # ------------------------------------------------------------------ the guard

    def guarded(self, view: Callable[..., Response]) -> View:
        def run(**kwargs: Any) -> Response:
            token = bearer_token(request)
            if token is None:
                return unauthorized()
            caller = self.identify(token)
            if caller is None:
                return unauthorized()
            verdict = self.limiter.admit(caller.id, self.services.clock.now())
            if not verdict.allowed:
                if view.__name__ == "post_callback":
                    metrics.IVR_REFUSALS.labels(reason="rate_limited").inc()
                limited = RateLimited(reason="rate_limited", retry_after=verdict.retry_after)
                return json_response(told(
                    limited.model_dump(mode="json", exclude_none=True),
                    lambda: ngettext("Too many requests: try again in {seconds} second.",
                                     "Too many requests: try again in {seconds} seconds.",
                                     verdict.retry_after).format(seconds=verdict.retry_after)),
                    429, {"Retry-After": str(verdict.retry_after)})
            # What the API says for programs (reasons, 409 messages) stays English whatever
            # the team's language; ``message`` alone follows the client's.
            with speaking(i18n.ENGLISH):
                return view(caller, **kwargs)

        run.__name__ = view.__name__
        return run

    def identify(self, token: str) -> Caller | None:
        """The active key ``token`` names, from the cache while the version holds."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        version = cache_version.read(self.services.sessions)
        found = self.keys.get(digest, version)
        if isinstance(found, Missing):
            with reading(self.services.sessions) as session:
                row = ivr_keys.verify(session, token)
            found = None if row is None else (row.id, row.name)
            if found is not None:  # refusals are not kept: random tokens would churn it
                self.keys.put(digest, version, found)
        if found is None:
            return None
        return Caller(found[0], found[1], version)

    # ------------------------------------------------------------------ slots

    def get_slots(self, caller: Caller) -> Response:
        # The answer follows from the query string, the data and the time: the version
        # (read before anything the answer is made of) and the minute stamp it.
        now = self.services.clock.now()
        query = request.query_string
        stamp = (caller.version, time_bucket(now))
        cached = self.slots.get(query, stamp)
        if isinstance(cached, Answer):
            return cached.response()
        made = self.slots_for(now)
        fresh = Answer(made.status_code, made.get_data())
        self.slots.put(query, stamp, fresh)
        return fresh.response()

    def slots_for(self, now: datetime) -> Response:
        queue = request.args.get("queue", "").strip()
        campaign = request.args.get("campaign", "").strip() or None
        if not queue:
            return problem("queue", "required: the queue to look at",
                           message=lambda: _("Say which queue to look at."))
        for name, value in (("queue", queue), ("campaign", campaign or "")):
            if len(value) > 64:
                return problem(name, "longer than 64 characters",
                               message=partial(_format, N_("{field} is longer than 64 "
                                                  "characters."), field=name))
            try:
                storable(value)
            except ValueError as exc:
                return problem(name, str(exc))
        raw_dates = [d.strip() for value in request.args.getlist("date")
                     for d in value.split(",") if d.strip()]
        if len(raw_dates) > 3:
            return problem("date", "at most 3 dates",
                           message=lambda: _("Ask for at most 3 dates."))
        dates: list[date] = []
        for raw in raw_dates:
            try:
                dates.append(date.fromisoformat(raw))
            except ValueError:
                return problem("date", f"{raw[:40]!r} is not a date (YYYY-MM-DD)",
                               message=partial(_format, N_("{value} is not a date "
                                                  "(YYYY-MM-DD)."), value=repr(raw[:40])))
        return self.slots_answer(queue, campaign, dates, now)

    def slots_answer(self, queue: str, campaign: str | None, dates: list[date],
                     now: datetime) -> Response:
        rules = booking.rules_of(self.settings)
        with reading(self.services.sessions) as session:
            try:
                pool = booking.pool_for(session, queue, campaign)
            except Refused as exc:
                return problem(exc.field, exc.reason)
            if not dates:
                days = [DayOut(date=day, free=sum(i.free for i in found), intervals=None)
                        for day, found in next_days_with_room(session, pool, now, rules)]
            else:
                today = now.astimezone(self.tz).date()
                inside = [d for d in dates if today <= d <= rules.last_day(now)]
                calendar = (PoolCalendar(session, pool, min(inside), max(inside), rules)
                            if inside else None)
                days = []
                for day in dates:
                    found = bookable(calendar, day, now, rules) \
                        if calendar is not None and day in inside else []
                    days.append(DayOut(date=day, free=sum(i.free for i in found),
                                       intervals=[self.interval(i) for i in found]))
        return answer(SlotsOut(queue=queue, campaign=campaign, days=days))

    def interval(self, i: Interval) -> IntervalOut:
        # Built from values the store has already typed: no validation pass needed.
        return IntervalOut.model_construct(start=i.start.astimezone(self.tz),
                                           end=i.end.astimezone(self.tz),
                                           capacity=i.capacity, booked=i.booked, free=i.free)

    # ------------------------------------------------------------------ booking

    def post_callback(self, key: Caller) -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return too_large()
        body = read_body(request, MAX_BODY_BYTES)
        if body is None:
            return too_large()
        idempotency = request.headers.get("Idempotency-Key")
        if idempotency is not None and not IDEMPOTENCY_KEY.match(idempotency):
            return problem("Idempotency-Key", "1 to 255 printable ASCII characters, no spaces",
                           message=lambda: _("The Idempotency-Key header takes 1 to 255 "
                                             "printable ASCII characters, no spaces."))
        try:
            sent = BookingRequest.model_validate_json(body)
        except ValidationError as exc:
            metrics.IVR_REFUSALS.labels(reason="invalid").inc()
            return first_error(exc)
        when = sent.when if sent.when.tzinfo is not None else sent.when.replace(tzinfo=self.tz)
        wanted = booking.Request(
            phone=sent.phone, when=when, queue=sent.queue, campaign=sent.campaign,
            customer_id=sent.customer_id, customer_name=sent.customer_name, agent=sent.agent,
            data=dict(sent.data or {}), source=bookings.IVR, actor=key.actor)
        digest = ivr_keys.request_digest("POST", request.path, body)
        now = self.services.clock.now()
        try:
            with transaction(self.services.sessions) as session:
                if idempotency is not None:
                    prior = ivr_keys.claim_idempotency(session, key.id, idempotency, digest, now)
                    if prior is not None:
                        if prior.request_sha256 != digest:
                            return problem(
                                "Idempotency-Key", "already used with another request body",
                                message=lambda: _("This Idempotency-Key was already used "
                                                  "with another request body."))
                        return json_response(prior.body, prior.status)
                booked = booking.book_in(session, self.settings, wanted, now)
                if booked.callback.created_by != key.actor:  # pending, booked elsewhere
                    metrics.IVR_REFUSALS.labels(reason="already_pending").inc()
                    status = 409
                    out = Conflict(
                        reason="already_pending",
                        message="a callback for this number and queue is pending already, "
                                "booked elsewhere").model_dump(mode="json")
                else:
                    status = 201 if booked.created else 200
                    if booked.created:
                        metrics.IVR_BOOKINGS.inc()
                    out = self.callback_out(session, booked.callback).model_dump(mode="json")
                if idempotency is not None:
                    ivr_keys.remember(session, key.id, idempotency, digest, status, out, now)
            # Stored in English (a replay answers it as stored); this answer in the client's.
            return json_response(told(out, pending_elsewhere) if status == 409 else out,
                                 status)
        except Refused as exc:
            metrics.IVR_REFUSALS.labels(reason="invalid").inc()
            return problem(exc.field, exc.reason)
        except SlotFull as full:
            metrics.IVR_REFUSALS.labels(reason="slot_full").inc()
            with transaction(self.services.sessions) as session:
                booking.note_refusal(session, self.settings, wanted, now)
                found = booking.alternatives(session, self.settings, full, now)
                conflict = Conflict(
                    reason="slot_full",
                    message=f"{full.kind} {full.name} has no place left at "
                            f"{full.slot:%Y-%m-%d %H:%M}",
                    alternatives=[self.interval(i) for i in found]).model_dump(mode="json")
                if idempotency is not None:
                    ivr_keys.remember(session, key.id, idempotency, digest, 409, conflict, now)
            return json_response(told(conflict, partial(
                slot_full, full.kind, full.name, f"{full.slot:%Y-%m-%d %H:%M}")), 409)

    # ------------------------------------------------------------------ callbacks

    def find_callbacks(self, key: Caller) -> Response:
        raw = request.args.get("phone", "")
        try:
            phone = booking.normalise_phone(raw, self.settings.default_region)
        except Refused as exc:
            return problem(exc.field, exc.reason)
        with reading(self.services.sessions) as session:
            found = [self.callback_out(session, c)
                     for c in bookings.by_phone(session, phone, created_by=key.actor)]
        return answer(CallbackList(callbacks=found))

    def get_callback(self, key: Caller, cid: str) -> Response:
        with reading(self.services.sessions) as session:
            callback = _own(session, key, cid)
            if callback is None:
                return not_found()
            return answer(self.callback_out(session, callback))

    def cancel_callback(self, key: Caller, cid: str) -> Response:
        now = self.services.clock.now()
        with transaction(self.services.sessions) as session:
            callback = _own(session, key, cid, lock=True)
            if callback is None:
                return not_found()
            if not booking.cancel_in(session, callback, key.actor, now) \
                    and callback.status != bookings.CANCELLED:
                conflict = Conflict(reason="not_cancellable",
                                    message=f"callback {callback.public_id} is "
                                            f"{callback.status} already")
                public_id, status = callback.public_id, callback.status
                return json_response(told(conflict.model_dump(mode="json"), lambda: _(
                    "Callback {id} cannot be cancelled: it is {status} already.").format(
                        id=public_id, status=status)), 409)
            return answer(self.callback_out(session, callback))

    def get_variables(self, key: Caller, cid: str) -> Response:
        with reading(self.services.sessions) as session:
            callback = _own(session, key, cid)
            if callback is None:
                return not_found()
            agent = session.get(Person, callback.agent_id) if callback.agent_id else None
            return answer(Variables(
                id=callback.public_id, phone=callback.phone, queue=callback.queue,
                campaign=callback.campaign, customer_id=callback.customer_id,
                customer_name=callback.customer_name, agent=agent.key if agent else None,
                agent_extension=agent.extension if agent else None,
                attempts=callback.attempts, scheduled_for=self.local(callback.requested_for),
                data=dict(callback.data or {})))

    # ------------------------------------------------------------------ helpers

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def callback_out(self, session: Session, c: Callback) -> CallbackOut:
        agent = session.get(Person, c.agent_id) if c.agent_id else None
        return CallbackOut(
            id=c.public_id, status=c.status,  # type: ignore[arg-type]
            scheduled_for=self.local(c.requested_for), slot_start=self.local(c.slot_start),
            due_at=self.local(c.due_at), phone=c.phone, queue=c.queue, campaign=c.campaign,
            customer_id=c.customer_id, customer_name=c.customer_name,
            agent=agent.key if agent else None, attempts=c.attempts,
            source=c.source,  # type: ignore[arg-type]
            created_at=self.local(c.created_at))


def _format(message: str, **values: Any) -> str:
    """``message`` translated, then filled in (for a message written later, in the
    client's language)."""
    return _(message).format(**values)


def pending_elsewhere() -> str:
    return _("A callback for this number and queue is pending already, booked elsewhere.")


def slot_full(kind: str, name: str, slot: str) -> str:
    if kind == "campaign":
        return _("Campaign {name} has no place left at {slot}.").format(name=name, slot=slot)
    return _("Queue {name} has no place left at {slot}.").format(name=name, slot=slot)


def _own(session: Session, key: Caller, public_id: str, *, lock: bool = False
         ) -> Callback | None:
    """The callback with this public id if ``key`` booked it; None otherwise (another's
    is answered as one that does not exist)."""
    callback = bookings.by_public_id(session, public_id, lock=lock)
    return callback if callback is not None and callback.created_by == key.actor else None
