"""PBX webhook (POST /pbx/events): calls as they enter, ring, are answered and end.

The PBX (an AGI script, a dialplan ``CURL()``, a middleware) posts one JSON event per
request, signed with ``PBX_WEBHOOK_SECRET``:

    X-Switchboard-Signature: t=<epoch seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>

An unsigned, badly signed or stale (more than 5 minutes) request gets a bare 401 and
nothing is read or stored. A verified body is validated (``PbxEvent``); a malformed one
gets 422 naming the field, and nothing is stored: that includes a text no database can
keep (a NUL character, in any field or anywhere in ``data``), a control character (a line
break, a tab) in a named field, which would end up in a chat reply, and a time whose UTC offset
is beyond ±15:59 (PostgreSQL's limit; real zones stay within ±14:00). Each event type
has one handler in ``HANDLERS``; a capability adds its events there. Handlers are
idempotent per (event, call id): a PBX that posts the same event twice changes nothing
the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, request
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from bot.doors.http import (
    json_response,
    read_body,
    sign,
    single_line,
    unauthorized,
    unstorable_text,
    verify_signature,
)
from bot.runtime import Runtime
from commands.callers.screen_pop import Ringing, on_ringing
from commands.calls import events
from commands.core import Services
from commands.queue import alerts
from store.calls.records import YEARS, plausible

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64_000
# PostgreSQL keeps offsets up to ±15:59; Python's up to ±23:59.
MAX_OFFSET = timedelta(hours=15, minutes=59)


class PbxEvent(BaseModel):
    """One call event, as the PBX posts it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event: str = Field(min_length=1, max_length=40,
                       description="call.entered, call.ringing, call.answered, call.ended or "
                                   "call.ring_no_answer")
    call_id: str = Field(min_length=1, max_length=128, description="the PBX's call id")
    queue: str | None = Field(default=None, max_length=64)
    caller: str | None = Field(default=None, max_length=64,
                               description="the caller's number as the PBX has it")
    extension: str | None = Field(default=None, max_length=32,
                                  description="the agent extension involved, if any")
    time: AwareDatetime | None = Field(default=None,
                                       description="when it happened (default: received)")
    data: dict[str, Any] | None = Field(default=None,
                                        description="associated data (customer codes, …)")

    @field_validator("event", "call_id", "queue", "caller", "extension")
    @classmethod
    def _storable_text(cls, value: str | None) -> str | None:
        return None if value is None else single_line(value)

    @field_validator("time")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_OFFSET:
            raise ValueError("has a UTC offset beyond ±15:59; send it in UTC (Z) or with "
                             "its zone's real offset")
        if not plausible(value):
            raise ValueError(f"must lie in {YEARS}")
        return value


Handler = Callable[[Services, PbxEvent, datetime], dict[str, Any]]


def call_ringing(services: Services, event: PbxEvent, at: datetime) -> dict[str, Any]:
    """Caller identification: register the call, DM the ringing extension's person."""
    return on_ringing(services, Ringing(call_id=event.call_id, caller=event.caller,
                                        extension=event.extension, queue=event.queue,
                                        data=event.data, at=at))


def call_answered(services: Services, event: PbxEvent, at: datetime) -> dict[str, Any]:
    """Statistics; and the answering agent's ring-no-answer streak ends."""
    result = events.call_answered(services, event, at)
    if event.extension:
        alerts.answered(services, event.extension)
    return result


def call_ring_no_answer(services: Services, event: PbxEvent, at: datetime) -> dict[str, Any]:
    """The live alerts: a call rang out on the agent's extension."""
    if not event.extension:
        raise events.BadEvent("extension", "is required: the agent whose phone rang out")
    return {"told": alerts.ring_no_answer(services, event.extension, event.call_id)}


# event type → handler; each capability adds its own (statistics: entered, answered,
# ended; caller identification: ringing; live alerts: ring_no_answer).
HANDLERS: dict[str, Handler] = {
    "call.entered": events.call_entered,
    "call.answered": call_answered,
    "call.ended": events.call_ended,
    "call.ringing": call_ringing,
    "call.ring_no_answer": call_ring_no_answer,
}


def register(app: Flask, runtime: Runtime) -> None:
    door = PbxEventsDoor(runtime)
    app.add_url_rule("/pbx/events", "pbx_events", door.view, methods=["POST"])


class PbxEventsDoor:
    def __init__(self, runtime: Runtime, handlers: dict[str, Handler] | None = None) -> None:
        self.runtime = runtime
        self.handlers = HANDLERS if handlers is None else handlers

    def view(self) -> Response:
        services = self.runtime.services
        secret = self.runtime.settings.pbx_webhook_secret
        body = read_body(request, MAX_BODY_BYTES)
        if body is None:
            return json_response({"error": f"the body is larger than {MAX_BODY_BYTES} bytes"},
                                 413)
        if not verify_signature(request.headers.get("X-Switchboard-Signature"), body, secret,
                                services.clock.now()):
            return unauthorized("Signature")
        try:
            event = PbxEvent.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            return json_response({"field": field, "reason": first["msg"]}, 422)
        if (bad := unstorable_text(event.data, "data")) is not None:
            return json_response({"field": bad, "reason": "contains a NUL character or an "
                                                          "unpaired surrogate"}, 422)
        handler = self.handlers.get(event.event)
        if handler is None:
            known = ", ".join(sorted(self.handlers)) or "none"
            return json_response({"field": "event",
                                  "reason": f"unknown event {event.event!r} (known: {known})"},
                                 422)
        now = services.clock.now()
        try:
            result = handler(services, event, event.time or now)
        except events.BadEvent as exc:
            return json_response({"field": exc.field, "reason": exc.why}, 422)
        log.info("PBX event %s for call %s handled", event.event, event.call_id)
        return json_response({"ok": True, **result})


def signed_headers(secret: str, body: bytes | str, timestamp: int) -> dict[str, str]:
    """Headers a PBX sends with ``body`` (the tests use it; docs/statistics.md does it in sh)."""
    data = body.encode() if isinstance(body, str) else body
    return {"Content-Type": "application/json",
            "X-Switchboard-Signature": sign(secret, timestamp, data)}
