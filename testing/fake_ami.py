"""Local AMI peers on 127.0.0.1 (port 0, one thread per connection).

``FakeAmi`` keeps queues, members and device states and answers the actions the
Asterisk backend uses with Asterisk's own texts (docs/protocols/asterisk.md), in the
modern shape (``EventList:`` lines, PausedReason, LastPause, InCall) or the pre-13
one (none of those). It can chatter unsolicited events between answers, drop
connections, and go silent. ``replay_ami.py`` plays real captures back on the same
``AmiServer``.

Both parse what the client sends with their own few lines, not with the code under test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Pairs = list[tuple[str, str]]

# Unsolicited traffic a busy server sends: events without ActionID, and answers and
# list events that belong to another client's ActionID.
NOISE: list[Pairs] = [
    [("Event", "PeerStatus"), ("Privilege", "system,all"), ("ChannelType", "PJSIP"),
     ("Peer", "PJSIP/101"), ("PeerStatus", "Reachable")],
    [("Response", "Success"), ("ActionID", "someone-else-7"), ("Message", "Interface paused successfully")],
    [("Event", "QueueMember"), ("Queue", "support"), ("Name", "PJSIP/666"), ("Location", "PJSIP/666"),
     ("StateInterface", "PJSIP/666"), ("Status", "1"), ("Paused", "0"), ("ActionID", "someone-else-8")],
    [("Event", "QueueStatusComplete"), ("ActionID", "someone-else-8"), ("EventList", "Complete")],
]


class AmiPeer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""
        self._send_lock = threading.Lock()
        self.events: frozenset[str] = frozenset()  # the classes its Login asked for

    def read_action(self) -> dict[str, str] | None:
        """The next client message as lower-cased keys (first value wins); None at EOF."""
        while True:
            lines: list[str] = []
            while True:
                end = self._buffer.find(b"\n")
                if end < 0:
                    data = self.sock.recv(65536)
                    if not data:
                        return None
                    self._buffer += data
                    continue
                line = self._buffer[:end].decode().rstrip("\r")
                self._buffer = self._buffer[end + 1:]
                if not line:
                    break
                lines.append(line)
            if lines:
                action: dict[str, str] = {}
                for line in lines:
                    key, _, value = line.partition(":")
                    action.setdefault(key.strip().lower(), value.strip())
                return action

    def send(self, text: str) -> None:
        with self._send_lock:
            self.sock.sendall(text.encode())


class AmiServer:
    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.connections = 0

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def start(self) -> AmiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.drop_connections()
        self._thread.join(timeout=5)

    def drop_connections(self) -> None:
        """Close every open connection from the server side (a restart, a firewall)."""
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._conns_lock:
                self._conns.add(sock)
                self.connections += 1
            threading.Thread(target=self._run, args=(sock,), daemon=True).start()

    def _run(self, sock: socket.socket) -> None:
        try:
            self.serve(AmiPeer(sock))
        except OSError:
            pass
        finally:
            with self._conns_lock:
                self._conns.discard(sock)
            sock.close()

    def serve(self, peer: AmiPeer) -> None:
        raise NotImplementedError


def render(pairs: Pairs) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"


@dataclass
class FakeMember:
    interface: str
    name: str
    state_interface: str
    dynamic: bool = True
    paused: bool = False
    reason: str = ""
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    in_call: bool | None = None  # None: in a call exactly when the device is INUSE
    login_time: int = field(default_factory=lambda: int(time.time()))


class FakeAmi(AmiServer):
    """An Asterisk manager with app_queue queues. Unknown devices read INVALID (4)."""

    def __init__(self, *, username: str = "switchboard",
                 secret: str = "s3cret",  # noqa: S107 - a test peer's account
                 queues: tuple[str, ...] = ("support",), modern: bool = True) -> None:
        super().__init__()
        self.username, self.secret, self.modern = username, secret, modern
        self.banner = "Asterisk Call Manager/" + ("5.0.1" if modern else "1.3")
        self.queues: dict[str, dict[str, FakeMember]] = {q: {} for q in queues}
        # Callers waiting per queue: (caller id number, seconds waited), in position order.
        self.waiting: dict[str, list[tuple[str, int]]] = {q: [] for q in queues}
        self.completed, self.abandoned, self.service_level_perf = 0, 0, "0.0"
        self.devices: dict[str, int] = {}
        self.received: list[dict[str, str]] = []
        self.noise: list[Pairs] = []  # sent before every answer and between list events
        self.silent = threading.Event()
        self._drop_on: dict[str, bool] = {}
        self.denied: set[str] = set()  # actions this manager user may not run
        self.before: dict[str, Callable[[], None]] = {}  # run before answering an action
        self.lock = threading.RLock()
        self.sessions: list[AmiPeer] = []  # logged-in peers, for events
        self.after_answer: list[Callable[[], object]] = []
        # The OriginateResponse Reason per device state (Status numbers), as app_queue's
        # neighbour main/manager.c reports it: NOT_INUSE answers (4), INUSE and BUSY are
        # busy (5), RINGING rings out (3), INVALID/UNAVAILABLE cannot be requested (0).
        self.originate_reasons: dict[int, str] = {1: "4", 2: "5", 3: "5", 6: "3"}

    # ------------------------------------------------------------------ test controls

    def add_member(self, queue: str, interface: str, *, name: str | None = None,
                   state_interface: str | None = None, **fields: object) -> FakeMember:
        member = FakeMember(interface, name or interface, state_interface or interface)
        for key, value in fields.items():
            setattr(member, key, value)
        with self.lock:
            self.queues[queue][interface] = member
        return member

    def member(self, queue: str, interface: str) -> FakeMember | None:
        with self.lock:
            return self.queues[queue].get(interface)

    def actions(self, name: str) -> list[dict[str, str]]:
        with self.lock:
            return [a for a in self.received if a.get("action", "").lower() == name.lower()]

    def drop_on(self, action: str, *, apply: bool) -> None:
        """On the next ``action``: carry it out (or not), then hang up without answering."""
        self._drop_on[action.lower()] = apply

    def emit(self, pairs: Pairs, event_class: str) -> int:
        """Send an unsolicited event to every session whose Login asked for its class
        (``Events: on`` asks for all); how many sessions it went to."""
        with self.lock:
            peers = [p for p in self.sessions if "on" in p.events or event_class in p.events]
        text = render([*pairs[:1], ("Privilege", f"{event_class},all"), *pairs[1:]])
        for peer in peers:
            with contextlib.suppress(OSError):
                peer.send(text)
        return len(peers)

    def go_silent(self) -> None:
        """Accept connections and read actions, but never send a byte again."""
        self.silent.set()

    # ------------------------------------------------------------------ the protocol

    def serve(self, peer: AmiPeer) -> None:
        try:
            self._serve(peer)
        finally:
            with self.lock:
                if peer in self.sessions:
                    self.sessions.remove(peer)

    def _serve(self, peer: AmiPeer) -> None:
        if not self.silent.is_set():
            peer.send(self.banner + "\r\n")
        authenticated = False
        while (action := peer.read_action()) is not None:
            with self.lock:
                self.received.append(action)
            if self.silent.is_set():
                continue
            name = action.get("action", "")
            action_id = action.get("actionid")
            if name.lower() in self._drop_on:
                if self._drop_on.pop(name.lower()):
                    self._answer(name, action, action_id)
                return
            out = [render(pairs) for pairs in self.noise]
            if not name:
                messages = [_error(action_id, "Missing action in request")]
            elif name.lower() == "login":
                authenticated = (action.get("username") == self.username
                                 and action.get("secret") == self.secret)
                messages = ([_success(action_id, "Authentication accepted")] if authenticated
                            else [_error(action_id, "Authentication failed")])
                if authenticated:
                    events = action.get("events", "on").lower()
                    peer.events = frozenset(c.strip() for c in events.split(",")) - {"off"}
                    with self.lock:
                        self.sessions.append(peer)
            elif not authenticated:
                messages = [_error(action_id, "Permission denied")]
            else:
                messages = self._answer(name, action, action_id)
            for index, pairs in enumerate(messages):
                if index and self.noise:
                    out.append(render(self.noise[0]))
                out.append(render(pairs))
            peer.send("".join(out))  # one write: no Nagle/delayed-ACK stalls in tests
            with self.lock:
                later, self.after_answer = self.after_answer, []
            for then in later:
                then()

    def _answer(self, name: str, a: dict[str, str], aid: str | None) -> list[Pairs]:
        if name.lower() in self.before:
            self.before[name.lower()]()
        if name.lower() in self.denied:
            return [_error(aid, "Permission denied")]
        handler = {"ping": self._ping, "queuestatus": self._status, "queuepause": self._pause,
                   "queueadd": self._add, "queueremove": self._remove,
                   "originate": self._originate, "command": self._command}.get(name.lower())
        if handler is None:
            return [_error(aid, f"Invalid/unknown command: {name}. "
                                "Use Action: ListCommands to show available commands.")]
        with self.lock:
            return handler(a, aid)

    def _ping(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        return [[*_with_id([("Response", "Success")], aid), ("Ping", "Pong"),
                 ("Timestamp", f"{time.time():.6f}")]]

    def _status(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        wanted, member_filter = a.get("queue", ""), a.get("member", "")
        events: list[Pairs] = []
        for queue, members in self.queues.items():
            if wanted and queue.lower() != wanted.lower():
                continue
            if not member_filter:
                events.append([("Event", "QueueParams"), ("Queue", queue), ("Max", "0"),
                               ("Strategy", "ringall"),
                               ("Calls", str(len(self.waiting.get(queue, [])))),
                               ("Holdtime", "0"), ("TalkTime", "0"),
                               ("Completed", str(self.completed)),
                               ("Abandoned", str(self.abandoned)), ("ServiceLevel", "20"),
                               ("ServicelevelPerf", self.service_level_perf)]
                              + ([("ServicelevelPerf2", "0.0")] if self.modern else [])
                              + [("Weight", "0")])
            for m in members.values():
                if member_filter in ("", m.interface, m.name):
                    events.append(self._member_event(queue, m))
            if not member_filter:
                for position, (caller, wait) in enumerate(self.waiting.get(queue, []), 1):
                    events.append([("Event", "QueueEntry"), ("Queue", queue),
                                   ("Position", str(position)),
                                   ("Channel", f"PJSIP/trunk-{position:08x}"),
                                   ("Uniqueid", f"1764000000.{position}"),
                                   ("CallerIDNum", caller), ("CallerIDName", "unknown"),
                                   ("ConnectedLineNum", "unknown"),
                                   ("ConnectedLineName", "unknown"), ("Wait", str(wait)),
                                   ("Priority", "0")])
        start = [("EventList", "start")] if self.modern else []
        done = [("EventList", "Complete"), ("ListItems", str(len(events)))] if self.modern else []
        return ([_with_id([("Response", "Success")], aid) + start
                 + [("Message", "Queue status will follow")]]
                + [pairs + _id(aid) for pairs in events]
                + [[("Event", "QueueStatusComplete"), *_id(aid), *done]])

    def _member_event(self, queue: str, m: FakeMember) -> Pairs:
        state = self.devices.get(m.state_interface, 4)
        head = [("Event", "QueueMember"), ("Queue", queue), ("Name", m.name),
                ("Location", m.interface), ("StateInterface", m.state_interface),
                ("Membership", "dynamic" if m.dynamic else "static"), ("Penalty", "0"),
                ("CallsTaken", str(m.calls_taken)), ("LastCall", str(m.last_call))]
        if not self.modern:
            return [*head, ("Status", str(state)), ("Paused", str(int(m.paused)))]
        return [*head, ("LastPause", str(m.last_pause)), ("LoginTime", str(m.login_time)),
                ("InCall", str(int(state == 2 if m.in_call is None else m.in_call))), ("Status", str(state)),
                ("Paused", str(int(m.paused))), ("PausedReason", m.reason), ("Wrapuptime", "0")]

    def _pause(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        interface, paused = a.get("interface", ""), a.get("paused", "")
        if not interface or not paused:
            return [_error(aid, "Need 'Interface' and 'Paused' parameters.")]
        queues = [q for q in self.queues if q.lower() == a.get("queue", q).lower()]
        found = [self.queues[q][interface] for q in queues if interface in self.queues[q]]
        if not found:
            return [_error(aid, "Interface not found")]
        on = paused.lower() in ("1", "true", "yes", "on")
        for m in found:
            m.paused, m.reason = on, a.get("reason", "") if on else ""
            if on:
                m.last_pause = int(time.time())
        return [_success(aid, f"Interface {'paused' if on else 'unpaused'} successfully")]

    def _add(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        queue, interface = a.get("queue", ""), a.get("interface", "")
        if not queue:
            return [_error(aid, "'Queue' not specified.")]
        if not interface:
            return [_error(aid, "'Interface' not specified.")]
        if queue not in self.queues:
            return [_error(aid, "Unable to add interface to queue: No such queue")]
        if interface in self.queues[queue]:
            return [_error(aid, "Unable to add interface: Already there")]
        self.add_member(queue, interface, name=a.get("membername") or None,
                        state_interface=a.get("stateinterface") or None,
                        paused=a.get("paused", "").lower() in ("1", "true"))
        return [_success(aid, "Added interface to queue")]

    def _remove(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        queue, interface = a.get("queue", ""), a.get("interface", "")
        if not queue or not interface:
            return [_error(aid, "Need 'Queue' and 'Interface' parameters.")]
        if queue not in self.queues:
            return [_error(aid, "Unable to remove interface from queue: No such queue")]
        member = self.queues[queue].get(interface)
        if member is None:
            return [_error(aid, "Unable to remove interface: Not there")]
        if not member.dynamic:
            return [_error(aid, "Member not dynamic")]
        del self.queues[queue][interface]
        return [_success(aid, "Removed interface from queue")]


    def _command(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        """A CLI command; Asterisk 14+ answers Success with Output lines."""
        command = a.get("command", "")
        if command.startswith("module reload"):
            return [[*_with_id([("Response", "Success")], aid),
                     ("Message", "Command output follows"),
                     ("Output", f"Module '{command.split()[-1]}' reloaded successfully.")]]
        return [[*_with_id([("Response", "Success")], aid),
                 ("Message", "Command output follows"),
                 ("Output", f"No such command '{command}'")]]

    def _originate(self, a: dict[str, str], aid: str | None) -> list[Pairs]:
        """Async Originate: queued at once; its fate follows as an OriginateResponse."""
        channel = a.get("channel", "")
        if not channel or not (a.get("exten") or a.get("application")):
            return [_error(aid, "Channel not specified" if not channel
                            else "Exten or Application not specified")]
        reason = self.originate_reasons.get(self.devices.get(channel, 4), "0")
        event = [("Event", "OriginateResponse"), *_id(aid),
                 ("Response", "Success" if reason == "4" else "Failure"), ("Channel", channel),
                 ("Context", a.get("context", "")), ("Exten", a.get("exten", "")),
                 ("Application", ""), ("Data", ""), ("Reason", reason),
                 ("Uniqueid", "1700000000.42"), ("CallerIDNum", "<unknown>"),
                 ("CallerIDName", "<unknown>")]
        # Raised once the call is tried, after the answer: to every session listening
        # to the "call" class (the one that sent the action only if it listens too).
        self.after_answer.append(lambda: self.emit(event, "call"))
        return [_success(aid, "Originate successfully queued")]


def _id(aid: str | None) -> Pairs:
    return [("ActionID", aid)] if aid is not None else []


def _with_id(pairs: Pairs, aid: str | None) -> Pairs:
    return pairs[:1] + _id(aid) + pairs[1:]


def _success(aid: str | None, message: str) -> Pairs:
    return _with_id([("Response", "Success"), ("Message", message)], aid)


def _error(aid: str | None, message: str) -> Pairs:
    return _with_id([("Response", "Error"), ("Message", message)], aid)
