"""The same command typed in the console, Google Chat and Slack yields the same content.

One app serves both doors over one database; each platform's rendering is read back
into (text, [(title, rows)]) and compared with the neutral Reply the console shows.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from commands.core import Reply, Where
from commands.dispatch import Dispatcher, Incoming
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from testing.fake_slack import TEAM_ID, FakeSlack
from testing.google_tokens import CertsServer, Door, open_door
from tests.conftest import Database

TRIGGERS = itertools.count(1)  # Slack's trigger_id is unique per invocation

SECRET = "a-slack-signing-secret"
CARLA_EMAIL = "carla@switchboard.example"


@dataclass
class Content:
    """What a person reads: the text, section titles, key/value rows, buttons (label, command)."""

    text: str
    titles: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


def from_reply(reply: Reply) -> Content:
    return Content(reply.text, [s.title for s in reply.sections if s.title],
                   [row for s in reply.sections for row in s.rows],
                   [(b.label, b.text) for s in reply.sections for b in s.buttons])


def from_google(message: dict[str, Any]) -> Content:
    content = Content(message["text"])
    for card in message.get("cardsV2", []):
        for section in card["card"]["sections"]:
            if "header" in section:
                content.titles.append(html.unescape(section["header"]))
            for widget in section["widgets"]:
                if "decoratedText" in widget:
                    content.rows.append((html.unescape(widget["decoratedText"]["topLabel"]),
                                         html.unescape(widget["decoratedText"]["text"])))
                for button in widget.get("buttonList", {}).get("buttons", []):
                    params = {p["key"]: p["value"]
                              for p in button["onClick"]["action"]["parameters"]}
                    content.buttons.append(
                        (button["text"], f"/{params['command']} {params['args']}".strip()))
    return content


def _slack_text(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def from_slack(message: dict[str, Any]) -> Content:
    blocks = message["blocks"]
    content = Content(_slack_text(blocks[0]["text"]["text"]))
    for block in blocks[1:]:
        if block["type"] == "header":
            content.titles.append(block["text"]["text"])
        for item in block.get("fields", []):
            key, _, value = item["text"].partition("\n")
            content.rows.append((_slack_text(key.strip("*")), _slack_text(value)))
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            value = json.loads(element["value"])
            content.buttons.append(
                (element["text"]["text"], f"/{value['command']} {value['args']}".strip()))
    return content


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(users={"U0CARLA": CARLA_EMAIL}) as fake:
        yield fake


@pytest.fixture
def door(db: Database, clock: FixedClock, certs: CertsServer, slack: FakeSlack) -> Door:
    return open_door(db, clock, certs.certs_url, SLACK_SIGNING_SECRET=SECRET,
                     SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)


def ask_console(door: Door, text: str) -> Content:
    result = Dispatcher(COMMANDS, door.services).handle(Incoming(
        platform="console", user_id="carla", text=text, where=Where(platform="console")))
    assert result.ok, result.reply.text
    return from_reply(result.reply)


def ask_google(door: Door, text: str) -> Content:
    body = {"type": "MESSAGE", "eventTime": "2026-11-23T08:00:00Z",
            "user": {"name": "users/201", "email": CARLA_EMAIL, "type": "HUMAN"},
            "space": {"name": "spaces/DMC", "type": "DM", "spaceType": "DIRECT_MESSAGE"},
            "message": {"name": f"spaces/DMC/messages/{abs(hash(text))}", "text": text,
                        "argumentText": text}}
    response = door.post(body)
    assert response.status_code == 200
    assert isinstance(response.json, dict)
    return from_google(response.json)


def ask_slack(door: Door, slack: FakeSlack, text: str) -> Content:
    raw = urlencode({"command": "/switchboard", "text": text, "user_id": "U0CARLA",
                     "channel_id": "C0GENERAL", "team_id": TEAM_ID,
                     "response_url": slack.response_url("switchboard"),
                     "trigger_id": f"{next(TRIGGERS)}.1"})
    ts = str(int(door.services.clock.now().timestamp()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw)
    response = door.client.post("/slack/events", data=raw,
                                content_type="application/x-www-form-urlencoded",
                                headers={"X-Slack-Request-Timestamp": ts,
                                         "X-Slack-Signature": signature})
    assert response.status_code == 200
    return from_slack(json.loads(response.data))


@pytest.mark.parametrize("command", ["help", "help pause", "people coordinator", "queue"])
def test_console_google_and_slack_say_the_same(door: Door, slack: FakeSlack,
                                               command: str) -> None:
    console = ask_console(door, command)
    assert ask_google(door, command) == console
    assert ask_slack(door, slack, command) == console
    assert console.rows, "the comparison must cover sections, not only the text"
