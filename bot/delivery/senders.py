"""One sender per platform: deliver one outbox row, or say why not and whether to retry.

Senders only talk HTTP; the worker (bot/delivery/worker.py) owns the database. None of
them retries by itself (the worker spaces the attempts out, honouring Retry-After), and
each one makes a repeated attempt harmless:

- Google Chat: ``spaces.messages.create`` carries a ``requestId`` derived from the row,
  the same on every attempt, so Chat answers a repeat with the message it already made.
- Slack has no such key. Every post carries the row's key as message metadata, and an
  attempt that may repeat an earlier one (a retry, or a claim left by a worker that died)
  first looks for that metadata in the channel's recent history.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.delivery.limits import (
    GOOGLE_PROJECT_READS,
    GOOGLE_PROJECT_WRITES,
    google_space,
    slack_channel,
    slack_method,
)
from bot.render.text import render_text
from bot.settings import Settings
from commands.core import Reply
from integrations.clock import Clock

log = logging.getLogger(__name__)

GOOGLE_CHAT_SCOPE = "https://www.googleapis.com/auth/chat.bot"
SLACK_METADATA_EVENT = "switchboard_outbox"
HTTP_TIMEOUT = 15.0  # seconds per request; the worker's lease allows for a batch of these


@dataclass(frozen=True)
class Outgoing:
    """What a sender needs of an outbox row, read in the claim transaction."""

    id: int
    key: str
    target: str
    platform: str
    space: str | None  # None: a DM still to be found/opened for ``recipient``
    person_id: int | None  # whose DM it is (None for the team and coordinators' spaces)
    recipient: str | None  # the person's platform id (users/123, U0123) for DMs
    body: dict[str, Any]
    attempts: int  # attempts made before this one
    created_at: datetime
    recovered: bool = False  # an earlier claim expired without a recorded result

    @property
    def may_repeat(self) -> bool:
        """An earlier attempt may have reached the platform without us knowing."""
        return self.recovered or self.attempts > 0


@dataclass(frozen=True)
class Delivered:
    remote_id: str
    space: str | None = None  # set when the sender had to find or open the DM


class DeliveryError(Exception):
    """Not delivered. ``retry``: worth another attempt later; ``retry_after``: seconds the
    platform asked us to wait, in ``scope`` (bot/delivery/limits.py: the method, the
    project or the space the limit counts); ``space``: a DM found/opened before the
    failure; ``too_long``: the platform refused the message's size."""

    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None,
                 space: str | None = None, scope: str | None = None,
                 too_long: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.retry_after = retry_after
        self.space = space
        self.scope = scope
        self.too_long = too_long


class Sender(Protocol):
    def send(self, message: Outgoing) -> Delivered: ...

    def scopes(self, message: Outgoing) -> list[str]:
        """The rate-limit scopes sending ``message`` spends (bot/delivery/limits.py)."""
        ...

    def open_dm(self, target: str, recipient: str | None) -> str:
        """The DM space with ``recipient`` (found or opened): one API call."""
        ...


