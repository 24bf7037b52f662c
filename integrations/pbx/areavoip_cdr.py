"""Areavoip call records: the rows of ``INFO info=simplecdrs`` read as CallInfo.

The vendor does not document this answer's format. Each row is read as an
Asterisk CDR row (``calldate``, ``src``, ``dstchannel``, ``duration``, ``billsec``,
``disposition``, ``uniqueid``) — an assumption to confirm against the vendor.
``calldate`` is taken as the PBX's local time (it carries no offset).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any

from integrations.pbx.base import CallInfo

# Asterisk CDR dispositions. A CDR describes a finished call, so "answered" is "completed".
_DISPOSITIONS = {
    "ANSWERED": "completed",
    "NO ANSWER": "abandoned",
    "BUSY": "abandoned",
    "FAILED": "abandoned",
    "CONGESTION": "abandoned",
}
_CHANNEL_EXTENSION = re.compile(r"^[A-Za-z]+/([0-9A-Za-z_]+)")
_CDR_TIME = "%Y-%m-%d %H:%M:%S"


class BadRow(Exception):
    """A call record that cannot be read; the message names the field and why."""


def parse_cdr(row: Any, queue: str, timezone: tzinfo) -> CallInfo:
    """One CDR row (a JSON object) as a CallInfo; BadRow names the field that is wrong."""
    if not isinstance(row, dict):
        raise BadRow("it is not an object")
    raw_date = _field(row, "calldate")
    try:
        entered = datetime.strptime(str(raw_date), _CDR_TIME).replace(tzinfo=timezone)
    except ValueError:
        raise BadRow(f"calldate {raw_date!r} is not 'YYYY-MM-DD HH:MM:SS'") from None
    duration, billsec = _seconds(row, "duration"), _seconds(row, "billsec")
    disposition = str(_field(row, "disposition")).strip().upper()
    if disposition not in _DISPOSITIONS:
        raise BadRow(f"unknown disposition {disposition!r}")
    call_id = str(_field(row, "uniqueid"))
    outcome = _DISPOSITIONS[disposition]
    caller = str(row.get("src") or "") or None
    ended = entered + timedelta(seconds=duration)
    if outcome == "abandoned":
        return CallInfo(call_id=call_id, queue=queue, entered_at=entered,
                        outcome=outcome, caller=caller, ended_at=ended,
                        wait_seconds=float(duration), talk_seconds=0.0)
    wait = max(duration - billsec, 0)
    channel = _CHANNEL_EXTENSION.match(str(row.get("dstchannel") or ""))
    return CallInfo(call_id=call_id, queue=queue, entered_at=entered, outcome=outcome,
                    caller=caller, answered_at=entered + timedelta(seconds=wait),
                    ended_at=ended, extension=channel.group(1) if channel else None,
                    wait_seconds=float(wait), talk_seconds=float(billsec))


def _field(row: dict[str, Any], name: str) -> Any:
    if row.get(name) is None:
        raise BadRow(f"field {name!r} is missing")
    return row[name]


def _seconds(row: dict[str, Any], name: str) -> int:
    raw = _field(row, name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRow(f"{name} {raw!r} is not a whole number of seconds") from None
    if value < 0:
        raise BadRow(f"{name} {raw!r} is negative")
    return value
