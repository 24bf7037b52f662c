"""A small synchronous client for the Asterisk Manager Interface (AMI).

Wire format (Asterisk ``main/manager.c``): the server greets with one line,
``Asterisk Call Manager/<version>``; then every message is ``Key: Value`` lines
ended by an empty line. A client tags each action with an ``ActionID``, which the
server echoes on the response and on every event of a list answer (QueueStatus
and friends). Unsolicited events can arrive between any two messages.

The parser is lenient where real servers and captures are untidy: LF-only line
ends, ``Response: Follows`` blocks ending with ``--END COMMAND--`` (Asterisk < 14
``Command``), and junk such as ``[218 bytes missing in capture file]Event: X``.
List answers end on ``EventList: Complete`` (Asterisk >= 13) or, on older
servers that send no ``EventList`` lines, on the completion event named by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from integrations.pbx.base import PbxError, PbxUnreachable

log = logging.getLogger(__name__)

_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9_\-()/.@]*): ?(.*)")
_STRAY_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9_-]*): ?(.*)")
_BANNER = re.compile(r"Call Manager[^/\r\n]*/(\S+)")
_STARTERS = frozenset({"event", "response", "action"})
_END_COMMAND = "--END COMMAND--"
_MAX_LINE = 1 << 16  # a line this long means the peer is not speaking AMI


@dataclass(frozen=True)
class Message:
    """One AMI message: its headers in wire order, plus the output of a Follows block."""

    headers: tuple[tuple[str, str], ...]
    output: tuple[str, ...] = ()

    def get(self, key: str) -> str | None:
        """The first value of ``key`` (AMI keys are case-insensitive), or None."""
        wanted = key.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")


class AmiProtocolError(Exception):
    """The peer sent something that is not AMI."""


def parse_banner(line: str) -> str:
    """The AMI version in the greeting line (``Asterisk Call Manager/1.3`` → ``1.3``)."""
    found = _BANNER.search(line)
    if found is None:
        raise AmiProtocolError(f"expected an 'Asterisk Call Manager/…' greeting, got {line[:60]!r}")
    return found.group(1)


class MessageParser:
    """Incremental parser: ``feed(bytes)`` returns the messages completed so far."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._output: list[str] | None = None  # not None inside a Response: Follows block

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = self._buffer[:end].decode("utf-8", "replace").rstrip("\r")
            del self._buffer[:end + 1]
            message = self._line(line)
            if message is not None:
                messages.append(message)
        if len(self._buffer) > _MAX_LINE:
            raise AmiProtocolError(f"a line longer than {_MAX_LINE} bytes")
        return messages

    def _line(self, line: str) -> Message | None:
        if self._output is not None:
            return self._follows_line(line)
        if not line.strip():
            return self._finish()
        header = _HEADER.fullmatch(line)
        flushed = None
        if header is None:
            # Junk: keep whatever well-formed header trails it, and let a message
            # start (Event/Response/Action) close the message the junk interrupted.
            header = _STRAY_HEADER.search(line)
            if header is None:
                log.debug("AMI: ignoring junk line %r", line[:80])
                return None
            if self._headers and header.group(1).lower() in _STARTERS:
                flushed = self._finish()
        key, value = header.group(1), header.group(2)
        self._headers.append((key, value))
        if key.lower() == "response" and value.strip().lower() == "follows":
            self._output = []
        return flushed

    def _follows_line(self, line: str) -> Message | None:
        assert self._output is not None
        end = line.find(_END_COMMAND)
        if end >= 0:
            if line[:end]:
                self._output.append(line[:end])
            return self._finish()
        header = _HEADER.fullmatch(line)
        # Privilege and ActionID come before the command's own output.
        if not self._output and header and header.group(1).lower() in ("privilege", "actionid"):
            self._headers.append((header.group(1), header.group(2)))
        else:
            self._output.append(line)
        return None

    def _finish(self) -> Message | None:
        if not self._headers:
            return None
        message = Message(tuple(self._headers), tuple(self._output or ()))
        self._headers, self._output = [], None
        return message


