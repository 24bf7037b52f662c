"""queue_log events folded into call records and agent pauses and sessions.

Each call's stint in a queue is keyed by (callid, queue) and built up event by event on
top of what is already known of it (``known``), so a file read twice, or read in pieces
as it grows, ends with the same records. Every event *sets* facts, never adds to them:

- ENTERQUEUE: when it entered (this is the authority) and the caller;
- CONNECT: answered, the hold time (data1) as its wait, the agent;
- COMPLETECALLER / COMPLETEAGENT: ended, wait (data1) and talk (data2); a stint with no
  CONNECT before (a log that starts mid-call) is answered from this line alone;
- TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER: answered and transferred, wait (data3)
  and talk (data4); ATTENDEDTRANSFER's LINK form names two channels, so there they are
  data4 and data5 (``transfer_times``);
- ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY, WITHDRAW: the caller left unanswered
  after the wait the line states; a line that states none (EXITWITHTIMEOUT and
  EXITWITHKEY of Asterisk 1.4) waited from its ENTERQUEUE to this line;
- Wazo's CLOSED, FULL, DIVERT_CA_RATIO, DIVERT_HOLDTIME, JOINEMPTY, LEAVEEMPTY: the queue
  did not take the call;
- Wazo's WRAPUPSTART (data1 seconds): wrap-up of the agent's last ended call;
- QUEUESTART (Asterisk started: a restart ended every call): a stint still waiting ends
  unanswered at that moment as ``exit_empty`` (the queue lost the caller, the caller did
  not hang up), its wait the time since it entered; an answered stint not yet ended ends
  there, its talk the time since it was answered. Stints stored by earlier imports are
  asked for (``open_calls``), and every open pause and session ends there too (an
  ``AgentChange`` of kind ``restart``).

A stint first seen on a line other than ENTERQUEUE enters at that line's time less the
waits and talk it states. Waits come from the data fields, as Asterisk measured them,
not from gaps between lines, except where an old layout states none.
PAUSE/PAUSEALL/UNPAUSE/UNPAUSEALL and AGENTLOGIN/AGENTCALLBACKLOGIN/ADDMEMBER and their
ends become ``AgentChange``s. Agents are extensions: read from the interface, or, for
an Asterisk logging member names (``log_membername_as_agent``), the extension of the
person with that PBX member name (``members``).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from integrations.pbx.asterisk.queue_log import QueueLogEvent, agent_extension, transfer_times
from store.calls.records import (
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
from store.team.people import member_key

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
RESTART = "restart"  # AgentChange.kind of a QUEUESTART: every open pause and session ends
# The events that open or close agents' pauses and sessions.
AGENT_EVENTS = frozenset({*_PAUSES, *_SESSIONS, "QUEUESTART"})

Key = tuple[str, str]  # (callid, queue)


@dataclass(frozen=True)
class AgentChange:
    """A pause or queue session of an agent starting or ending at a moment."""

    line: int
    at: datetime
    agent: str
    extension: str | None
    kind: str  # pause | session | restart (agent "", starts False)
    starts: bool
    reason: str | None = None


@dataclass
class Folded:
    calls: dict[Key, CallInfo] = field(default_factory=dict)  # changed or created
    agents: list[AgentChange] = field(default_factory=list)
    ignored: int = 0  # lines of events that carry nothing for the statistics
    unmapped: set[str] = field(default_factory=set)  # agents named, but by nobody's name


class _Agents:
    """An agent field's extension: read through the interface template
    (``agent_extension``), or, for a member name (``log_membername_as_agent``), the
    extension of the person ``members`` maps it to; a name nobody has is noted in
    ``unmapped``. Remembered per fold: a log names few agents many times."""

    def __init__(self, template: str, members: Mapping[str, str],
                 unmapped: set[str]) -> None:
        self.template, self.members, self.unmapped = template, members, unmapped
        self.seen: dict[str, str | None] = {}

    def __call__(self, agent: str) -> str | None:
        try:
            return self.seen[agent]
        except KeyError:
            pass
        extension = agent_extension(agent, self.template)
        if extension is None and is_member_name(agent):
            extension = self.members.get(member_key(agent))
            if extension is None:
                self.unmapped.add(agent.strip())
        self.seen[agent] = extension
        return extension


def is_member_name(agent: str) -> bool:
    """Whether an agent field that is no interface names a member (not ``NONE``, empty,
    or an interface of a technology the template does not read)."""
    text = agent.strip()
    return bool(text) and text.upper() != "NONE" and "/" not in text


def keys_of(events: Iterable[QueueLogEvent]) -> set[Key]:
    """The (callid, queue) stints these events touch (to load what is known of them)."""
    return {(e.call_id, e.queue) for e in events if e.event in CALL_EVENTS}


def callers_of(events: Iterable[QueueLogEvent]) -> Iterator[str]:
    """The callers these events name (ENTERQUEUE's data2, as ``fold`` reads it)."""
    return (e.field(1) for e in events if e.event == "ENTERQUEUE")


def fold(events: Iterable[QueueLogEvent], known: dict[Key, CallInfo], *,
         template: str = "PJSIP/{extension}", members: Mapping[str, str] | None = None,
         last_call_of: Callable[[str, datetime], CallInfo | None] = lambda ext, at: None,
         open_calls: Callable[[datetime], Iterable[CallInfo]] = lambda at: (),
         ) -> Folded:
    """Apply the events, in time order, to what is ``known``; ``last_call_of(extension,
    at)`` finds an agent's last ended call outside these events (for wrap-up), and
    ``open_calls(at)`` the stored calls still waiting or talking at a restart.
    ``members``: member name (``member_key``) → extension, for agents logged by name."""
    result = Folded()
    resolve = _Agents(template, members or {}, result.unmapped)
    state: dict[Key, dict[str, Any]] = {}
    ended = _Ended(state)
    ordered = list(events)
    if any(a.at > b.at for a, b in itertools.pairwise(ordered)):
        ordered.sort(key=_TIME_ORDER)
    for event in ordered:
        name = event.event
        if name in CALL_EVENTS:
            key = (event.call_id, event.queue)
            stint = state.get(key)
            if stint is None:
                call = known.get(key)
                stint = state[key] = _as_dict(call) if call is not None else {}
            _apply(event, stint, resolve)
            ended.note(key, stint)
        elif name == "WRAPUPSTART":
            _wrapup(event, state, ended, known, result, resolve, last_call_of)
        elif name == "QUEUESTART":
            _restart(event, state, ended, known, open_calls)
            result.agents.append(AgentChange(event.line, event.at, "", None, RESTART, False))
        elif name in _PAUSES or name in _SESSIONS:
            starts = _PAUSES[name] if name in _PAUSES else _SESSIONS[name]
            reason = (event.field(0) or None) if name in ("PAUSE", "PAUSEALL") else None
            result.agents.append(AgentChange(
                event.line, event.at, event.agent, resolve(event.agent),
                "pause" if name in _PAUSES else "session", starts, reason))
        else:
            result.ignored += 1
    make, values = CallInfo._make, _VALUES
    result.calls = {key: make(key + values(stint)) for key, stint in state.items()}
    return result


_FIELDS = CallInfo._fields[2:]  # every field but the key (call id, queue), in order
_VALUES = operator.itemgetter(*_FIELDS)  # a stint's values as a tuple, in that order
_TIME_ORDER = operator.attrgetter("at", "line")


def _as_dict(call: CallInfo) -> dict[str, Any]:
    return {name: getattr(call, name) for name in _FIELDS}


def _before(event: QueueLogEvent, *seconds: float | None) -> datetime:
    return event.at - timedelta(seconds=sum(s or 0.0 for s in seconds))


def _begin(stint: dict[str, Any], event: QueueLogEvent, *waits: float | None) -> None:
    """A stint seen for the first time: it entered at this line's time less the waits
    and talk the line states (ENTERQUEUE: none)."""
    if not stint:
        stint.update(dict.fromkeys(_FIELDS), entered_at=_before(event, *waits),
                     outcome=WAITING)


def _apply(event: QueueLogEvent, stint: dict[str, Any], resolve: _Agents) -> None:
    name = event.event
    if name == "ENTERQUEUE":
        _begin(stint, event)
        stint["entered_at"] = event.at
        stint["caller"] = event.field(1) or stint["caller"]
        return
    agent = resolve(event.agent)
    if name == "CONNECT":
        hold = event.seconds(0)
        _begin(stint, event, hold)
        stint.update(answered_at=event.at, wait_seconds=hold,
                     extension=agent or stint["extension"],
                     outcome=TRANSFERRED if stint["outcome"] == TRANSFERRED else ANSWERED)
    elif name in _COMPLETE or name in _TRANSFERS:
        first, second = (0, 1) if name in _COMPLETE else transfer_times(event)
        hold, talk = event.seconds(first), event.seconds(second)
        _begin(stint, event, hold, talk)
        transferred = name in _TRANSFERS or stint["outcome"] == TRANSFERRED
        stint.update(outcome=TRANSFERRED if transferred else ANSWERED, ended_at=event.at,
                     answered_at=stint["answered_at"] or _before(event, talk),
                     extension=stint["extension"] or agent,
                     wait_seconds=hold if hold is not None else stint["wait_seconds"],
                     talk_seconds=talk)
    elif name in _EXITS:
        outcome, index = _EXITS[name]
        wait = event.seconds(index)
        if wait is None and stint:
            # Old layouts (1.4's EXITWITHTIMEOUT and EXITWITHKEY) state no wait: it is
            # the time since the stint entered (its ENTERQUEUE line).
            wait = max(0.0, (event.at - stint["entered_at"]).total_seconds())
        _begin(stint, event, wait)
        stint.update(outcome=outcome, ended_at=event.at, wait_seconds=wait)
    else:
        _begin(stint, event)
        stint.update(outcome=_REFUSED[name], ended_at=event.at)


def _restart(event: QueueLogEvent, state: dict[Key, dict[str, Any]], ended: _Ended,
             known: dict[Key, CallInfo],
             open_calls: Callable[[datetime], Iterable[CallInfo]]) -> None:
    """Asterisk started again: what was waiting or talking before it ended then."""
    at = event.at
    for call in open_calls(at):
        key = (call.call_id, call.queue)
        if key not in state:
            state[key] = _as_dict(known.get(key) or call)
    for key, stint in state.items():
        if stint["ended_at"] is not None or stint["entered_at"] > at:
            continue
        if stint["outcome"] == WAITING:
            stint.update(outcome=EXIT_EMPTY, ended_at=at,
                         wait_seconds=(at - stint["entered_at"]).total_seconds())
        elif stint["outcome"] in (ANSWERED, TRANSFERRED):
            answered = stint["answered_at"]
            stint.update(ended_at=at, talk_seconds=None if answered is None
                         else max(0.0, (at - answered).total_seconds()))
        else:
            continue
        ended.note(key, stint)


class _Ended:
    """Per extension, the stints it answered that have ended: where wrap-up looks.

    Lines come in time order, so once a wrap-up has taken an agent's latest call, the
    calls that agent ended earlier cannot be a later wrap-up's either while that call
    stays the agent's: they are set aside (``_outdated``, everything that ended before
    the agent's ``_floor``) and each look stays short, a batch linear. They are looked
    at again only when nothing at or above the floor qualifies — when the call that set
    it has since gone to another agent (the same call re-queued). Ties go to the stint
    seen first, as in a scan of every stint."""

    def __init__(self, state: dict[Key, dict[str, Any]]) -> None:
        self.state = state
        self._current: dict[str, dict[Key, None]] = {}
        self._outdated: dict[str, dict[Key, None]] = {}
        self._floor: dict[str, datetime] = {}
        self._order: dict[Key, int] = {}

    def note(self, key: Key, stint: dict[str, Any]) -> None:
        self._order.setdefault(key, len(self._order))
        extension, end = stint["extension"], stint["ended_at"]
        if end is None or not extension:
            return
        floor = self._floor.get(extension)
        where = self._outdated if floor is not None and end < floor else self._current
        where.setdefault(extension, {})[key] = None

    def last(self, extension: str, at: datetime) -> dict[str, Any] | None:
        """The stint the agent ended last by ``at``, or None."""
        current = self._current.get(extension, {})
        found = self._latest(current, extension, at)
        if found is None:
            found = self._latest(self._outdated.get(extension, {}), extension, at)
            return self.state[found] if found is not None else None
        floor = self._floor[extension] = self.state[found]["ended_at"]
        kept: dict[Key, None] = {}
        outdated = self._outdated.setdefault(extension, {})
        for key in current:
            stint = self.state[key]
            if stint["extension"] != extension:
                continue  # noted again under its new extension
            if stint["ended_at"] >= floor:
                kept[key] = None
            else:
                outdated[key] = None
        self._current[extension] = kept
        return self.state[found]

    def _latest(self, keys: dict[Key, None], extension: str, at: datetime) -> Key | None:
        best: tuple[datetime, int] | None = None
        found = None
        for key in keys:
            stint = self.state[key]
            end = stint["ended_at"]
            if stint["extension"] != extension or end is None or end > at:
                continue
            rank = (end, -self._order[key])
            if best is None or rank > best:
                best, found = rank, key
        return found


def _wrapup(event: QueueLogEvent, state: dict[Key, dict[str, Any]], ended: _Ended,
            known: dict[Key, CallInfo], result: Folded, resolve: _Agents,
            last_call_of: Callable[[str, datetime], CallInfo | None]) -> None:
    """Wrap-up of the agent's call that ended last by this line: one of this batch's, or
    else the stored one ``last_call_of`` finds."""
    extension = resolve(event.agent)
    seconds = event.seconds(0)
    if extension is None or seconds is None:
        result.ignored += 1
        return
    stint = ended.last(extension, event.at)
    if stint is None:
        found = last_call_of(extension, event.at)
        if found is None:
            result.ignored += 1
            return
        key = (found.call_id, found.queue)
        stint = state.setdefault(key, _as_dict(known.get(key) or found))
        ended.note(key, stint)
    stint["wrapup_seconds"] = seconds
