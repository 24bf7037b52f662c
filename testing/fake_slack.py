"""A fake Slack on 127.0.0.1: the Web API methods Switchboard uses, plus response URLs.

    with FakeSlack(users={"U0ALICE": "alice@switchboard.example"}) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        [call] = slack.calls("chat.postMessage")
        assert call.params["channel"] == "C1"

Web API: ``POST|GET {url}/api/<method>`` with the bot token as ``Authorization: Bearer``.
A wrong or missing token gets ``{"ok": false, "error": "invalid_auth"}``. Built in:

- ``auth.test``           → the bot's ids (``bot_user_id``, ``bot_id``, ``team_id``);
- ``users.info``          → ``profile.email`` from ``users``, else ``user_not_found``;
                            ``user.locale`` from ``locales`` when asked ``include_locale``;
- ``chat.postMessage``    → ``{"ok", "channel", "ts", "message"}`` with a fresh ``ts``;
- ``chat.postEphemeral``  → ``{"ok", "message_ts"}``;
- ``conversations.open``  → a DM channel per user: ``dm_channels[user]``, else ``D`` + user id.

Response URLs: ``response_url(name)`` gives ``{url}/response/<name>``; a POST there answers
``ok`` like Slack does and is recorded as the call ``response:<name>``.

Scripting: ``script(method, *responses)`` queues one-off answers (a 429 with
``Retry-After``, an ``{"ok": false, ...}`` error) served before the built-in behaviour;
``on(method, handler)`` replaces a method for good. Every call is recorded in order
(``calls``, ``wait_for``), parsed from the query string, a form body or a JSON body alike.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from testing.local_server import LocalServer, Request, Response
from testing.rate_limits import Enforcer

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0TEAM"
BOT_TOKEN = "xoxb-test"


@dataclass
class SlackCall:
    method: str  # "chat.postMessage", or "response:<name>" for a response URL
    params: dict[str, Any]
    token: str | None
    request: Request = field(repr=False)


SlackHandler = Callable[[SlackCall], Response]


class FakeSlack:
    def __init__(self, users: dict[str, str | None] | None = None, *,
                 token: str | None = BOT_TOKEN,
                 dm_channels: dict[str, str] | None = None,
                 locales: dict[str, str] | None = None,
                 limits: Enforcer | None = None, latency: float = 0.0) -> None:
        self.users: dict[str, str | None] = dict(users or {})  # user id → email (None: hidden)
        self.token = token  # None accepts any token
        self.dm_channels = dict(dm_channels or {})
        self.locales = dict(locales or {})  # user id → locale ("ca-ES"), as Slack says it
        # Benchmarks: Slack's limits enforced (scopes "method:<name>", "channel:<id>"),
        # and a delay before each answer.
        self.limits = limits
        self.latency = latency
        self.arrivals: dict[str, list[float]] = {}  # channel → monotonic time of each post
        self._calls: list[SlackCall] = []
        self._scripts: dict[str, deque[Response]] = {}
        self._handlers: dict[str, SlackHandler] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.open": self._conversations_open,
        }
        self._ts = itertools.count(1)
        self._changed = threading.Condition()
        self.server = LocalServer(self._serve)

    # ------------------------------------------------------------------ set-up

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)`` / SLACK_API_URL (trailing slash included)."""
        return self.server.url + "/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.server.url}/response/{name}"

    def script(self, method: str, *responses: Response) -> None:
        """Answer the next calls of ``method`` with these responses, in order."""
        with self._changed:
            self._scripts.setdefault(method, deque()).extend(responses)

    def on(self, method: str, handler: SlackHandler) -> None:
        self._handlers[method] = handler

    def start(self) -> FakeSlack:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ assertions

    def calls(self, method: str | None = None) -> list[SlackCall]:
        with self._changed:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """The calls of ``method`` once there are at least ``count``; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
        if len(found) < count:
            raise AssertionError(f"expected {count} call(s) of {method} within {timeout}s, "
                                 f"got {len(found)}; all calls: {[c.method for c in self.calls()]}")
        return found

    # ------------------------------------------------------------------ serving

    def _serve(self, request: Request) -> Response:
        if request.path.startswith("/response/"):
            method = "response:" + request.path.removeprefix("/response/")
        elif request.path.startswith("/api/"):
            method = request.path.removeprefix("/api/")
        else:
            return Response(404, "not found")
        auth = request.headers.get("authorization", "")
        call = SlackCall(method, _params(request),
                         auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None,
                         request)
        with self._changed:
            self._calls.append(call)
            scripted = self._scripts.get(method)
            response = scripted.popleft() if scripted else None
            self._changed.notify_all()
        if response is not None:
            return response
        if method.startswith("response:"):
            return Response(200, "ok")
        if self.token is not None and call.token != self.token:
            return Response(200, {"ok": False, "error": "invalid_auth"})
        handler = self._handlers.get(method)
        if handler is None:
            return Response(200, {"ok": False, "error": "unknown_method"})
        if self.latency:
            time.sleep(self.latency)
        if self.limits is not None:
            scopes = [f"method:{method}"]
            if method == "chat.postMessage":
                scopes.append(f"channel:{call.params.get('channel')}")
            refused = self.limits.admit(scopes)
            if refused is not None:
                return Response(429, {"ok": False, "error": "ratelimited"},
                                {"Retry-After": str(refused[0])})
        answer = handler(call)
        if method == "chat.postMessage" and answer.status == 200:
            with self._changed:
                self.arrivals.setdefault(str(call.params.get("channel")), []).append(
                    time.monotonic())
        return answer

    def _auth_test(self, call: SlackCall) -> Response:
        return Response(200, {"ok": True, "url": "https://fake.slack.test/", "team": "Fake",
                              "user": "switchboard", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                              "bot_id": BOT_ID})

    def _users_info(self, call: SlackCall) -> Response:
        user_id = str(call.params.get("user", ""))
        if user_id not in self.users:
            return Response(200, {"ok": False, "error": "user_not_found"})
        profile: dict[str, Any] = {"real_name": user_id}
        if self.users[user_id] is not None:
            profile["email"] = self.users[user_id]
        user: dict[str, Any] = {"id": user_id, "team_id": TEAM_ID, "is_bot": False,
                                "profile": profile}
        # Slack adds the locale only when asked (include_locale=true).
        if str(call.params.get("include_locale", "")).lower() in ("true", "1") \
                and user_id in self.locales:
            user["locale"] = self.locales[user_id]
        return Response(200, {"ok": True, "user": user})

    def _post_message(self, call: SlackCall) -> Response:
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        return Response(200, {"ok": True, "channel": call.params.get("channel"), "ts": ts,
                              "message": {"text": call.params.get("text"), "ts": ts,
                                          "bot_id": BOT_ID}})

    def _post_ephemeral(self, call: SlackCall) -> Response:
        return Response(200, {"ok": True,
                              "message_ts": f"{1_700_000_000 + next(self._ts)}.000200"})

    def _conversations_open(self, call: SlackCall) -> Response:
        user = str(call.params.get("users", "")).split(",")[0]
        if not user:
            return Response(200, {"ok": False, "error": "users_list_not_supplied"})
        channel = self.dm_channels.get(user, "D" + user.removeprefix("U"))
        return Response(200, {"ok": True, "channel": {"id": channel}})


def _params(request: Request) -> dict[str, Any]:
    """Query string, form or JSON body, merged (what the method was given)."""
    params: dict[str, Any] = {k: v[0] for k, v in request.query.items() if v}
    content_type = request.headers.get("content-type", "")
    if not request.body:
        return params
    if "json" in content_type:
        data = json.loads(request.body)
        if isinstance(data, dict):
            params.update(data)
    elif "form" in content_type:
        params.update(dict(parse_qsl(request.body.decode(), keep_blank_values=True)))
    return params
