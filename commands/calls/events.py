"""Calls as the PBX tells them (signed POST /pbx/events): entered, answered, ended.

Each event updates the call's record under the configured PBX's source (``pbx.name``):
the PBX that posts is the one the scheduled pull and the queue_log import read, so a
call it both posts and reports is one record, never two. Each event is idempotent: the
same event posted twice sets the same facts, and a repeat without ``time`` keeps the time
the first one set. Events may arrive out of order — an ``answered`` before its
``entered`` — and the record still ends up right: the entry time is the ``entered``
event's, waits are measured from it. ``call.ended`` takes an optional
``data.outcome`` (``timeout``, ``exit_empty``, ``exit_key``, ``full``, ``closed``,
``transferred``; by default ``answered`` if it was answered, else ``abandoned``) and
``data.wrapup_seconds``. The door verifies the signature before any of this runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from commands.core import Services
from store.calls.ingest import as_info, save_calls, stored_rows
from store.calls.records import (
    ABANDONED,
    ANSWERED,
    ANSWERED_OUTCOMES,
    FINAL_OUTCOMES,
    TRANSFERRED,
    WAITING,
    CallInfo,
)
from store.db import transaction
from store.stats.rollups import lock_writers


class CallEvent(Protocol):
    """What a handler reads of an event (``bot.doors.pbx_events.PbxEvent`` has it)."""

    @property
    def event(self) -> str: ...
    @property
    def call_id(self) -> str: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def caller(self) -> str | None: ...
    @property
    def extension(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any] | None: ...
    @property
    def time(self) -> datetime | None: ...


class BadEvent(ValueError):
    """The event is well formed but says something impossible; the message names it."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why


def call_entered(services: Services, event: CallEvent, at: datetime) -> dict[str, Any]:
    def change(call: CallInfo | None) -> CallInfo:
        base = call or _new(services, event, at)
        caller = event.caller or base.caller
        dialled = _data_str(event, "dialled") or base.dialled
        entered = base.entered_at if call is not None and event.time is None else at
        updated = base._replace(entered_at=entered, caller=caller, dialled=dialled)
        return _measure(updated)

    return _update(services, event, change)


def call_answered(services: Services, event: CallEvent, at: datetime) -> dict[str, Any]:
    def change(call: CallInfo | None) -> CallInfo:
        base = call or _new(services, event, at)
        outcome = base.outcome if base.outcome in ANSWERED_OUTCOMES else ANSWERED
        return _measure(base._replace(answered_at=_kept(event, base.answered_at, at),
                                      outcome=outcome,
                                extension=event.extension or base.extension))

    return _update(services, event, change)


def call_ended(services: Services, event: CallEvent, at: datetime) -> dict[str, Any]:
    wanted = _data_str(event, "outcome")
    if wanted is not None and wanted not in FINAL_OUTCOMES:
        raise BadEvent("data.outcome", f"{wanted!r} is not one of {', '.join(FINAL_OUTCOMES)}")
    wrapup = _data_seconds(event, "wrapup_seconds")

    def change(call: CallInfo | None) -> CallInfo:
        base = call or _new(services, event, at)
        answered = base.answered_at is not None
        outcome = wanted or (TRANSFERRED if base.outcome == TRANSFERRED
                             else ANSWERED if answered else ABANDONED)
        return _measure(base._replace(ended_at=_kept(event, base.ended_at, at),
                                      outcome=outcome,
                                extension=event.extension or base.extension,
                                wrapup_seconds=wrapup if wrapup is not None
                                else base.wrapup_seconds))

    return _update(services, event, change)


def _kept(event: CallEvent, stored: datetime | None, at: datetime) -> datetime:
    """The event's time; a repeat that does not say when keeps the stored time."""
    return stored if stored is not None and event.time is None else at


def _new(services: Services, event: CallEvent, at: datetime) -> CallInfo:
    return CallInfo(call_id=event.call_id, queue=event.queue or services.pbx.queue,
                    entered_at=at, outcome=WAITING, caller=event.caller)


def _measure(call: CallInfo) -> CallInfo:
    """Waits and talk from the times (what a webhook can tell)."""
    if call.answered_at is not None:
        wait = max((call.answered_at - call.entered_at).total_seconds(), 0.0)
        talk = (max((call.ended_at - call.answered_at).total_seconds(), 0.0)
                if call.ended_at is not None else None)
        return call._replace(wait_seconds=wait, talk_seconds=talk)
    if call.ended_at is not None:
        return call._replace(wait_seconds=max((call.ended_at - call.entered_at).total_seconds(),
                                              0.0))
    return call


def _update(services: Services, event: CallEvent, change: Any) -> dict[str, Any]:
    queue = event.queue or services.pbx.queue
    source = services.pbx.name
    key = (event.call_id, queue)
    with transaction(services.sessions) as session:
        lock_writers(session)  # before the read: two events of one call take turns
        stored = stored_rows(session, source, [key])
        updated = change(as_info(stored[key]) if key in stored else None)
        report = save_calls(session, source, [updated], existing=stored,
                            region=services.settings.default_region)
    return {"call_id": updated.call_id, "queue": updated.queue, "outcome": updated.outcome,
            "changed": bool(report.created or report.updated)}


def _data_str(event: CallEvent, name: str) -> str | None:
    value = (event.data or {}).get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise BadEvent(f"data.{name}", "expected a text of at most 64 characters")
    return value.strip() or None


def _data_seconds(event: CallEvent, name: str) -> float | None:
    value = (event.data or {}).get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 86400:
        raise BadEvent(f"data.{name}", "expected seconds between 0 and 86399")
    return float(value)
