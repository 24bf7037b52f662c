"""Asterisk's queue_log, read line by line (docs/protocols/asterisk.md, "The queue_log").

Two layouts are read, line by line, so one file may even mix them:

- the file ``/var/log/asterisk/queue_log``: ``epoch|callid|queue|agent|event|data1|…``;
- the realtime table exported as text: ``time|callid|queuename|agent|event|data1..data5``
  with ``time`` as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` in the PBX's time zone (a first line
  naming the columns is skipped).

A line that cannot be read — too few fields, an unreadable time, a number that is not
one where the event needs it — raises ``BadLine`` naming why; the caller reports it with
its line number and carries on. Events this module does not know are kept (they are
ignored downstream); agents are mapped to extensions by ``agent_extension``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from store.calls.records import EARLIEST, LATEST, YEARS, plausible

MAX_LINE = 8192
HEADER = "time|callid|queuename|agent|event"

# Fields that must be numbers (seconds) when present, per event (0-based data index).
NUMERIC: dict[str, tuple[int, ...]] = {
    "CONNECT": (0,),
    "COMPLETECALLER": (0, 1),
    "COMPLETEAGENT": (0, 1),
    "TRANSFER": (2, 3),
    "BLINDTRANSFER": (2, 3),
    "ATTENDEDTRANSFER": (2, 3),  # BRIDGE and APP; LINK: (3, 4) (``transfer_times``)
    "ABANDON": (2,),
    "EXITWITHTIMEOUT": (2,),
    "EXITEMPTY": (2,),
    "EXITWITHKEY": (3,),
    "WITHDRAW": (2,),
    "WRAPUPSTART": (0,),
}
_EPOCH = re.compile(r"\d{1,12}(\.\d{1,6})?", re.ASCII)
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?", re.ASCII)
_NUMBER = re.compile(r"-?\d{1,9}(\.\d{1,6})?", re.ASCII)
_EVENT = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_KNOWN_NAMES = frozenset((
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "RINGNOANSWER",
    "RINGCANCELED", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "TRANSFER", "PAUSE",
    "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "ADDMEMBER", "REMOVEMEMBER", "AGENTLOGIN",
    "AGENTLOGOFF"))


class BadLine(ValueError):
    """A line that cannot be read; the message says why."""


class QueueLogEvent(NamedTuple):
    line: int
    at: datetime
    call_id: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def field(self, index: int) -> str:
        return self.data[index].strip() if index < len(self.data) else ""

    def seconds(self, index: int) -> float | None:
        """A numeric data field (checked when the line was read), or None when empty."""
        raw = self.field(index)
        return float(raw) if raw else None


def parse_line(text: str, line: int, tz: tzinfo) -> QueueLogEvent | None:
    """One line as an event; None for a blank line or the realtime export's header."""
    stripped = text.rstrip("\r\n")
    if len(stripped) > MAX_LINE:
        raise BadLine(f"longer than {MAX_LINE} characters")
    if "\x00" in stripped:
        raise BadLine("contains a NUL character")
    fields = stripped.split("|")
    if len(fields) < 5:
        if not stripped.strip():
            return None
        raise BadLine(f"{len(fields)} fields; expected time|callid|queue|agent|event|data…")
    raw_time = fields[0].strip()
    if raw_time.isascii() and raw_time.isdigit() and len(raw_time) <= 12:  # epoch seconds
        epoch = int(raw_time)
        if not _FIRST <= epoch < _LAST:
            raise BadLine(f"time {raw_time!r} is not in {YEARS}")
        at = datetime.fromtimestamp(epoch, UTC)
    elif raw_time.lower() == "time":
        return None  # the realtime export's header
    else:
        at = _time(raw_time, tz)
        if not plausible(at):
            raise BadLine(f"time {raw_time[:40]!r} is not in {YEARS}")
    call_id, queue, agent = fields[1].strip(), fields[2].strip(), fields[3].strip()
    event = fields[4].strip().upper()
    if event not in _KNOWN_NAMES and not _EVENT.fullmatch(event):
        raise BadLine(f"event {event[:40]!r} is not an event name")
    if not call_id or len(call_id) > 128:
        raise BadLine("callid must be 1 to 128 characters")
    if len(queue) > 64 or len(agent) > 128:
        raise BadLine("queue or agent name too long")
    data = tuple(fields[5:])
    numeric = NUMERIC.get(event)
    if event == "ATTENDEDTRANSFER" and data and data[0].strip().upper() == "LINK":
        numeric = _LINK_TIMES
    if numeric:
        for index in numeric:
            if index < len(data) and data[index].strip():
                _check_seconds(event, index, data[index].strip())
    return _event((line, at, call_id, queue, agent, event, data))


