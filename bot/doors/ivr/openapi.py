"""The OpenAPI 3.1 document of the IVR API, generated from the route table and the models.

``ROUTES`` is the one list of what the API answers; the door registers its views from it
and this module turns it into ``/ivr/v1/openapi.json``, with the bodies' JSON Schemas
taken from the pydantic models (``models.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.doors.ivr.models import (
    BookingRequest,
    CallbackList,
    CallbackOut,
    Conflict,
    Problem,
    RateLimited,
    SlotsOut,
    Variables,
)
from store.callbacks.bookings import PUBLIC_ID

PREFIX = "/ivr/v1"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # query | path | header
    schema: dict[str, Any]
    required: bool = False
    description: str = ""
    explode: bool | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI form: /callbacks/{id}
    operation: str
    summary: str
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    headers: dict[int, dict[str, Any]] = field(default_factory=dict)


ID = Param("id", "path", {"type": "string", "pattern": PUBLIC_ID.pattern}, True,
           "the callback's id, as its booking answered (cb_…)")
MISSING = "no such callback booked with this key"
COMMON: dict[int, tuple[str, type[BaseModel] | None]] = {
    401: ("missing, unknown or revoked API key (no body)", None),
    429: ("over IVR_RATE_PER_MINUTE requests this minute for this key", RateLimited),
}
RETRY_AFTER = {429: {"Retry-After": {"description": "seconds to wait",
                                     "schema": {"type": "integer", "minimum": 1}}}}

ROUTES: tuple[Route, ...] = (
    Route("get", "/slots", "getSlots",
          "Free callback capacity: the next 3 days with room, or each interval of up to 3 "
          "dates",
          {200: ("free capacity", SlotsOut), 422: ("bad queue, campaign or date", Problem)},
          (Param("queue", "query", {"type": "string", "minLength": 1, "maxLength": 64}, True),
           Param("campaign", "query", {"type": "string", "minLength": 1, "maxLength": 64}),
           Param("date", "query", {"type": "array", "maxItems": 3,
                                   "items": {"type": "string", "format": "date"}},
                 description="YYYY-MM-DD, repeated up to 3 times", explode=True))),
    Route("post", "/callbacks", "bookCallback", "Book a callback",
          {201: ("booked", CallbackOut),
           200: ("a callback for this number and queue is already pending: that one",
                 CallbackOut),
           409: ("the interval is full (slot_full; alternatives are the next intervals "
                 "with room), or a callback for this number and queue is pending already, "
                 "booked with another key or in chat (already_pending)", Conflict),
           413: ("the body is larger than 16 kB", Problem),
           422: ("invalid phone, time (past, beyond the horizon, inside the lead time, no "
                 "capacity defined), unknown queue, campaign or agent, malformed body, or an "
                 "Idempotency-Key reused with another body", Problem)},
          (Param("Idempotency-Key", "header",
                 {"type": "string", "minLength": 1, "maxLength": 255,
                  "pattern": "^[\\x21-\\x7e]+$"},
                 description="the same key returns the first answer again (kept 24 h)"),),
          body=BookingRequest),
    Route("get", "/callbacks", "findCallbacks",
          "The callbacks of a phone number booked with this key",
          {200: ("newest first", CallbackList), 422: ("not a phone number", Problem)},
          (Param("phone", "query", {"type": "string", "minLength": 1, "maxLength": 64},
                 True),)),
    Route("get", "/callbacks/{id}", "getCallback", "One callback",
          {200: ("the callback", CallbackOut), 404: (MISSING, Problem)}, (ID,)),
    Route("delete", "/callbacks/{id}", "cancelCallback",
          "Cancel a callback (its place is given back)",
          {200: ("cancelled (or cancelled already)", CallbackOut),
           404: (MISSING, Problem),
           409: ("it is done, failed or expired already", Conflict)}, (ID,)),
    Route("get", "/callbacks/{id}/variables", "getCallbackVariables",
          "What the dialer needs to ring the customer back",
          {200: ("the call variables", Variables), 404: (MISSING, Problem)},
          (ID,)),
)


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [(BookingRequest, "validation")]
    for route in ROUTES:
        for _, model in {**route.responses, **COMMON}.values():
            if model is not None and (model, "serialization") not in models:
                models.append((model, "serialization"))
    _, definitions = models_json_schema(models, ref_template=REF)
    return dict(definitions.get("$defs", {}))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, model) in sorted({**route.responses, **COMMON}.items()):
        answer: dict[str, Any] = {"description": description}
        if model is not None:
            answer["content"] = {"application/json": {"schema": _ref(model)}}
        headers = {**RETRY_AFTER, **route.headers}.get(status)
        if headers:
            answer["headers"] = headers
        responses[str(status)] = answer
    operation: dict[str, Any] = {"operationId": route.operation, "summary": route.summary,
                                 "security": [{"apiKey": []}], "responses": responses}
    if route.params:
        operation["parameters"] = []
        for p in route.params:
            param: dict[str, Any] = {"name": p.name, "in": p.where, "required": p.required,
                                     "schema": p.schema}
            if p.description:
                param["description"] = p.description
            if p.explode is not None:
                param.update(style="form", explode=p.explode)
            operation["parameters"].append(param)
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(route.body)}}}
    return operation


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(PREFIX + route.path, {})[route.method] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchboard IVR API", "version": "1",
                 "description": "Callback capacity and bookings for an IVR or a dialer. "
                                "Every route needs `Authorization: Bearer KEY` "
                                "(`switchboard ivr-keys create NAME`)."},
        "paths": paths,
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
    }
