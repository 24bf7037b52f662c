"""Support for the Slack door (bot.doors.slack.door) that is not Bolt-handler logic.

- Reading Slack payloads: the bot's own user id from the envelope, the leading mention
  of the bot, the command in a ``switchboard:<n>`` button's value.
- ``EmailCache``: users.info lookups (the email, and the locale Slack shows them in),
  remembered for a while.
- ``Inflight`` and ``TrackedPool``: thread pools whose unfinished work can be waited for
  (``SlackDoor.drain``).
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from integrations.clock import Clock
from store import i18n

log = logging.getLogger(__name__)

_LEADING_MENTION = re.compile(r"^\s*<@(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*")

P = ParamSpec("P")
T = TypeVar("T")


def bot_user_id(body: dict[str, Any]) -> str | None:
    """The bot's own user id, as the Events API envelope names it (no auth.test needed)."""
    for authorization in body.get("authorizations") or ():
        if authorization.get("is_bot") and authorization.get("user_id"):
            return str(authorization["user_id"])
    return None


def strip_mention(text: str, bot_user: str | None, *, mentioned: bool = False) -> str:
    """Drop the leading ``<@BOT>`` of "@Switchboard pause me"; other mentions stay.

    With the bot's id unknown, an ``app_mention`` (``mentioned``) still starts with the bot.
    """
    match = _LEADING_MENTION.match(text)
    if match and (match.group("id") == bot_user or (bot_user is None and mentioned)):
        return text[match.end():]
    return text


def parse_button_value(value: object) -> tuple[str, str] | None:
    """A button's value is ``{"command": …, "args": …}`` (see bot.render.slack)."""
    try:
        data = json.loads(str(value))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("command"), str) \
            or not data["command"].strip():
        return None
    args = data.get("args")
    return data["command"].strip(), args if isinstance(args, str) else ""


class EmailCache:
    """users.info → profile.email, remembered per user id for ``ttl``.

    Only needed until the dispatcher has stored the person's Slack id; errors are not
    remembered, so the next request asks again. The same call asks for the user's locale
    (``include_locale``: Slack's ``user.locale``, "es-ES"), which ``locale`` then gives
    without asking Slack again, for the door to store on the person.
    """

    def __init__(self, clock: Clock, ttl: timedelta, limit: int = 1000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str | None, datetime]] = {}
        self._locales: dict[str, tuple[str, datetime]] = {}

    def lookup(self, client: WebClient, user_id: str) -> str | None:
        now = self.clock.now()
        with self._lock:
            hit = self._entries.get(user_id)
            if hit is not None and hit[1] > now:
                return hit[0]
        try:
            response = client.users_info(user=user_id, include_locale=True)
        except (SlackClientError, OSError) as exc:
            log.warning("users.info for %s failed: %s", user_id, exc)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        email = str(profile["email"]).strip() if profile.get("email") else None
        locale = i18n.locale_tag(user.get("locale"))
        with self._lock:
            if len(self._entries) >= self.limit:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                self._locales = {k: v for k, v in self._locales.items() if v[1] > now}
            self._entries[user_id] = (email, now + self.ttl)
            if locale is not None:
                self._locales[user_id] = (locale, now + self.ttl)
        return email

    def locale(self, user_id: str) -> str | None:
        """The locale the last users.info gave for ``user_id`` ("ca-ES"), while it is
        remembered; never asks Slack."""
        with self._lock:
            hit = self._locales.get(user_id)
        return hit[0] if hit is not None and hit[1] > self.clock.now() else None


class Inflight:
    """Counts submitted tasks that have not finished yet."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def enter(self) -> None:
        with self._idle:
            self._count += 1

    def leave(self, _: object = None) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


class TrackedPool(ThreadPoolExecutor):
    """A thread pool whose pending work is counted by an ``Inflight``."""

    def __init__(self, inflight: Inflight, name: str, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix=name)
        self.inflight = inflight

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        self.inflight.enter()
        try:
            # The command runs in the request's context: its id and fields reach the log.
            future = super().submit(contextvars.copy_context().run,
                                    functools.partial(fn, *args, **kwargs))
        except BaseException:
            self.inflight.leave()
            raise
        future.add_done_callback(self.inflight.leave)
        return future
