"""Irontec PBX: a REST API behind a bearer token.

The wire protocol is the one the Tomatic helpline tool uses in production
(``POST /login`` → token; ``/queue/...`` and ``/agent/...`` endpoints). Its faults
are not repeated here:

- the token is reused until it expires (a JWT's ``exp``, read with the injected
  clock) or the API answers 401; then we log in again once and retry once;
- every request has a timeout; a network failure is ``PbxUnreachable``;
- 420 (validation) and 550 (no such agent) are errors, never silence;
- pause and resume are separate calls (no pause-after-resume);
- a member's ``lastcall`` is seconds since their last call and ``incall`` the seconds
  spent in calls (as the production tool shows them), not timestamps or flags.

Call records come from the vendor's statistics index (``irontec_stats``), when one is
configured.

Pause/resume/add/remove read the queue first, so a refusal says exactly why
(``not_member``, ``already_paused``…) whatever wording the vendor uses; the
mapping of 420/550 answers remains for races between the read and the change.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from anyascii import anyascii

from integrations import tracing
from integrations.clock import Clock
from integrations.pbx.base import CallInfo, MemberState, MemberStatus, PbxError, PbxUser
from integrations.pbx.http import excerpt, unreachable
from integrations.pbx.irontec.stats import IrontecStats

__all__ = ["FREE_NAME", "IrontecPbx"]

FREE_NAME = "Libre"  # how the helpline tool marks an agent nobody uses

# DeviceStatus numbers (Asterisk device states). InUseRinging (7) — a busy phone
# with a second call ringing — is reported as ringing: the agent is being offered
# a queue call, which is what a coordinator watching the board needs to see.
_DEVICE_STATES = {
    0: MemberState.UNKNOWN,
    1: MemberState.AVAILABLE,
    2: MemberState.IN_CALL,
    3: MemberState.BUSY,
    4: MemberState.DISCONNECTED,  # Invalid
    5: MemberState.DISCONNECTED,  # Unavailable
    6: MemberState.RINGING,
    7: MemberState.RINGING,  # InUseRinging
    8: MemberState.ON_HOLD,
}
# Log in again this long before a JWT says it expires, so no call races the expiry.
_REFRESH_MARGIN = timedelta(seconds=30)


class IrontecPbx:
    name = "irontec"

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        queue: str,
        *,
        clock: Clock,
        timeout: float = 3.0,
        client: httpx.Client | None = None,
        stats: IrontecStats | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.stats = stats
        self.user = user
        self.password = password
        self.queue = queue
        self.clock = clock
        self.timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(
            timeout=timeout, event_hooks=tracing.HTTPX_HOOKS)
        self._lock = threading.Lock()  # one login at a time, shared by every thread
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
        if self.stats is not None:
            self.stats.close()

    # ------------------------------------------------------------------ reading

    def queue_status(self) -> list[MemberStatus]:
        payload = self._call("GET", f"/queue/status/{_seg(self.queue)}",
                             f"reading queue {self.queue}")
        if payload in (None, "", {}):
            return []
        if not isinstance(payload, list):
            raise PbxError(f"Irontec queue status is not a list: {excerpt(json.dumps(payload))}")
        now = self.clock.now()
        return sorted((_member(item, now) for item in payload), key=lambda m: m.extension)

    def originate(self, extension: str, number: str, ref: str) -> bool:
        raise PbxError("the Irontec REST API offers no call origination; "
                       "dial the number from your phone", "unsupported")

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        if self.stats is None:
            raise PbxError("Irontec serves call statistics from its Elasticsearch index, not "
                           "from its REST API: set IRONTEC_STATS_URL to read them",
                           "unsupported")
        return self.stats.calls(start, end)

    def waiting_calls(self) -> None:
        """The queue status lists agents, not the callers waiting: not available."""
        return None

    # ------------------------------------------------------------------ changing

    def pause(self, extension: str, reason: str | None = None) -> None:
        """Pause in our queue. The API takes no reason, so ``reason`` is not sent."""
        if self._require_member(extension).paused:
            raise PbxError(f"extension {extension} is already paused", "already_paused")
        self._call("PUT", f"/agent/pause/{_seg(extension)}/{_seg(self.queue)}",
                   f"pausing {extension} in queue {self.queue}")

    def resume(self, extension: str) -> None:
        if not self._require_member(extension).paused:
            raise PbxError(f"extension {extension} is not paused", "not_paused")
        self._call("PUT", f"/agent/unpause/{_seg(extension)}/{_seg(self.queue)}",
                   f"resuming {extension} in queue {self.queue}")

    def add_member(self, extension: str) -> None:
        if any(m.extension == extension for m in self.queue_status()):
            raise PbxError(f"extension {extension} is already in queue {self.queue}",
                           "already_member")
        self._add(extension)

    def remove_member(self, extension: str) -> None:
        self._require_member(extension)
        self._remove(extension)

    def set_members(self, extensions: Sequence[str]) -> None:
        """Add and remove the difference; members who stay are untouched (pauses kept).

        New extensions are checked against the agent list before anything changes,
        and additions go first, so the queue is never emptier than both ends.
        """
        wanted = list(dict.fromkeys(extensions))
        current = [m.extension for m in self.queue_status()]
        new = [e for e in wanted if e not in current]
        if new:
            known = self._agent_extensions()
            unknown = [e for e in new if e not in known]
            if unknown:
                raise PbxError(f"extension{'s' if len(unknown) > 1 else ''} "
                               f"{', '.join(unknown)} {'do' if len(unknown) > 1 else 'does'} "
                               "not exist", "unknown_extension")
        for extension in new:
            self._add(extension)
        for extension in current:
            if extension not in wanted:
                self._remove(extension)

    # ------------------------------------------------------------------ helpers

    def _require_member(self, extension: str) -> MemberStatus:
        for member in self.queue_status():
            if member.extension == extension:
                return member
        if extension in self._agent_extensions():
            raise PbxError(f"extension {extension} is not a member of queue {self.queue}",
                           "not_member")
        raise PbxError(f"extension {extension} does not exist", "unknown_extension")

    def _agent_extensions(self) -> set[str]:
        payload = self._call("GET", "/agent/list", "listing agents")
        try:
            return {str(item["agent"]) for item in payload or []}
        except (KeyError, TypeError):
            raise PbxError("Irontec agent list could not be read: "
                           f"{excerpt(json.dumps(payload))}") from None

    def _add(self, extension: str) -> None:
        self._call("POST", "/queue/addagent", f"adding {extension} to queue {self.queue}",
                   {"agent": extension, "queue": self.queue, "priority": 1,
                    "id_dialplan_partition": 1})

    def _remove(self, extension: str) -> None:
        self._call("DELETE", f"/queue/removeagent/{_seg(extension)}/{_seg(self.queue)}",
                   f"removing {extension} from queue {self.queue}")

    # ------------------------------------------------------------------ users (pbx sync)

    can_create = False  # /agent/modify changes existing agents only

    def users(self) -> list[PbxUser]:
        """``GET /agent/list``: ``[{agent, name, email}]``; a name starting with ``Libre``
        marks an agent nobody uses."""
        rows = self._call("GET", "/agent/list", "listing the agents")
        if not isinstance(rows, list):
            raise PbxError(f"Irontec listed the agents as {excerpt(json.dumps(rows))}, "
                           "not as a list")
        found = []
        for row in rows:
            if isinstance(row, dict) and row.get("agent") is not None:
                name = str(row.get("name") or "")
                email = row.get("email")
                found.append(PbxUser(str(row["agent"]), name,
                                     str(email) if email else None,
                                     free=name.lower().startswith(FREE_NAME.lower())))
        return sorted(found, key=lambda u: u.extension)

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        """The name in ASCII (the API refuses other letters), and
        ``none_<ext>@nowhere.com`` for a person with no email (it requires one)."""
        return PbxUser(extension, anyascii(name), email or f"none_{extension}@nowhere.com")

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        """``PUT /agent/modify`` with the agent as ``stored_as`` gives it."""
        agent = self.stored_as(extension, name, email)
        self._call("PUT", "/agent/modify", f"renaming agent {extension}",
                   {"agent": extension, "name": agent.name, "email": agent.email})

    def free_user(self, extension: str) -> None:
        self._call("PUT", "/agent/modify", f"freeing agent {extension}",
                   {"agent": extension, "name": FREE_NAME,
                    "email": f"none_{extension}@nowhere.com"})

    # ------------------------------------------------------------------ wire

    def _call(self, method: str, path: str, what: str, body: Any = None) -> Any:
        token = self._valid_token()
        response = self._send(method, path, token, body)
        if response.status_code == 401:
            response = self._send(method, path, self._login_again(token), body)
            if response.status_code == 401:
                raise PbxError(f"Irontec refused a fresh token while {what} (HTTP 401): "
                               f"check the permissions of API user {self.user!r}", "auth")
        return _result(response, what)

    def _send(self, method: str, path: str, token: str, body: Any) -> httpx.Response:
        return self._http(method, path, json=body,
                          headers={"authorization": f"Bearer {token}"})

    def _http(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, self.base_url + path, timeout=self.timeout,
                                        **kwargs)
        except httpx.TransportError as exc:
            raise unreachable("Irontec", exc, self.timeout) from exc

    def _valid_token(self) -> str:
        with self._lock:
            expiring = (self._expires_at is not None
                        and self.clock.now() >= self._expires_at - _REFRESH_MARGIN)
            if self._token is None or expiring:
                return self._login()
            return self._token

    def _login_again(self, stale: str) -> str:
        """After a 401: log in again, unless another thread already replaced ``stale``."""
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            return self._login()

    def _login(self) -> str:
        self._token = self._expires_at = None
        response = self._http("POST", "/login",
                              json={"username": self.user, "password": self.password})
        token: Any = None
        if response.status_code == 200:
            try:
                token = response.json().get("token")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token:
            detail = (f"HTTP {response.status_code}: {excerpt(response.text)}"
                      if response.status_code != 200 else "the answer carried no token")
            raise PbxError(f"Irontec refused the login of API user {self.user!r} ({detail})",
                           "auth")
        self._token, self._expires_at = token, _jwt_expiry(token)
        return token


def _result(response: httpx.Response, what: str) -> Any:
    status = response.status_code
    if 200 <= status < 300:
        try:
            return response.json() if response.content else None
        except ValueError:
            return response.text
    message = _message(response)
    if status == 403:
        raise PbxError(f"Irontec says method not allowed while {what} (HTTP 403)", "rejected")
    if status == 420:
        raise PbxError(f"Irontec refused {what}: {message}", _validation_code(message))
    if status == 550:
        raise PbxError(f"Irontec says the agent/extension does not exist while {what}"
                       + (f": {message}" if message else ""), "unknown_extension")
    raise PbxError(f"Irontec answered HTTP {status} while {what}: {message or '(empty)'}")


def _message(response: httpx.Response) -> str:
    """The human part of an error body: a JSON message/error field, or the text."""
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.text)
    if isinstance(body, dict):
        for key in ("message", "error", "msg", "detail", "errors"):
            if body.get(key):
                value = body[key]
                return excerpt(value if isinstance(value, str) else json.dumps(value))
    if isinstance(body, str):
        return excerpt(body)
    return excerpt(json.dumps(body))


def _validation_code(message: str) -> str:
    text = message.lower()
    negated = re.search(r"\b(not|no longer)\b", text) is not None
    if "already" in text:
        return "already_paused" if "pause" in text else "already_member"
    if negated and "pause" in text:
        return "not_paused"
    if negated and ("member" in text or "queue" in text):
        return "not_member"
    return "rejected"


def _member(item: Any, now: datetime) -> MemberStatus:
    try:
        status = item["status"]
        device = _DEVICE_STATES.get(int(status.get("status", 0)), MemberState.UNKNOWN)
        calls = int(status.get("callstaken") or 0)
        # Seconds since the last call; 0 (or no calls taken) means no last call to show.
        since = int(status.get("lastcall") or 0)
        return MemberStatus(
            extension=str(item["agent"]),
            state=device,
            paused=_flag(status.get("paused")),
            calls_taken=calls,
            seconds_in_calls=max(int(status.get("incall") or 0), 0),
            last_call_at=(now - timedelta(seconds=since)).astimezone(UTC)
            if calls > 0 and 0 < since < 10 * 365 * 86400 else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
        raise PbxError(f"Irontec queue status entry could not be read: "
                       f"{excerpt(json.dumps(item))}") from None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _jwt_expiry(token: str) -> datetime | None:
    """``exp`` of a JWT, unverified (the server verifies); None for opaque tokens."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), UTC)
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, OSError):
        return None


def _seg(value: str) -> str:
    return quote(value, safe="")
