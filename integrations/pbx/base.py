"""The PBX interface every backend implements, and its canonical member status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from integrations.errors import IntegrationError, Unreachable
from store.calls.records import CallInfo

__all__ = [
    "ANSWERED",
    "BUSY",
    "CONGESTION",
    "FAILURE",
    "NO_ANSWER",
    "CallInfo",
    "CallOutcome",
    "LiveQueue",
    "MemberState",
    "MemberStatus",
    "Pbx",
    "PbxError",
    "PbxUnreachable",
    "PbxUser",
    "UserSync",
    "WaitingCall",
]


class MemberState(StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    IN_CALL = "in_call"
    BUSY = "busy"
    ON_HOLD = "on_hold"
    DISCONNECTED = "disconnected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MemberStatus:
    extension: str
    state: MemberState
    paused: bool = False
    pause_reason: str | None = None
    paused_since: datetime | None = None
    calls_taken: int = 0
    seconds_in_calls: int = 0
    last_call_at: datetime | None = None


@dataclass(frozen=True)
class WaitingCall:
    """A caller waiting in the queue right now."""

    position: int
    caller: str | None
    wait_seconds: float


@dataclass(frozen=True)
class LiveQueue:
    """What the PBX says about the queue's callers right now (``waiting_calls``).

    ``calls`` is the PBX's own count of waiting callers (it may list fewer); the
    counters since the PBX's last reset are None when it does not report them.
    """

    calls: int
    waiting: tuple[WaitingCall, ...] = ()
    completed: int | None = None
    abandoned: int | None = None
    service_level_pct: float | None = None

    @property
    def longest_wait(self) -> float | None:
        return max((w.wait_seconds for w in self.waiting), default=None)


# How an originated call ended, in the words the callback's log and the agent see.
ANSWERED, BUSY, NO_ANSWER, CONGESTION, FAILURE = (
    "Answered", "Busy", "NoAnswer", "Congestion", "Failure")


@dataclass(frozen=True)
class CallOutcome:
    """What the PBX reported about a call ``originate`` placed (matched by ``ref``)."""

    ref: str
    reason: str  # one of ANSWERED, BUSY, NO_ANSWER, CONGESTION, FAILURE

    @property
    def answered(self) -> bool:
        return self.reason == ANSWERED


@dataclass(frozen=True)
class PbxUser:
    """A user (extension) as the PBX lists it, for ``switchboard pbx sync``.

    ``free`` is the PBX's own mark of an extension nobody uses (Areavoip: an empty name;
    Irontec: a name starting with ``Libre``; Asterisk: a generated endpoint with no name).
    """

    extension: str
    name: str
    email: str | None = None
    free: bool = False


class UserSync(Protocol):
    """What a PBX offers to keep its users in line with the people list (optional)."""

    name: str
    can_create: bool  # False: only existing extensions can be renamed

    def users(self) -> list[PbxUser]: ...

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        """The user ``users()`` would list once ``set_user`` gave it this name and email
        (as the PBX keeps them: its alphabet, whether it keeps an email at all)."""
        ...

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        """Give ``extension`` this person's name (and email, where the PBX keeps one);
        creates it where ``can_create``."""
        ...

    def free_user(self, extension: str) -> None:
        """Mark ``extension`` as used by nobody, the PBX's way."""
        ...


class PbxError(IntegrationError):
    """The PBX answered and refused. ``code`` says why, for commands that care.

    Codes: unknown_extension, not_member, already_member, already_paused, not_paused,
    no_such_queue, auth, unsupported (this PBX cannot do it), rejected (anything else).
    """

    def __init__(self, message: str, code: str = "rejected") -> None:
        super().__init__("the PBX", message)
        self.code = code


class PbxUnreachable(Unreachable):
    def __init__(self, message: str) -> None:
        super().__init__("the PBX", message)


class Pbx(Protocol):
    """A queue on a PBX. Every call has a timeout; failures raise PbxError/PbxUnreachable."""

    name: str
    queue: str

    def queue_status(self) -> list[MemberStatus]:
        """Every member of the queue, ordered by extension."""
        ...

    def pause(self, extension: str, reason: str | None = None) -> None: ...

    def resume(self, extension: str) -> None: ...

    def add_member(self, extension: str) -> None: ...

    def remove_member(self, extension: str) -> None: ...

    def set_members(self, extensions: Sequence[str]) -> None:
        """Make the queue exactly these extensions; members who stay keep their pause."""
        ...

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        """Calls that entered the queue(s) in [start, end); PbxError "unsupported" when
        the backend has no call history."""
        ...

    def waiting_calls(self) -> LiveQueue | None:
        """The callers waiting now, or None when the backend cannot tell."""
        ...

    def originate(self, extension: str, number: str, ref: str) -> bool:
        """Ring ``extension`` and, once it answers, dial ``number`` (E.164): a callback's
        "Call now". Returns when the PBX has accepted the call (it proceeds on its own):
        True when the PBX will report how it went, in a ``CallOutcome`` naming ``ref``
        (which may come before this returns), False when it never tells. A PBX that
        cannot place calls raises PbxError with code ``unsupported``."""
        ...
