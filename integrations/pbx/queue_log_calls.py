"""queue_log events folded into call records and agent pauses and sessions.

Each call's stint in a queue is keyed by (callid, queue) and built up event by event on
top of what is already known of it (``known``), so a file read twice, or read in pieces
as it grows, ends with the same records. Every event *sets* facts, never adds to them:

- ENTERQUEUE: when it entered (this is the authority) and the caller;
- CONNECT: answered, the hold time (data1) as its wait, the agent;
- COMPLETECALLER / COMPLETEAGENT: ended, wait (data1) and talk (data2); a stint with no
  CONNECT before (a log that starts mid-call) is answered from this line alone;
- TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER: answered and transferred, wait (data3)
  and talk (data4);
- ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY, WITHDRAW: the caller left unanswered
  after the wait the line states;
- Wazo's CLOSED, FULL, DIVERT_CA_RATIO, DIVERT_HOLDTIME, JOINEMPTY, LEAVEEMPTY: the queue
  did not take the call;
- Wazo's WRAPUPSTART (data1 seconds): wrap-up of the agent's last ended call.

A stint first seen on a line other than ENTERQUEUE enters at that line's time less the
waits and talk it states. Waits come from the data fields, as Asterisk measured them,
not from gaps between lines. PAUSE/PAUSEALL/UNPAUSE/UNPAUSEALL and
AGENTLOGIN/AGENTCALLBACKLOGIN/ADDMEMBER and their ends become ``AgentChange``s.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from integrations.pbx.queue_log import QueueLogEvent, agent_extension
from store.calls import (
    ABANDONED,
    ANSWERED,
    CLOSED,
    EXIT_EMPTY,
    EXIT_KEY,
    FULL,
    TIMEOUT,
    TRANSFERRED,
    WAITING,
    CallInfo,
)

# Leaving unanswered: event → (outcome, data index of the wait).
_EXITS = {"ABANDON": (ABANDONED, 2), "EXITWITHTIMEOUT": (TIMEOUT, 2),
          "EXITEMPTY": (EXIT_EMPTY, 2), "EXITWITHKEY": (EXIT_KEY, 3), "WITHDRAW": (EXIT_KEY, 2)}
# Not taken by the queue at all (Wazo's dialplan writes these).
_REFUSED = {"CLOSED": CLOSED, "FULL": FULL, "DIVERT_CA_RATIO": FULL, "DIVERT_HOLDTIME": FULL,
            "JOINEMPTY": EXIT_EMPTY, "LEAVEEMPTY": EXIT_EMPTY}
_COMPLETE = ("COMPLETECALLER", "COMPLETEAGENT")
_TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
_PAUSES = {"PAUSE": True, "PAUSEALL": True, "UNPAUSE": False, "UNPAUSEALL": False}
_SESSIONS = {"AGENTLOGIN": True, "AGENTCALLBACKLOGIN": True, "ADDMEMBER": True,
             "AGENTLOGOFF": False, "AGENTCALLBACKLOGOFF": False, "REMOVEMEMBER": False}
CALL_EVENTS = frozenset({"ENTERQUEUE", "CONNECT", *_COMPLETE, *_TRANSFERS, *_EXITS, *_REFUSED})

Key = tuple[str, str]  # (callid, queue)


@dataclass(frozen=True)
class AgentChange:
    """A pause or queue session of an agent starting or ending at a moment."""

    line: int
    at: datetime
    agent: str
    extension: str | None
    kind: str  # pause | session
    starts: bool
    reason: str | None = None


@dataclass
class Folded:
    calls: dict[Key, CallInfo] = field(default_factory=dict)  # changed or created
    agents: list[AgentChange] = field(default_factory=list)
    ignored: int = 0  # lines of events that carry nothing for the statistics


def keys_of(events: Iterable[QueueLogEvent]) -> set[Key]:
    """The (callid, queue) stints these events touch (to load what is known of them)."""
    return {(e.call_id, e.queue) for e in events if e.event in CALL_EVENTS}


def fold(events: Iterable[QueueLogEvent], known: dict[Key, CallInfo], *,
         template: str = "PJSIP/{extension}",
         last_call_of: Callable[[str, datetime], CallInfo | None] = lambda ext, at: None,
         ) -> Folded:
    """Apply the events, in time order, to what is ``known``; ``last_call_of(extension,
    at)`` finds an agent's last ended call outside these events (for wrap-up)."""
    result = Folded()
    state: dict[Key, dict[str, Any]] = {}
    ordered = list(events)
    if any(a.at > b.at for a, b in itertools.pairwise(ordered)):
        ordered.sort(key=lambda e: (e.at, e.line))
    for event in ordered:
        name = event.event
        if name in CALL_EVENTS:
            key = (event.call_id, event.queue)
            stint = state.get(key)
            if stint is None:
                call = known.get(key)
                stint = state[key] = _as_dict(call) if call is not None else {}
            _apply(event, stint, template)
        elif name == "WRAPUPSTART":
            _wrapup(event, state, known, result, template, last_call_of)
        elif name in _PAUSES or name in _SESSIONS:
            starts = _PAUSES[name] if name in _PAUSES else _SESSIONS[name]
            reason = (event.field(0) or None) if name in ("PAUSE", "PAUSEALL") else None
            result.agents.append(AgentChange(
                event.line, event.at, event.agent, agent_extension(event.agent, template),
                "pause" if name in _PAUSES else "session", starts, reason))
        else:
            result.ignored += 1
    result.calls = {key: CallInfo._make((key[0], key[1], *(stint[f] for f in _FIELDS)))
                    for key, stint in state.items()}
    return result


