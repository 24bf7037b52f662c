"""Asterisk's live events: a second AMI session that only listens.

The action session logs in with ``Events: off`` so that answers are never buried in
traffic. This one logs in with the event classes Switchboard needs (``call`` for
``OriginateResponse``, ``agent`` for the queue's member and caller events) and hands
each event of the wanted names to a handler, on its own thread.

It reconnects after a drop with exponential backoff (1 s, 2 s, 4 s … capped), and its
``state`` (``connecting``, ``connected``, ``down``) and the last error are what the deep
readiness check and ``switchboard doctor`` report. A handler that raises is logged and
the stream goes on: one bad event never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from integrations.pbx.asterisk.ami import AmiConnection, ConnectionDropped, open_session
from integrations.pbx.asterisk.ami_wire import AmiProtocolError, Message
from integrations.pbx.base import PbxError, PbxUnreachable

__all__ = ["CONNECTED", "CONNECTING", "DOWN", "WANTED", "AmiEventStream", "StreamStatus"]

log = logging.getLogger(__name__)

CONNECTING, CONNECTED, DOWN = "connecting", "connected", "down"
# Login's Events: header. OriginateResponse is class "call"; app_queue's events are "agent".
CLASSES = "call,agent"
WANTED = frozenset({"originateresponse", "agentringnoanswer", "agentcalled", "agentconnect",
                    "agentcomplete", "queuecallerjoin", "queuecallerleave",
                    "queuecallerabandon", "queuememberstatus", "queuememberpause",
                    "queuememberpaused", "queuememberadded", "queuememberremoved"})
POLL = 0.5  # seconds between checks of the stop flag while the line is quiet


@dataclass(frozen=True)
class StreamStatus:
    state: str
    since: float  # time.monotonic() of the last change
    error: str | None = None
    events: int = 0


class AmiEventStream:
    """Listen on AMI until stopped; ``handler(event)`` runs on the stream's thread."""

    def __init__(self, host: str, port: int, username: str, secret: str, timeout: float,
                 handler: Callable[[Message], None], *, wanted: Iterable[str] = WANTED,
                 backoff: tuple[float, float] = (1.0, 60.0)) -> None:
        self.host, self.port = host, port
        self.username, self._secret = username, secret
        self.timeout = timeout
        self.handler = handler
        self.wanted = frozenset(name.lower() for name in wanted)
        self.backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._status = StreamStatus(DOWN, time.monotonic(), "not started")
        self._conn: AmiConnection | None = None
        self._ids = 0

    # ------------------------------------------------------------------ control

    def start(self) -> AmiEventStream:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="ami-events", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def status(self) -> StreamStatus:
        with self._lock:
            return self._status

    def wait_for(self, state: str, timeout: float) -> bool:
        """Block until the stream is in ``state`` (at most ``timeout`` s); whether it is."""
        return self.wait_until(lambda status: status.state == state, timeout)

    def wait_until(self, check: Callable[[StreamStatus], bool], timeout: float) -> bool:
        """Block until ``check(status)`` holds (at most ``timeout`` s); whether it does."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self._status), timeout)

    def _set(self, state: str, error: str | None = None, *, counted: int = 0) -> None:
        with self._changed:
            previous = self._status
            since = previous.since if state == previous.state else time.monotonic()
            self._status = StreamStatus(state, since, error, previous.events + counted)
            self._changed.notify_all()

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._set(CONNECTING, self.status.error)
            try:
                self._listen()
                failures = 0
            except (PbxUnreachable, PbxError, ConnectionDropped, AmiProtocolError,
                    OSError, TimeoutError) as exc:
                reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                if self._stop.is_set():
                    break
                self._set(DOWN, reason)
                failures += 1
                delay = min(self.backoff[1], self.backoff[0] * 2 ** (failures - 1))
                log.warning("AMI events: %s; reconnecting in %g s", reason, delay)
                self._stop.wait(delay)
        self._set(DOWN, "stopped")

    def _listen(self) -> None:
        self._ids += 1
        conn, _ = open_session(self.host, self.port, self.username, self._secret, CLASSES,
                               time.monotonic() + self.timeout, self.timeout,
                               f"sb-events-{self._ids}")
        with self._lock:
            if self._stop.is_set():
                conn.close()
                return
            self._conn = conn
        self._set(CONNECTED)
        log.info("AMI events: listening on %s:%s", self.host, self.port)
        try:
            while not self._stop.is_set():
                try:
                    message = conn.next_message(time.monotonic() + POLL)
                except TimeoutError:
                    continue
                name = (message.event or "").lower()
                if name not in self.wanted:
                    continue
                self._set(CONNECTED, counted=1)
                try:
                    self.handler(message)
                except Exception:
                    log.exception("AMI events: the handler of %s failed", message.event)
        finally:
            with self._lock:
                self._conn = None
            conn.close()
