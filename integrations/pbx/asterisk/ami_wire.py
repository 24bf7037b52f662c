"""The Asterisk Manager Interface (AMI) on the wire: reading and writing messages.

Wire format (Asterisk ``main/manager.c``): the server greets with one line,
``Asterisk Call Manager/<version>``; then every message is ``Key: Value`` lines
ended by an empty line. A client tags each action with an ``ActionID``, which the
server echoes on the response and on every event of a list answer (QueueStatus
and friends). Unsolicited events can arrive between any two messages.

The parser is lenient where real servers and captures are untidy: LF-only line
ends, ``Response: Follows`` blocks ending with ``--END COMMAND--`` (Asterisk < 14
``Command``), and junk such as ``[218 bytes missing in capture file]Event: X``.

Nothing here touches a socket; the client in ``ami.py`` does.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

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


def check_action(name: str, headers: list[tuple[str, str]]) -> None:
    """Refuse an action that could not be sent as written (ValueError)."""
    for key, value in [("Action", name), *headers]:
        # A line break inside a value would let it smuggle in headers or whole actions.
        if not _HEADER.fullmatch(f"{key}: x") or "\r" in value or "\n" in value:
            raise ValueError(f"AMI header {key!r} has a line break or an invalid name")


def encode_action(name: str, action_id: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [("Action", name), ("ActionID", action_id), *headers]
    return "".join(f"{key}: {value}\r\n" for key, value in lines).encode() + b"\r\n"
