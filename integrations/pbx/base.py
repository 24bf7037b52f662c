"""The PBX interface every backend implements, and its canonical member status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from integrations.errors import IntegrationError, Unreachable

__all__ = ["CallInfo", "MemberState", "MemberStatus", "Pbx", "PbxError", "PbxUnreachable"]


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
class CallInfo:
    """One call through the queue, as the PBX reports it (for the stats)."""

    call_id: str
    queue: str
    entered_at: datetime
    outcome: str  # answered | abandoned | waiting | ringing | completed
    caller: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    extension: str | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None


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
        """Calls that entered the queue in [start, end)."""
        ...

    def originate(self, extension: str, number: str) -> None:
        """Ring ``extension`` and, once it answers, dial ``number`` (E.164): a callback's
        "Call now". Returns when the PBX has accepted the call (it proceeds on its own);
        a PBX that cannot place calls raises PbxError with code ``unsupported``."""
        ...