# Failures below HTTP: refused or reset connections, timeouts, DNS (URLError and socket
# timeouts are OSErrors). All worth a retry.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)
MAX_RETRY_AFTER = 86_400.0  # a day: a longer (or infinite) Retry-After is taken as a day


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: ``120`` or an HTTP date. None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def header(headers: Any, name: str) -> str | None:
    """A header by case-insensitive name, from whatever mapping a client library gives."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in dict(headers).items():
        if str(key).lower() == wanted:
            if isinstance(value, (list, tuple)):
                return str(value[0]) if value else None
            return str(value)
    return None


# --------------------------------------------------------------------------- console


class ConsoleSender:
    """Console mode: print through the chat console when one is attached, else log."""

    def __init__(self, sink: Callable[[str, Reply], None] | None = None) -> None:
        self.sink = sink

    def attach(self, sink: Callable[[str, Reply], None] | None) -> None:
        self.sink = sink

    def send(self, message: Outgoing) -> Delivered:
        reply = Reply.from_dict(message.body)
        where = message.space or message.target
        if self.sink is not None:
            self.sink(where, reply)
        else:
            # The body is not logged (message bodies never are): only where it went.
            log.info("console message to %s (%d characters)", where, len(render_text(reply)))
        return Delivered(remote_id=f"console-{message.id}")

    def scopes(self, message: Outgoing) -> list[str]:
        return []

    def open_dm(self, target: str, recipient: str | None) -> str:
        return target


# --------------------------------------------------------------------------- Google Chat


def google_request_id(message: Outgoing) -> str:
    """The same on every attempt at one row, and unique across databases: ids restart when a
    database is recreated, and Chat would answer a reused requestId with the old message."""
    created = message.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"switchboard-outbox-{message.id}-{created}"


GOOGLE_CHAT_API = "https://chat.googleapis.com"


class GoogleChatSender:
    """The Chat API as the app: a service account with the chat.bot scope.

    Plain HTTP with httpx and a google-auth token, rather than the discovery-built client:
    that client spent about 9 ms of CPU per message, which at 50 screen pops a second is
    most of a core."""

    def __init__(self, key_file: str, clock: Clock, *, api_endpoint: str = "",
                 timeout: float = HTTP_TIMEOUT) -> None:
        self.key_file = key_file
        self.clock = clock
        self.api = (api_endpoint or GOOGLE_CHAT_API).rstrip("/")
        self.timeout = timeout
        self._credentials: Any = None
        self._http: Any = None

    def _token(self, what: str, space: str | None) -> str:
        # Loaded on first use: a missing or broken key file then fails one delivery
        # (visible in the outbox) instead of the process start.
        from google.auth.exceptions import GoogleAuthError
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        if self._credentials is None:
            try:
                load: Any = service_account.Credentials.from_service_account_file
                self._credentials = load(self.key_file, scopes=[GOOGLE_CHAT_SCOPE])
            except (OSError, ValueError) as exc:
                raise DeliveryError(f"cannot use GOOGLE_CHAT_SERVICE_ACCOUNT_FILE "
                                    f"{self.key_file}: {exc}", retry=True) from exc
        credentials = self._credentials
        if not credentials.valid:
            request = Request()

            def bounded(**kwargs: Any) -> Any:
                return request(timeout=self.timeout, **kwargs)

            try:
                credentials.refresh(bounded)
            except GoogleAuthError as exc:
                # Token endpoint trouble is ours to fix (key, clock, network), never the
                # message's.
                raise DeliveryError(f"Google Chat {what}: no access token: {exc}", retry=True,
                                    space=space) from exc
        return str(credentials.token)

    def send(self, message: Outgoing) -> Delivered:
        found: str | None = None
        space = message.space
        if space is None:
            space = found = self.open_dm(message.target, message.recipient)
        body = {k: v for k, v in message.body.items() if not k.startswith("_")}
        created = self._call("POST", f"/v1/{space}/messages", "spaces.messages.create",
                             found, params={"requestId": google_request_id(message)},
                             body=body, write_space=space)
        return Delivered(remote_id=str(created.get("name", "")), space=found)

    def scopes(self, message: Outgoing) -> list[str]:
        if message.space is None:
            return [GOOGLE_PROJECT_READS, GOOGLE_PROJECT_WRITES]
        return [GOOGLE_PROJECT_WRITES, google_space(message.space)]

    def open_dm(self, target: str, recipient: str | None) -> str:
        """Chat has no "open": the app finds the DM the person has with it."""
        if not recipient:
            raise DeliveryError(f"{target} has no Google Chat id to find a DM with",
                                retry=False)
        user = recipient
        if not user.startswith("users/"):
            user = f"users/{user}"
        try:
            space = self._call("GET", "/v1/spaces:findDirectMessage",
                               "spaces.findDirectMessage", None, params={"name": user})
        except DeliveryError as exc:
            if exc.retry:
                raise
            raise DeliveryError(f"no direct message with {user} (has the person added the "
                                f"app?): {exc.message}", retry=False) from exc
        return str(space["name"])

    def _call(self, method: str, path: str, what: str, space: str | None, *,
              params: dict[str, str], body: dict[str, Any] | None = None,
              write_space: str | None = None) -> dict[str, Any]:
        import httpx

        token = self._token(what, space)
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        try:
            # No retries here: the worker does the retrying, honouring Retry-After.
            response = self._http.request(method, self.api + path, params=params, json=body,
                                          headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Google Chat {what}: unreachable: {exc!r}", retry=True,
                                space=space) from exc
        status = response.status_code
        if status >= 400:
            retry = status == 429 or status == 408 or status >= 500
            wait = retry_after_seconds(response.headers.get("retry-after"), self.clock.now())
            scope = google_scope(response.content, write=body is not None,
                                 space=write_space) if status == 429 else None
            said = str(_error_json(response.content).get("message") or response.reason_phrase)
            raise DeliveryError(f"Google Chat {what}: HTTP {status} {said}".strip(),
                                retry=retry, retry_after=wait, space=space, scope=scope,
                                too_long=status == 400 and _too_long(response.content))
        try:
            result = response.json()
        except ValueError:
            return {}
        return result if isinstance(result, dict) else {}


def _error_json(content: Any) -> dict[str, Any]:
    try:
        data = json.loads(content.decode() if isinstance(content, bytes) else str(content))
    except (ValueError, UnicodeDecodeError):
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def google_scope(content: Any, *, write: bool, space: str | None) -> str:
    """The scope a Chat 429 applies to. The error's ErrorInfo names the quota it hit
    (``metadata.quota_limit``): a per-space one pauses that space; anything else — or
    no detail at all — pauses the project's reads or writes, which never calls inside a
    Retry-After at the cost of pausing more than needed."""
    error = _error_json(content)
    for detail in error.get("details") or []:
        metadata = detail.get("metadata") if isinstance(detail, dict) else None
        if isinstance(metadata, dict):
            limit = str(metadata.get("quota_limit") or "").lower()
            if "space" in limit and space:
                return google_space(space)
    return GOOGLE_PROJECT_WRITES if write else GOOGLE_PROJECT_READS


def _too_long(content: Any) -> bool:
    message = str(_error_json(content).get("message") or "").lower()
    return "too long" in message or "too large" in message or "exceeds" in message


# --------------------------------------------------------------------------- Slack

# Errors that say "not now" rather than "never" (the rest: channel_not_found,
# not_in_channel, invalid_auth, is_archived, msg_too_long, ... are permanent).
SLACK_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error",
                             "service_unavailable", "request_timeout"})
SLACK_DEFAULT_API = "https://slack.com/api/"
# What Slack answers when a message is too big for it.
SLACK_TOO_LONG = frozenset({"msg_too_long", "msg_blocks_too_long"})


class SlackSender:
    """The Slack Web API with the bot token; retry handlers off, the worker retries."""

    def __init__(self, client: Any, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    @classmethod
    def connect(cls, token: str, clock: Clock, *, api_url: str = "",
                timeout: float = HTTP_TIMEOUT) -> SlackSender:
        from slack_sdk import WebClient

        base_url = api_url or SLACK_DEFAULT_API
        if not base_url.endswith("/"):
            base_url += "/"
        client = WebClient(token=token, base_url=base_url, timeout=int(timeout),
                           retry_handlers=[])
        return cls(client, clock)

    def send(self, message: Outgoing) -> Delivered:
        opened: str | None = None
        channel = message.space
        if channel is None:
            channel = opened = self.open_dm(message.target, message.recipient)
        if message.may_repeat:
            posted = self._find_posted(channel, message)
            if posted is not None:
                log.info("outbox %s was already in %s (ts %s); not posting it again",
                         message.id, channel, posted)
                return Delivered(remote_id=posted, space=opened)
        body = message.body
        response = self._call("chat.postMessage", opened, lambda: self.client.chat_postMessage(
            channel=channel, text=str(body.get("text", "")), blocks=body.get("blocks"),
            metadata={"event_type": SLACK_METADATA_EVENT,
                      "event_payload": {"outbox_key": message.key}}))
        return Delivered(remote_id=str(response.get("ts", "")), space=opened)

    def scopes(self, message: Outgoing) -> list[str]:
        scopes = [slack_method("chat.postMessage")]
        if message.space is None:
            scopes.append(slack_method("conversations.open"))
        else:
            scopes.append(slack_channel(message.space))
        if message.may_repeat:
            scopes.append(slack_method("conversations.history"))
        return scopes

    def open_dm(self, target: str, recipient: str | None) -> str:
        if not recipient:
            raise DeliveryError(f"{target} has no Slack id to open a DM with", retry=False)
        response = self._call("conversations.open", None,
                              lambda: self.client.conversations_open(users=recipient))
        channel = response.get("channel") or {}
        return str(channel["id"])

    def _find_posted(self, channel: str, message: Outgoing) -> str | None:
        """The ts of a message already posted for this row, if the channel shows one."""
        oldest = message.created_at.timestamp() - 300  # room for clock skew
        try:
            response = self._call("conversations.history", None,
                                  lambda: self.client.conversations_history(
                                      channel=channel, oldest=f"{oldest:.6f}", limit=200,
                                      include_all_metadata=True))
        except DeliveryError as exc:
            # Without history (no *:history scope, say) a post is the best left to do.
            log.warning("outbox %s: cannot check %s for an earlier post: %s",
                        message.id, channel, exc.message)
            return None
        for posted in response.get("messages") or []:
            metadata = posted.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (metadata.get("event_type") == SLACK_METADATA_EVENT
                    and payload.get("outbox_key") == message.key):
                return str(posted.get("ts", ""))
        return None

    def _call(self, what: str, space: str | None, call: Callable[[], Any]) -> Any:
        from slack_sdk.errors import SlackApiError

        try:
            return call()
        except SlackApiError as exc:
            response = exc.response
            status = int(response.status_code)
            data = response.data if isinstance(response.data, dict) else {}
            error = str(data.get("error") or "")
            retry = status == 429 or status >= 500 or error in SLACK_TRANSIENT
            wait = retry_after_seconds(header(response.headers, "Retry-After"),
                                       self.clock.now())
            said = error if status == 200 else f"HTTP {status} {error}".strip()
            # Slack's limits are per method (its tier), so a 429 pauses the method.
            raise DeliveryError(f"Slack {what}: {said}", retry=retry, retry_after=wait,
                                space=space, scope=slack_method(what) if status == 429 else None,
                                too_long=error in SLACK_TOO_LONG) from exc
        except TRANSPORT_ERRORS as exc:
            raise DeliveryError(f"Slack {what}: unreachable: {exc!r}", retry=True,
                                space=space) from exc


# --------------------------------------------------------------------------- wiring


def build_senders(settings: Settings, clock: Clock, *,
                  console_sink: Callable[[str, Reply], None] | None = None
                  ) -> dict[str, Sender]:
    """A sender for each platform the settings enable; the console one always."""
    senders: dict[str, Sender] = {"console": ConsoleSender(console_sink)}
    if settings.google_chat_service_account_file:
        senders["google"] = GoogleChatSender(settings.google_chat_service_account_file, clock,
                                             api_endpoint=settings.google_chat_api_endpoint)
    if settings.slack_bot_token:
        senders["slack"] = SlackSender.connect(settings.slack_bot_token, clock,
                                               api_url=settings.slack_api_url)
    return senders
