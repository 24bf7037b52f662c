"""A small synchronous client for the Asterisk Manager Interface (AMI).

The wire format and its parser are in ``ami_wire.py``. The client logs in, tags
each action with an ``ActionID`` and picks its answer out of the stream, skipping
unsolicited events and answers meant for others. List answers end on
``EventList: Complete`` (Asterisk >= 13) or, on older servers that send no
``EventList`` lines, on the completion event named by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from integrations.pbx.asterisk.ami_wire import (
    AmiProtocolError,
    Message,
    MessageParser,
    check_action,
    encode_action,
    parse_banner,
)
from integrations.pbx.base import PbxError, PbxUnreachable

__all__ = ["AmiClient", "AmiConnection", "AmiError", "AmiReply", "ConnectionDropped", "Headers",
           "Message", "collect", "open_session"]

log = logging.getLogger(__name__)


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


class ConnectionDropped(Exception):
    """The peer closed or reset the connection."""


class AmiConnection:
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
            raise ConnectionDropped from exc
        if not data:
            raise ConnectionDropped
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
            raise ConnectionDropped from exc

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
                 timeout: float, *, on_state: Callable[[bool], None] | None = None) -> None:
        self.host, self.port = host, port
        # Told True once logged in, False when the connection is dropped or closed.
        self.on_state = on_state
        self.username, self._secret = username, secret
        self.timeout = timeout
        self.version: str | None = None  # from the greeting, once connected
        self._lock = threading.Lock()
        self._conn: AmiConnection | None = None
        self._prefix = f"sb-{secrets.token_hex(4)}"
        self._counter = 0

    def action(self, name: str, headers: Headers = (), *, idempotent: bool = False,
               action_id: str | None = None) -> Message:
        """Run an action; its ``Response: Success`` message. ``Response: Error`` → AmiError.

        ``action_id`` (unique; by default one of the client's own) lets the caller match
        the events Asterisk raises later for it, such as Originate's ``OriginateResponse``."""
        return self._run(name, list(headers), None, idempotent, action_id).response

    def list_action(self, name: str, headers: Headers = (), *, complete: str) -> AmiReply:
        """Run a list action (a read); ``complete`` names its last event (QueueStatusComplete)."""
        return self._run(name, list(headers), complete, True)

    def ping(self) -> Message:
        return self.action("Ping", idempotent=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                # A courtesy Logoff; nobody waits for its answer.
                with contextlib.suppress(OSError, ConnectionDropped):
                    self._conn.send(encode_action("Logoff", self._next_id(), []),
                                    time.monotonic() + min(self.timeout, 0.2))
                self._discard()

    # ------------------------------------------------------------------ internals

    def _run(self, name: str, headers: list[tuple[str, str]], complete: str | None,
             idempotent: bool, action_id: str | None = None) -> AmiReply:
        check_action(name, headers)
        with self._lock:
            for attempt in (1, 2):
                deadline = time.monotonic() + self.timeout
                sent = False
                try:
                    conn = self._ready(deadline)
                    action_id = action_id or self._next_id()
                    conn.send(encode_action(name, action_id, headers), deadline)
                    sent = True
                    return collect(conn, name, action_id, complete, deadline)
                except ConnectionDropped:
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

    def _ready(self, deadline: float) -> AmiConnection:
        if self._conn is not None and self._conn.alive():
            return self._conn
        self._discard()
        self._conn, self.version = open_session(
            self.host, self.port, self.username, self._secret, "off", deadline,
            self.timeout, self._next_id())
        if self.on_state is not None:
            self.on_state(True)
        return self._conn

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            if self.on_state is not None:
                self.on_state(False)

    def _next_id(self) -> str:
        self._counter += 1
        return f"{self._prefix}-{self._counter}"

    def _where(self) -> str:
        return f"{self.host}:{self.port}"



# ------------------------------------------------------------------ shared by every session


def open_session(host: str, port: int, username: str, secret: str, events: str,
                 deadline: float, timeout: float, action_id: str) -> tuple[AmiConnection, str]:
    """Connect, read the greeting and log in; the connection and the server's AMI version.

    ``events`` is the Login's ``Events:`` header: ``off`` for the action connection, a
    list of event classes (``call,agent``) for the event stream.
    """
    where = f"{host}:{port}"
    conn = AmiConnection(_connect(host, port, deadline, timeout))
    try:
        version = conn.read_banner(deadline)
        login = [("Username", username), ("Secret", secret), ("Events", events)]
        conn.send(encode_action("Login", action_id, login), deadline)
        collect(conn, "Login", action_id, None, deadline)
    except AmiError as exc:
        conn.close()
        raise PbxError(f"Asterisk refused the manager login of user {username!r} "
                       f"({exc.reason}); check AMI_USER and AMI_SECRET", "auth") from None
    except TimeoutError:
        conn.close()
        raise PbxUnreachable(f"Asterisk at {where} accepted the connection but did "
                             f"not greet and log in within {timeout:g} s") from None
    except BaseException:
        conn.close()
        raise
    return conn, version


def _connect(host: str, port: int, deadline: float, timeout: float) -> socket.socket:
    where = f"{host}:{port}"
    remaining = deadline - time.monotonic()
    try:
        return socket.create_connection((host, port), timeout=max(remaining, 0.001))
    except TimeoutError:
        raise PbxUnreachable(f"no answer from Asterisk at {where} within "
                             f"{timeout:g} s (connecting)") from None
    except ConnectionRefusedError:
        raise PbxUnreachable(f"Asterisk refused the connection at {where}: is the "
                             "manager interface enabled (manager.conf) and the port right?"
                             ) from None
    except socket.gaierror:
        raise PbxUnreachable(f"cannot resolve the Asterisk host {host!r}") from None
    except OSError as exc:
        raise PbxUnreachable(f"cannot connect to Asterisk at {where}: "
                             f"{exc.strerror or exc}") from None


def collect(conn: AmiConnection, name: str, action_id: str, complete: str | None,
            deadline: float) -> AmiReply:
    """The answer to ``action_id`` (and its list events, up to ``complete``), skipping
    everything else on the connection."""
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

