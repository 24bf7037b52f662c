"""What the current request is, for log lines and outbound calls.

A door (or a scheduled job) opens a ``scope`` with a request id; the dispatcher adds the
command, the asker's key, the outcome and the duration. Log lines read them through
``fields()`` (bot/logs.py puts them into each JSON line), and HTTP clients of the PBX and
Odoo pass the request id on as ``X-Request-Id`` (``HTTPX_HOOKS``). Context variables: each
thread and each copied context sees its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

REQUEST_ID_HEADER = "X-Request-Id"
FIELDS = ("request_id", "door", "job", "command", "person", "outcome", "duration_ms")

_fields: ContextVar[dict[str, Any] | None] = ContextVar("switchboard_trace", default=None)

# What an incoming X-Request-Id may be: anything else is replaced by one of our own.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:/=+-]{1,128}")


def new_id() -> str:
    return uuid.uuid4().hex


def incoming_id(request_id: str | None, cloud_trace: str | None) -> str:
    """X-Request-Id when it is a plain token, else the trace id of X-Cloud-Trace-Context
    (``TRACE_ID/SPAN_ID;o=1``, App Engine's), else a new one."""
    if request_id and _SAFE_ID.fullmatch(request_id.strip()):
        return request_id.strip()
    if cloud_trace:
        trace = cloud_trace.split("/", 1)[0].strip()
        if re.fullmatch(r"[0-9a-fA-F]{8,64}", trace):
            return trace.lower()
    return new_id()


def fields() -> dict[str, Any]:
    """The current request's fields (empty outside any scope)."""
    return dict(_fields.get() or {})


def set_fields(**values: Any) -> None:
    """Add to the current scope (nothing happens outside one)."""
    current = _fields.get()
    if current is not None:
        current.update({k: v for k, v in values.items() if v is not None})


@contextmanager
def scope(**values: Any) -> Iterator[dict[str, Any]]:
    """A new set of fields for the code inside (a request, a job run)."""
    data = {"request_id": values.pop("request_id", None) or new_id(), **values}
    token = _fields.set(data)
    try:
        yield data
    finally:
        _fields.reset(token)


def begin(**values: Any) -> object:
    """``scope`` for code that cannot hold a ``with`` (a Flask request): returns the token
    ``end`` takes."""
    data = {"request_id": values.pop("request_id", None) or new_id(), **values}
    return _fields.set(data)


def end(token: object) -> None:
    _fields.reset(token)  # type: ignore[arg-type]


def outbound_headers() -> dict[str, str]:
    request_id = fields().get("request_id")
    return {REQUEST_ID_HEADER: str(request_id)} if request_id else {}


def _add_request_id(request: httpx.Request) -> None:
    for name, value in outbound_headers().items():
        request.headers.setdefault(name, value)


# event_hooks for httpx clients: every request carries the current request id.
HTTPX_HOOKS: dict[str, list[Any]] = {"request": [_add_request_id]}