class AmiError(PbxError):
    """Asterisk answered ``Response: Error``; ``reason`` is its ``Message:`` text."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"Asterisk refused {action}: {reason}")
        self.action = action
        self.reason = reason


@dataclass(frozen=True)
class AmiReply:
    response: Message
    events: tuple[Message, ...] = ()


class _Dropped(Exception):
    """The peer closed or reset the connection."""


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.parser = MessageParser()
        self.pending: deque[Message] = deque()

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)

    def _recv(self, deadline: float) -> bytes:
        self._wait(deadline)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
            raise _Dropped from exc
        if not data:
            raise _Dropped
        return data

    def read_banner(self, deadline: float) -> str:
        data = b""
        while b"\n" not in data:
            if len(data) > 1024:
                raise AmiProtocolError(f"no greeting line, got {data[:60]!r}")
            data += self._recv(deadline)
        line, _, rest = data.partition(b"\n")
        version = parse_banner(line.decode("utf-8", "replace"))
        self.pending.extend(self.parser.feed(rest))
        return version

    def send(self, data: bytes, deadline: float) -> None:
        self._wait(deadline)
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
            raise _Dropped from exc

    def next_message(self, deadline: float) -> Message:
        while not self.pending:
            self.pending.extend(self.parser.feed(self._recv(deadline)))
        return self.pending.popleft()

    def alive(self) -> bool:
        """Drain what is already waiting without blocking; False if the peer hung up."""
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return False
                self.pending.extend(self.parser.feed(data))
        except BlockingIOError:
            return True
        except (OSError, AmiProtocolError):
            return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


Headers = Iterable[tuple[str, str]]


class AmiClient:
    """One logged-in AMI connection, opened on first use and reopened after a drop.

    Thread-safe: one lock serialises actions on the connection. ``timeout`` bounds
    each attempt (connect, greeting, login, send, answer) as a whole. A dropped
    connection is retried once: always when the action was not sent yet, and after
    sending only for ``idempotent`` actions (reads). Timeouts are never retried.
    """

    def __init__(self, host: str, port: int, username: str, secret: str,
                 timeout: float) -> None:
        self.host, self.port = host, port
        self.username, self._secret = username, secret
        self.timeout = timeout
        self.version: str | None = None  # from the greeting, once connected
        self._lock = threading.Lock()
        self._conn: _Connection | None = None
        self._prefix = f"sb-{secrets.token_hex(4)}"
        self._counter = 0

    def action(self, name: str, headers: Headers = (), *, idempotent: bool = False) -> Message:
        """Run an action; its ``Response: Success`` message. ``Response: Error`` → AmiError."""
        return self._run(name, list(headers), None, idempotent).response

    def list_action(self, name: str, headers: Headers = (), *, complete: str) -> AmiReply:
        """Run a list action (a read); ``complete`` names its last event (QueueStatusComplete)."""
        return self._run(name, list(headers), complete, True)

    def ping(self) -> Message:
        return self.action("Ping", idempotent=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                # A courtesy Logoff; nobody waits for its answer.
                with contextlib.suppress(OSError, _Dropped):
                    self._conn.send(_encode("Logoff", self._next_id(), []),
                                    time.monotonic() + min(self.timeout, 0.2))
                self._discard()

    # ------------------------------------------------------------------ internals

    def _run(self, name: str, headers: list[tuple[str, str]], complete: str | None,
             idempotent: bool) -> AmiReply:
        _check(name, headers)
        with self._lock:
            for attempt in (1, 2):
                deadline = time.monotonic() + self.timeout
                sent = False
                try:
                    conn = self._ready(deadline)
                    action_id = self._next_id()
                    conn.send(_encode(name, action_id, headers), deadline)
                    sent = True
                    return self._collect(conn, name, action_id, complete, deadline)
                except _Dropped:
                    self._discard()
                    if attempt == 1 and (idempotent or not sent):
                        log.info("AMI: connection to %s dropped; reconnecting for %s",
                                 self._where(), name)
                        continue
                    raise PbxUnreachable(
                        f"the connection to Asterisk at {self._where()} dropped during {name}"
                        + ("" if idempotent else "; the change may or may not have been made")
                    ) from None
                except TimeoutError:
                    self._discard()
                    raise PbxUnreachable(f"Asterisk at {self._where()} did not answer {name} "
                                         f"within {self.timeout:g} s") from None
                except AmiProtocolError as exc:
                    self._discard()
                    raise PbxUnreachable(f"{self._where()} does not speak AMI: {exc}") from None
                except OSError as exc:
                    self._discard()
                    raise PbxUnreachable(f"the connection to Asterisk at {self._where()} failed "
                                         f"during {name}: {exc.strerror or exc}") from None
            raise AssertionError("unreachable")  # pragma: no cover

    def _ready(self, deadline: float) -> _Connection:
        if self._conn is not None and self._conn.alive():
            return self._conn
        self._discard()
        conn = _Connection(self._connect(deadline))
        try:
            self.version = conn.read_banner(deadline)
            login = [("Username", self.username), ("Secret", self._secret), ("Events", "off")]
            action_id = self._next_id()
            conn.send(_encode("Login", action_id, login), deadline)
            self._collect(conn, "Login", action_id, None, deadline)
        except AmiError as exc:
            conn.close()
            raise PbxError(f"Asterisk refused the manager login of user {self.username!r} "
                           f"({exc.reason}); check AMI_USER and AMI_SECRET", "auth") from None
        except TimeoutError:
            conn.close()
            raise PbxUnreachable(f"Asterisk at {self._where()} accepted the connection but did "
                                 f"not greet and log in within {self.timeout:g} s") from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _connect(self, deadline: float) -> socket.socket:
        remaining = deadline - time.monotonic()
        try:
            return socket.create_connection((self.host, self.port), timeout=max(remaining, 0.001))
        except TimeoutError:
            raise PbxUnreachable(f"no answer from Asterisk at {self._where()} within "
                                 f"{self.timeout:g} s (connecting)") from None
        except ConnectionRefusedError:
            raise PbxUnreachable(f"Asterisk refused the connection at {self._where()}: is the "
                                 "manager interface enabled (manager.conf) and the port right?"
                                 ) from None
        except socket.gaierror:
            raise PbxUnreachable(f"cannot resolve the Asterisk host {self.host!r}") from None
        except OSError as exc:
            raise PbxUnreachable(f"cannot connect to Asterisk at {self._where()}: "
                                 f"{exc.strerror or exc}") from None

    def _collect(self, conn: _Connection, name: str, action_id: str, complete: str | None,
                 deadline: float) -> AmiReply:
        response: Message | None = None
        events: list[Message] = []
        while True:
            message = conn.next_message(deadline)
            if message.action_id != action_id:
                continue  # unsolicited event, or the late answer to someone else
            if response is None and message.response is not None:
                if message.response.strip().lower() == "error":
                    raise AmiError(name, message.get("Message") or "no reason given")
                response = message
                if complete is None:
                    return AmiReply(response)
                continue
            if response is None or message.event is None:
                continue
            if ((message.get("EventList") or "").strip().lower() == "complete"
                    or message.event.strip().lower() == (complete or "").lower()):
                return AmiReply(response, tuple(events))
            events.append(message)

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _next_id(self) -> str:
        self._counter += 1
        return f"{self._prefix}-{self._counter}"

    def _where(self) -> str:
        return f"{self.host}:{self.port}"


def _check(name: str, headers: list[tuple[str, str]]) -> None:
    for key, value in [("Action", name), *headers]:
        # A line break inside a value would let it smuggle in headers or whole actions.
        if not _HEADER.fullmatch(f"{key}: x") or "\r" in value or "\n" in value:
            raise ValueError(f"AMI header {key!r} has a line break or an invalid name")


def _encode(name: str, action_id: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [("Action", name), ("ActionID", action_id), *headers]
    return "".join(f"{key}: {value}\r\n" for key, value in lines).encode() + b"\r\n"