_FIELDS = CallInfo._fields[2:]  # every field but the key (call id, queue), in order


def _as_dict(call: CallInfo) -> dict[str, Any]:
    return {name: getattr(call, name) for name in _FIELDS}


def _before(event: QueueLogEvent, first: float | None, second: float | None = None
            ) -> datetime:
    return event.at - timedelta(seconds=(first or 0.0) + (second or 0.0))


def _begin(stint: dict[str, Any], entered: datetime) -> None:
    """A stint seen for the first time on a line that is not ENTERQUEUE."""
    if not stint:
        stint.update(dict.fromkeys(_FIELDS), entered_at=entered, outcome=WAITING)


def _apply(event: QueueLogEvent, stint: dict[str, Any], template: str) -> None:
    name = event.event
    if name == "ENTERQUEUE":
        _begin(stint, event.at)
        stint["entered_at"] = event.at
        stint["caller"] = event.field(1) or stint["caller"]
        return
    agent = agent_extension(event.agent, template)
    if name == "CONNECT":
        hold = event.seconds(0)
        _begin(stint, _before(event, hold))
        stint.update(answered_at=event.at, wait_seconds=hold,
                     extension=agent or stint["extension"],
                     outcome=TRANSFERRED if stint["outcome"] == TRANSFERRED else ANSWERED)
    elif name in _COMPLETE or name in _TRANSFERS:
        first = 0 if name in _COMPLETE else 2
        hold, talk = event.seconds(first), event.seconds(first + 1)
        _begin(stint, _before(event, hold, talk))
        transferred = name in _TRANSFERS or stint["outcome"] == TRANSFERRED
        stint.update(outcome=TRANSFERRED if transferred else ANSWERED, ended_at=event.at,
                     answered_at=stint["answered_at"] or _before(event, talk),
                     extension=stint["extension"] or agent,
                     wait_seconds=hold if hold is not None else stint["wait_seconds"],
                     talk_seconds=talk)
    elif name in _EXITS:
        outcome, index = _EXITS[name]
        wait = event.seconds(index)
        _begin(stint, _before(event, wait))
        stint.update(outcome=outcome, ended_at=event.at, wait_seconds=wait)
    else:
        _begin(stint, event.at)
        stint.update(outcome=_REFUSED[name], ended_at=event.at)


def _wrapup(event: QueueLogEvent, state: dict[Key, dict[str, Any]],
            known: dict[Key, CallInfo], result: Folded, template: str,
            last_call_of: Callable[[str, datetime], CallInfo | None]) -> None:
    extension = agent_extension(event.agent, template)
    seconds = event.seconds(0)
    if extension is None or seconds is None:
        result.ignored += 1
        return
    ended = [(key, stint) for key, stint in state.items()
             if stint["extension"] == extension and stint["ended_at"] is not None
             and stint["ended_at"] <= event.at]
    if ended:
        stint = max(ended, key=lambda item: item[1]["ended_at"])[1]
    else:
        found = last_call_of(extension, event.at)
        if found is None:
            result.ignored += 1
            return
        key = (found.call_id, found.queue)
        stint = state.setdefault(key, _as_dict(known.get(key) or found))
    stint["wrapup_seconds"] = seconds