def transfer_times(event: QueueLogEvent) -> tuple[int, int]:
    """The data indexes of a transfer line's hold time and call time.

    ``TRANSFER`` and ``BLINDTRANSFER`` write ``extension|context|hold|talk[|pos]``, so
    do ``ATTENDEDTRANSFER``'s BRIDGE and APP forms (``BRIDGE|bridge id|…``,
    ``APP|application|…``); its LINK form names both linked channels:
    ``LINK|channel1|channel2|hold|talk|pos``."""
    if event.event == "ATTENDEDTRANSFER" and event.field(0).upper() == "LINK":
        return _LINK_TIMES
    return (2, 3)


_LINK_TIMES = (3, 4)
_event = QueueLogEvent._make  # a tuple's fields straight in, without keyword handling
# The epoch seconds of the plausible years (store.calls.records.plausible), for whole-second times.
_FIRST, _LAST = int(EARLIEST.timestamp()), int(LATEST.timestamp())


def _check_seconds(event: str, index: int, value: str) -> None:
    if len(value) <= 16 and value.replace(".", "", 1).isdigit() and value.isascii():
        return  # the usual case, checked without a regular expression
    if not _NUMBER.fullmatch(value):
        raise BadLine(f"{event} data{index + 1} {value[:20]!r} is not a number of seconds")
    if value.startswith("-"):
        raise BadLine(f"{event} data{index + 1} {value!r} is negative")


def _epoch(raw: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(raw) if "." in raw else int(raw), UTC)
    except (OverflowError, OSError, ValueError):
        raise BadLine(f"time {raw!r} is out of range") from None


def _time(raw: str, tz: tzinfo) -> datetime:
    if _EPOCH.fullmatch(raw):
        return _epoch(raw)
    if _LOCAL.fullmatch(raw):
        try:
            return datetime.fromisoformat(raw.replace("T", " ")).replace(tzinfo=tz)
        except ValueError:
            raise BadLine(f"time {raw!r} is not a real date and time") from None
    raise BadLine(f"time {raw[:40]!r} is neither epoch seconds nor YYYY-MM-DD HH:MM:SS")


_TECH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/")


@lru_cache(maxsize=4096)
def agent_extension(agent: str, template: str = "PJSIP/{extension}") -> str | None:
    """The extension behind a queue_log agent: the interface template (``PJSIP/{extension}``)
    first, then the part after the technology up to ``@``/``-``/``/`` (``Agent/1001``,
    ``SIP/211-0000002a``, ``Local/211@from-queue/n``). None for ``NONE`` or a name."""
    agent = agent.strip()
    if not agent or agent.upper() == "NONE":
        return None
    before, _, after = template.partition("{extension}")
    if agent.lower().startswith(before.lower()) and agent.lower().endswith(after.lower()):
        middle = agent[len(before):len(agent) - len(after)] if after else agent[len(before):]
        if middle and re.fullmatch(r"[0-9A-Za-z*#+_.]{1,32}", middle):
            return middle
    if not _TECH.match(agent):
        return agent if re.fullmatch(r"[0-9]{1,32}", agent) else None
    rest = _TECH.sub("", agent, count=1)
    head = re.split(r"[@/-]", rest, maxsplit=1)[0]
    return head if re.fullmatch(r"[0-9A-Za-z_.]{1,32}", head) else None
