"""What the benchmarks send through the chat doors, made before any clock starts.

- Google Chat: a classic MESSAGE event in a DM from Alice, each with its own message name
  (the door answers a repeated name from the store without running anything), and
  genuinely signed bearer tokens, each with its own ``jti`` (``testing.google_tokens``).
- Slack: ``/switchboard TEXT`` slash commands from Alice, each with its own ``trigger_id``
  (a repeated one would be a redelivery), signed with the bench's secret as Slack signs.
- ``SlackSink``: the Slack Web API and response URLs, answering ``ok``; a slash command
  only reaches it when the dispatcher misses the acknowledgement deadline, so the bench
  counts those as late answers.
- ``prepare_team``: the demo team, its agents in the sim PBX's queue, Alice's Slack id
  known (as after her first message), so no request waits on users.info.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from commands.core import Services
from store.db import transaction
from store.demo.team import load_demo
from store.team import people
from store.team.people import Role
from testing.google_tokens import PROJECT_NUMBER, classic_dm, mint, project_number_claims
from testing.local_server import LocalServer, Request, Response

# Made up per process: the bench's server gets them through its environment.
SLACK_SECRET = secrets.token_hex(16)
SLACK_TOKEN = "xoxb-bench-" + secrets.token_hex(8)
SLACK_USER = "U0BENCHALICE"
SLACK_TEAM = "T0BENCH"
ALICE = "alice"
_N = "__NUMBER__"


def chat_env(certs_url: str, slack_api_url: str) -> dict[str, str]:
    """The doors' configuration for the bench: its own certificates and Slack secret."""
    return {"GOOGLE_CHAT_AUTH_MODE": "project_number", "GOOGLE_CHAT_AUDIENCE": PROJECT_NUMBER,
            "GOOGLE_CHAT_CERTS_URL": certs_url, "GOOGLE_CHAT_ADDON_EMAIL": "",
            "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_API_URL": slack_api_url}


def prepare_team(services: Services) -> None:
    """Demo team; every agent with an extension in the queue; Alice's Slack id stored."""
    with transaction(services.sessions) as session:
        load_demo(session, services.clock.now())
        agents = [p.extension for p in people.with_role(session, Role.AGENT) if p.extension]
        alice = people.by_key(session, ALICE)
        assert alice is not None, "the demo team has no alice"
        people.link_chat_id(session, alice, "slack", SLACK_USER)
    services.pbx.set_members(agents)


# --------------------------------------------------------------------------- Google Chat


def google_tokens(count: int) -> list[str]:
    """``count`` distinct signed tokens (own ``jti``), valid for the next hour."""
    return [mint(project_number_claims(jti=uuid.uuid4().hex)) for _ in range(count)]


def google_bodies(text: str) -> Callable[[int], bytes]:
    """Alice writing ``text`` in her DM: body number N has a message name of its own (the
    run's tag, so a second run on the same database is no redelivery either)."""
    run = uuid.uuid4().hex[:8]
    event: dict[str, Any] = classic_dm(text, message=f"spaces/DM1/messages/{run}-{_N}")
    template = json.dumps(event).encode()
    return lambda number: template.replace(_N.encode(), str(number).encode())


def google_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# --------------------------------------------------------------------------- Slack


def slack_bodies(text: str, response_url: str, *, user_id: str = SLACK_USER,
                 user_name: str = ALICE) -> Callable[[int], bytes]:
    """``/switchboard TEXT`` from Alice (or ``user_id``) in a channel; body number N has a
    trigger id of its own (with the run's tag: a door that answers a repeated trigger id
    from the store, as Slack's redeliveries deserve, must not be timed on that cheap
    path)."""
    run = uuid.uuid4().hex[:8]
    template = urlencode({"command": "/switchboard", "text": text, "user_id": user_id,
                          "user_name": user_name, "channel_id": "C0BENCH",
                          "channel_name": "general",
                          "team_id": SLACK_TEAM, "trigger_id": f"bench.{run}.{_N}",
                          "response_url": response_url}).encode()
    return lambda number: template.replace(_N.encode(), str(number).encode())


def slack_headers(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signature headers for ``body`` (valid for five minutes from ``timestamp``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


class SlackSink(LocalServer):
    """Slack's Web API and response URLs: everything answered ``ok`` and counted."""

    def __init__(self) -> None:
        super().__init__(self._answer)

    def _answer(self, request: Request) -> Response:
        if request.path.startswith("/response/"):
            return Response(200, "ok")
        return Response(200, {"ok": True})

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def response_url(self) -> str:
        return self.url + "/response/bench"

    @property
    def late_answers(self) -> int:
        """Answers sent through a response URL: slash commands that missed the ack."""
        return sum(1 for r in self.requests if r.path.startswith("/response/"))
