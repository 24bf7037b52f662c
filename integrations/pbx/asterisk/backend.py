"""The Asterisk backend: one app_queue queue driven over AMI.

What AMI can and cannot say, and what this backend does about it:

- Members come from ``QueueStatus`` (``QueueMember`` events). A member's extension
  is read from its interface with the ``AMI_INTERFACE`` template (``PJSIP/{extension}``)
  tried on Location, StateInterface and Name in turn; members that match none (agent
  callback members such as ``Agent/220`` on ``Local/id-9@agentcallback``) fall back to
  FreePBX's naming (``Local/9921@from-queue/n`` with state interface ``SIP/9921`` is
  extension 9921 under any template), then to the trailing digits of their name. Pause,
  resume and remove use the interface Asterisk reported for the member, so those members
  can be driven too.
- ``Status`` is the device state (``devicestate.h``), mapped in ``_STATES``. ``InCall``
  (Asterisk >= 13) marks a bridged member whose device still reads idle as in_call.
- QueueMember has no talk time per member: ``seconds_in_calls`` is always 0. The
  counters that exist (CallsTaken, LastCall, LastPause) are reported.
- Pausing an already paused member is not an error for Asterisk (it replaces the
  reason), so pause/resume read the queue first and refuse as the other backends do.
- AMI cannot list devices cheaply and QueueAdd accepts any interface. Extensions must
  look like one (``_EXTENSION``), and a member Asterisk reports as INVALID right after
  being added (no such device for its channel driver, e.g. an unknown PJSIP endpoint or
  technology) is removed again and refused as ``unknown_extension``.
- ``waiting_calls`` reads the same ``QueueStatus`` answer's ``QueueParams`` (Calls,
  Completed, Abandoned, ServicelevelPerf) and one ``QueueEntry`` per waiting caller
  (Position, CallerIDNum, Wait).
- AMI keeps no call history: ``call_records`` reads the PBX's queue_log file when its
  path is configured (``ASTERISK_QUEUE_LOG``), with the same reading as
  ``switchboard calls import-queue-log``; otherwise it is unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from integrations.pbx.asterisk.ami import AmiClient, AmiError, AmiReply, Message
from integrations.pbx.asterisk.queue_log_file import calls_in_file
from integrations.pbx.asterisk.users import PjsipUsers
from integrations.pbx.base import (
    ANSWERED,
    BUSY,
    CONGESTION,
    FAILURE,
    NO_ANSWER,
    CallInfo,
    CallOutcome,
    LiveQueue,
    MemberState,
    MemberStatus,
    PbxError,
    PbxUser,
    WaitingCall,
)

_STATES = {
    0: MemberState.UNKNOWN,       # UNKNOWN
    1: MemberState.AVAILABLE,     # NOT_INUSE
    2: MemberState.IN_CALL,       # INUSE
    3: MemberState.BUSY,          # BUSY
    4: MemberState.DISCONNECTED,  # INVALID
    5: MemberState.DISCONNECTED,  # UNAVAILABLE
    6: MemberState.RINGING,       # RINGING
    7: MemberState.RINGING,       # RINGINUSE
    8: MemberState.ON_HOLD,       # ONHOLD
}
_INVALID = 4
_EXTENSION_CHARS = r"[0-9A-Za-z*#+_.-]{1,32}"
_EXTENSION = re.compile(_EXTENSION_CHARS)
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_FREEPBX_LOCAL = re.compile(r"Local/(\d{1,32})@from-(?:queue|internal)(?:/n)?", re.IGNORECASE)
_NUMBER = re.compile(r"\+?\d{3,20}")
ORIGINATE_RING_MS = 30_000  # how long the agent's phone rings before Asterisk gives up


@dataclass(frozen=True)
class QueueMember:
    """A member as Asterisk lists it: our status plus what AMI needs to address it."""

    status: MemberStatus
    interface: str
    device_state: int | None


class AsteriskPbx:
    name = "asterisk"

    def __init__(self, client: AmiClient, queue: str,
                 interface_template: str = "PJSIP/{extension}",
                 dial_context: str = "from-internal", *,
                 queue_log: str = "", queue_log_zone: tzinfo = UTC,
                 pjsip_include: str = "") -> None:
        if interface_template.count("{extension}") != 1:
            raise ValueError("the AMI interface template must contain {extension} once, "
                             f"like PJSIP/{{extension}}; got {interface_template!r}")
        self.client = client
        self.queue = queue
        self.interface_template = interface_template
        self.dial_context = dial_context
        self.queue_log = queue_log
        # pbx sync's users: the generated PJSIP include file (none: not offered).
        self._users = PjsipUsers(pjsip_include, client) if pjsip_include else None
        self.queue_log_zone = queue_log_zone
        before, _, after = interface_template.partition("{extension}")
        self._template = re.compile(
            re.escape(before) + f"({_EXTENSION_CHARS})" + re.escape(after), re.IGNORECASE)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ reading

    def queue_status(self) -> list[MemberStatus]:
        return [m.status for m in self.members()]

    def members(self) -> list[QueueMember]:
        """Every member of the queue as Asterisk reports it, ordered by extension."""
        found = [self._member(e) for e in self._status() if e.event == "QueueMember"]
        return sorted(found, key=lambda m: m.status.extension)

    def waiting_calls(self) -> LiveQueue:
        events = self._status()
        params = next(e for e in events if e.event == "QueueParams")
        entries = [e for e in events if e.event == "QueueEntry"]
        waiting = tuple(sorted(
            (WaitingCall(position=_int(e.get("Position")) or n,
                         caller=(e.get("CallerIDNum") or "").strip() or None,
                         wait_seconds=float(_int(e.get("Wait")) or 0))
             for n, e in enumerate(entries, start=1)), key=lambda w: w.position))
        level = params.get("ServicelevelPerf") or params.get("ServiceLevelPerf")
        try:
            level_pct = float(level) if level not in (None, "") else None
        except ValueError:
            level_pct = None
        return LiveQueue(calls=_int(params.get("Calls")) or len(waiting), waiting=waiting,
                         completed=_int(params.get("Completed")),
                         abandoned=_int(params.get("Abandoned")), service_level_pct=level_pct)

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        if not self.queue_log:
            raise PbxError("AMI keeps no history of calls: set ASTERISK_QUEUE_LOG to the "
                           "queue_log file, or import it with switchboard calls "
                           "import-queue-log", "unsupported")
        return calls_in_file(self.queue_log, start, end, zone=self.queue_log_zone,
                             template=self.interface_template)

    def _status(self) -> list[Message]:
        """This queue's events of one QueueStatus answer (QueueParams first)."""
        try:
            reply: AmiReply = self.client.list_action("QueueStatus", [("Queue", self.queue)],
                                                      complete="QueueStatusComplete")
        except AmiError as exc:
            raise self._refusal(exc, None) from None
        ours = [e for e in reply.events if (e.get("Queue") or "").lower() == self.queue.lower()]
        # Asterisk always sends QueueParams for a queue it knows (no Member filter here).
        if not any(e.event == "QueueParams" for e in ours):
            raise PbxError(f"Asterisk has no queue named {self.queue!r}", "no_such_queue")
        return ours

    # ------------------------------------------------------------------ changing

    def pause(self, extension: str, reason: str | None = None) -> None:
        member = self._current(extension)
        if member.status.paused:
            why = member.status.pause_reason
            raise PbxError(f"extension {extension} is already paused"
                           + (f" ({why})" if why else ""), "already_paused")
        cleaned = " ".join((reason or "").split())  # one line: it travels as a header
        headers = [("Interface", member.interface), ("Paused", "true"), ("Queue", self.queue)]
        self._change("QueuePause", headers + ([("Reason", cleaned)] if cleaned else []),
                     extension)

    def resume(self, extension: str) -> None:
        member = self._current(extension)
        if not member.status.paused:
            raise PbxError(f"extension {extension} is not paused", "not_paused")
        self._change("QueuePause", [("Interface", member.interface), ("Paused", "false"),
                                    ("Queue", self.queue)], extension)

    def add_member(self, extension: str) -> None:
        self._check(extension)
        self._add(extension)
        problems = self._refuse_invalid([extension])
        if problems:
            raise problems[0]

    def remove_member(self, extension: str) -> None:
        self._remove(self._current(extension), extension)

    def set_members(self, extensions: Sequence[str]) -> None:
        """Add and remove the difference; who stays keeps their pause.

        Every extension is checked before anything changes. Then each change is tried
        on its own (AMI has no transaction): one failure does not stop the others, and
        the failures are raised together at the end.
        """
        wanted = list(dict.fromkeys(extensions))
        for extension in wanted:
            self._check(extension)
        current = {m.status.extension: m for m in self.members()}
        problems: list[PbxError] = []
        added: list[str] = []
        for extension in wanted:
            if extension not in current:
                try:
                    self._add(extension)
                    added.append(extension)
                except PbxError as exc:
                    problems.append(exc)
        for extension, member in current.items():
            if extension not in wanted:
                try:
                    self._remove(member, extension)
                except PbxError as exc:
                    problems.append(exc)
        if added:
            problems += self._refuse_invalid(added)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise PbxError("the queue was set except: " + "; ".join(p.message for p in problems),
                           problems[0].code if len({p.code for p in problems}) == 1
                           else "rejected")

    def originate(self, extension: str, number: str, ref: str) -> bool:
        """AMI ``Originate`` with ``Async: true``: Asterisk rings the extension's device
        (the AMI_INTERFACE template) and, once it answers, sends it to ``number`` at
        priority 1 of the dial context (CALLBACK_DIAL_CONTEXT). The answer only says the
        call is queued (``Originate successfully queued``); Asterisk reports the outcome
        later in an ``OriginateResponse`` event with the same ActionID: ``ref`` is sent as
        the ActionID (``call_outcome`` reads the event). Never retried: a second attempt
        could ring the agent twice."""
        self._check(extension)
        if not _NUMBER.fullmatch(number):
            raise PbxError(f"{number!r} is not a number Asterisk can dial", "rejected")
        self._change("Originate", [
            ("Channel", self.interface_template.format(extension=extension)),
            ("Context", self.dial_context), ("Exten", number), ("Priority", "1"),
            ("CallerID", f"Callback <{number}>"), ("Timeout", str(ORIGINATE_RING_MS)),
            ("Async", "true"), ("Variable", f"SWITCHBOARD_CALLBACK_TO={number}")], extension,
            action_id=ref)
        return True

    # ------------------------------------------------------------------ helpers

    def _check(self, extension: str) -> None:
        if not _EXTENSION.fullmatch(extension):
            raise PbxError(f"{extension!r} is not an extension: use 1 to 32 digits, letters "
                           "or * # + _ . -", "unknown_extension")

    def _current(self, extension: str) -> QueueMember:
        self._check(extension)
        for member in self.members():
            if member.status.extension == extension:
                return member
        raise PbxError(f"extension {extension} is not a member of queue {self.queue}",
                       "not_member")

    def _add(self, extension: str) -> None:
        interface = self.interface_template.format(extension=extension)
        self._change("QueueAdd", [("Queue", self.queue), ("Interface", interface)], extension)

    def _remove(self, member: QueueMember, extension: str) -> None:
        self._change("QueueRemove", [("Queue", self.queue), ("Interface", member.interface)],
                     extension)

    def _refuse_invalid(self, added: list[str]) -> list[PbxError]:
        """Take back the new members whose device Asterisk does not know."""
        invalid = [m for m in self.members()
                   if m.status.extension in added and m.device_state == _INVALID]
        problems: list[PbxError] = []
        for member in invalid:
            extension = member.status.extension
            try:
                self._remove(member, extension)
            except PbxError as exc:
                problems.append(exc)
            problems.append(PbxError(
                f"extension {extension} does not exist on the PBX (Asterisk reports its device "
                f"{member.interface} as invalid)", "unknown_extension"))
        return problems

    def _change(self, action: str, headers: list[tuple[str, str]], extension: str, *,
                action_id: str | None = None) -> None:
        try:
            self.client.action(action, headers, action_id=action_id)
        except AmiError as exc:
            raise self._refusal(exc, extension) from None

    def _refusal(self, exc: AmiError, extension: str | None) -> PbxError:
        """Asterisk's error texts (app_queue.c manager_* functions) in our terms."""
        reason = exc.reason.lower()
        who = f"extension {extension}"
        if "already there" in reason:
            return PbxError(f"{who} is already in queue {self.queue}", "already_member")
        if "no such queue" in reason:
            return PbxError(f"Asterisk has no queue named {self.queue!r}", "no_such_queue")
        if "not there" in reason or "interface not found" in reason:
            return PbxError(f"{who} is not a member of queue {self.queue}", "not_member")
        if "not dynamic" in reason:
            return PbxError(f"{who} is a static member of queue {self.queue} (queues.conf); "
                            "Asterisk cannot remove it over AMI", "rejected")
        if "permission denied" in reason:
            return PbxError(f"the manager user {self.client.username!r} may not run "
                            f"{exc.action}: grant it the 'agent' class in manager.conf", "auth")
        return PbxError(exc.message, "rejected")

    def _member(self, event: Message) -> QueueMember:
        interface = event.get("Location") or event.get("Interface") or ""
        name = event.get("Name") or event.get("MemberName") or ""
        device_state = _int(event.get("Status"))
        state = _STATES.get(device_state if device_state is not None else -1,
                            MemberState.UNKNOWN)
        if event.get("InCall") == "1" and state in (MemberState.AVAILABLE, MemberState.UNKNOWN):
            state = MemberState.IN_CALL
        paused = (event.get("Paused") or "").strip().lower() in ("1", "true", "yes")
        status = MemberStatus(
            extension=self._extension(interface, event.get("StateInterface") or "", name),
            state=state,
            paused=paused,
            pause_reason=((event.get("PausedReason") or "").strip() or None) if paused else None,
            paused_since=_epoch(event.get("LastPause")) if paused else None,
            calls_taken=_int(event.get("CallsTaken")) or 0,
            last_call_at=_epoch(event.get("LastCall")),
        )
        if not status.extension:
            status = replace(status, extension=interface)
        return QueueMember(status, interface, device_state)

    # ------------------------------------------------------------------ users (pbx sync)

    can_create = True

    def users(self) -> list[PbxUser]:
        return self._user_file().users()

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        return self._user_file().stored_as(extension, name, email)

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        self._check(extension)
        self._user_file().set_user(extension, name, email)

    def free_user(self, extension: str) -> None:
        self._user_file().free_user(extension)

    def _user_file(self) -> PjsipUsers:
        if self._users is None:
            raise PbxError("Asterisk's users are kept in a generated PJSIP include file: "
                           "set ASTERISK_PJSIP_INCLUDE to its path", "unsupported")
        return self._users

    def extension_of(self, event: Message) -> str | None:
        """The extension an app_queue event names (``Interface`` or ``Location``,
        ``StateInterface``, ``MemberName``), read as the queue's members are."""
        interface = event.get("Interface") or event.get("Location") or ""
        name = event.get("MemberName") or event.get("Name") or ""
        if not (interface or name):
            return None
        return self._extension(interface, event.get("StateInterface") or "", name)

    def _extension(self, interface: str, state_interface: str, name: str) -> str:
        for candidate in (interface, state_interface, name):
            found = self._template.fullmatch(candidate.strip())
            if found:
                return found.group(1)
        # FreePBX names dynamic members Local/9921@from-queue/n with state interface
        # SIP/9921 (or PJSIP/9921): the extension is the same under any template.
        found = _FREEPBX_LOCAL.fullmatch(interface.strip())
        if found:
            return found.group(1)
        digits = _TRAILING_DIGITS.search(name.strip())
        return digits.group(1) if digits else name.strip()


# OriginateResponse's Reason is the last control frame of the first leg (the agent's
# device): frame.h's AST_CONTROL_HANGUP 1, RINGING 3 (rang out), ANSWER 4, BUSY 5,
# CONGESTION 8; 0 when the channel could not even be requested.
_ORIGINATE_REASONS = {"1": NO_ANSWER, "3": NO_ANSWER, "4": ANSWERED, "5": BUSY,
                      "8": CONGESTION}


def call_outcome(event: Message) -> CallOutcome | None:
    """The outcome an ``OriginateResponse`` event reports, or None for any other event."""
    if (event.event or "").lower() != "originateresponse" or not event.action_id:
        return None
    if (event.get("Response") or "").strip().lower() == "success":
        return CallOutcome(event.action_id, ANSWERED)
    reason = _ORIGINATE_REASONS.get((event.get("Reason") or "").strip(), FAILURE)
    return CallOutcome(event.action_id, FAILURE if reason == ANSWERED else reason)


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _epoch(value: str | None) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None
