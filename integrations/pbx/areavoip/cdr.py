"""Areavoip call records: the rows of ``INFO info=simplecdrs`` as the vendor sends them.

The fields are the ones the production client of an open-source helpline tool reads
(Tomatic's ``pbxareavoip.py``) and the vendor documents: ``sc_start`` (the PBX's local
time, ``YYYY-MM-DD HH:MM:SS``), ``sc_direction`` (``IN``, ``OUT``, ``LOCAL``),
``sc_calleridnum``, ``sc_dialednum``, ``sc_disposition``, ``sc_duration`` (seconds,
from the start), ``sc_billsec`` (talk seconds; not in every version), ``sc_uniqueid``
and ``sc_whoanswered`` (``201`` or ``201-TENANT``). JSON rows also repeat every value
under positional keys ``"0"``…``"10"``; those are ignored.

Only inbound calls to the helpline's own numbers are statistics: outbound calls and
calls to other numbers of the tenant are left out (counting outbound calls was a bug the
production client had to fix). Dispositions: ANSWERED → answered, NO ANSWER → abandoned
(nobody picked up before the caller hung up), BUSY, FAILED and CONGESTION → full (the
PBX could not put the call through); anything else counts as a timeout and is reported
with a warning, rather than failing the whole report.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from datetime import datetime, timedelta, tzinfo
from typing import Any

from store.calls.records import ABANDONED, ANSWERED, FULL, TIMEOUT, CallInfo
from store.phones import try_e164

log = logging.getLogger(__name__)

DISPOSITIONS = {"ANSWERED": ANSWERED, "NO ANSWER": ABANDONED, "NOANSWER": ABANDONED,
                "BUSY": FULL, "FAILED": FULL, "CONGESTION": FULL}
_TIME = "%Y-%m-%d %H:%M:%S"
_WHO = re.compile(r"^\s*([0-9A-Za-z_]{1,32})")


class BadRow(Exception):
    """A call record that cannot be read; the message names the field and why."""


def same_number(a: str, b: str, region: str) -> bool:
    """Two ways of writing one number (``931234567`` and ``+34931234567``) match."""
    first, second = try_e164(a, region), try_e164(b, region)
    if first and second:
        return first == second
    return re.sub(r"\D", "", a) == re.sub(r"\D", "", b) and bool(re.sub(r"\D", "", a))


def parse_simplecdr(row: Any, queue: str, timezone: tzinfo, *,
                    helpline: Collection[str] = (), region: str = "ES") -> CallInfo | None:
    """One row as a CallInfo, or None when it is not an inbound call to the helpline
    (``helpline`` empty: every inbound call). BadRow names a field that is wrong."""
    if not isinstance(row, dict):
        raise BadRow("it is not an object")
    direction = str(_field(row, "sc_direction")).strip().upper()
    if direction != "IN":
        return None
    dialled = str(row.get("sc_dialednum") or "").strip()
    if helpline and not any(same_number(dialled, number, region) for number in helpline):
        return None
    raw_start = str(_field(row, "sc_start")).strip()
    try:
        entered = datetime.strptime(raw_start, _TIME).replace(tzinfo=timezone)
    except ValueError:
        raise BadRow(f"sc_start {raw_start!r} is not 'YYYY-MM-DD HH:MM:SS'") from None
    duration = _seconds(row, "sc_duration")
    talk = _seconds(row, "sc_billsec") if row.get("sc_billsec") not in (None, "") else None
    disposition = str(_field(row, "sc_disposition")).strip().upper()
    outcome = DISPOSITIONS.get(disposition)
    if outcome is None:
        log.warning("Areavoip call %s has an unknown disposition %r; counted as a timeout",
                    row.get("sc_uniqueid"), disposition)
        outcome = TIMEOUT
    caller = str(row.get("sc_calleridnum") or "").strip() or None
    call_id = str(row.get("sc_uniqueid") or "").strip() or f"{raw_start}|{caller}|{dialled}"
    ended = entered + timedelta(seconds=duration)
    base = CallInfo(call_id=call_id[:128], queue=queue, entered_at=entered, outcome=outcome,
                    caller=caller, dialled=dialled or None, ended_at=ended)
    if outcome != ANSWERED:
        return base._replace(wait_seconds=float(duration))
    who = _WHO.match(str(row.get("sc_whoanswered") or ""))
    if talk is None:  # a version without sc_billsec: the wait and talk are not told apart
        return base._replace(extension=who.group(1) if who else None)
    wait = max(duration - talk, 0)
    return base._replace(answered_at=entered + timedelta(seconds=wait),
                   extension=who.group(1) if who else None, wait_seconds=float(wait),
                   talk_seconds=float(talk))


def _field(row: dict[str, Any], name: str) -> Any:
    if row.get(name) in (None, ""):
        raise BadRow(f"field {name!r} is missing")
    return row[name]


def _seconds(row: dict[str, Any], name: str) -> int:
    raw = _field(row, name)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise BadRow(f"{name} {raw!r} is not a whole number of seconds") from None
    if value < 0:
        raise BadRow(f"{name} {raw!r} is negative")
    return value
