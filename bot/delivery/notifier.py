"""The outbox notifier: resolve a target to a platform and space, render, write a row.

A reply too big for one message of its platform is written as several rows, cut where a
reader expects a break (bot/render/split.py): the first keeps the key, the others add
``#2``, ``#3``…, all in the same transaction, so a repeated send still sends nothing
twice. Each row keeps the reply it was rendered from (``_reply`` in the body, never
sent), so a message the platform refuses as too long can be split again, and the language
it was written in (``_language``: whoever builds a message renders it inside ``speaking``
its reader's language, so "(continued)" is in it), so the new pieces say it alike.

Delivery is the outbox worker's job (bot/delivery/worker.py); this module never sends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from bot.render import google as render_google
from bot.render import slack as render_slack
from bot.render.split import split_reply
from bot.settings import Settings
from commands.core import ALERT, COORDINATORS, TEAM, Reply
from integrations.clock import Clock
from store import i18n
from store.messaging import chat, outbox
from store.messaging.outbox import OutboxMessage
from store.team import people

log = logging.getLogger(__name__)

Renderer = Callable[[Reply], list[dict[str, Any]]]
REPLY_KEY = "_reply"  # the body's copy of its reply: kept in the outbox, never sent
LANGUAGE_KEY = "_language"  # the language it was rendered in: kept, never sent


def renderers(settings: Settings) -> dict[str, Renderer]:
    """One renderer per platform: a reply → the bodies of the messages it takes. Add-on
    Chat apps name the endpoint URL as the buttons' function (classic apps a name)."""
    google_function = (settings.google_chat_audience if settings.google_chat_auth_mode == "addon"
                       else render_google.CLASSIC_FUNCTION)

    def google(reply: Reply) -> list[dict[str, Any]]:
        return _keeping(render_google.split(reply, action_function=google_function),
                        partial(render_google.render_message,
                                action_function=google_function))

    def slack(reply: Reply) -> list[dict[str, Any]]:
        return _keeping(render_slack.split(reply), render_slack.render_message)

    return {"google": google, "slack": slack, "console": lambda reply: [reply.to_dict()]}


def _keeping(pieces: list[Reply],
             render: Callable[[Reply], dict[str, Any]]) -> list[dict[str, Any]]:
    language = i18n.current()
    return [{**render(piece), REPLY_KEY: piece.to_dict(), LANGUAGE_KEY: language}
            for piece in pieces]


def halves(settings: Settings) -> Callable[[str, dict[str, Any]], list[dict[str, Any]]]:
    """For the worker: a body the platform refused as too long → bodies half its size
    or less, nothing lost (``[]`` when it cannot be cut any further)."""
    google_function = (settings.google_chat_audience if settings.google_chat_auth_mode == "addon"
                       else render_google.CLASSIC_FUNCTION)
    render_one: dict[str, Callable[[Reply], dict[str, Any]]] = {
        "google": partial(render_google.render_message, action_function=google_function),
        "slack": render_slack.render_message}

    def halve(platform: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        render = render_one.get(platform)
        if render is None or REPLY_KEY not in body:
            return []
        reply = Reply.from_dict(body[REPLY_KEY])
        language = body.get(LANGUAGE_KEY)
        with i18n.speaking(language if isinstance(language, str) else None):
            size = len(json.dumps(render(reply)))
            pieces = split_reply(reply, lambda r: len(json.dumps(render(r))) <= size // 2)
            return _keeping(pieces, render) if len(pieces) > 1 else []

    return halve


def part_key(key: str, n: int) -> str:
    """The outbox key of piece ``n`` (from 1) of a message split in several."""
    if n == 1:
        return key[:200]
    suffix = f"#{n}"
    return key[:200 - len(suffix)] + suffix


@dataclass(frozen=True)
class Destination:
    platform: str
    space: str | None  # None: a DM still to be opened/found at delivery
    person_id: int | None = None


class UnknownTarget(ValueError):
    pass


class OutboxNotifier:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.renderers = renderers(settings)

    @property
    def google_enabled(self) -> bool:
        return bool(self.settings.google_chat_service_account_file)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.settings.slack_bot_token)

    def send(self, session: Session, target: str, reply: Reply, *, key: str,
             priority: int = ALERT) -> bool:
        destination = self.resolve(session, target)
        now = self.clock.now()
        # What the renderer adds ("(continued)") is in the reader's language, as the reply
        # is: a person's for a DM, the team's for a space.
        reader = session.get(people.Person, destination.person_id) \
            if destination.person_id is not None else None
        with i18n.speaking(people.language_of(reader)):
            bodies = self.renderers[destination.platform](reply)
        added = False
        for n, body in enumerate(bodies, start=1):
            added = outbox.enqueue(session, OutboxMessage(
                key=part_key(key, n), target=target[:120], platform=destination.platform,
                space=destination.space, person_id=destination.person_id, body=body,
                status=outbox.PENDING, attempts=0, priority=priority, next_attempt_at=now,
                created_at=now,
            ))
            if not added:
                log.info("outbox: %s already queued, not sending it twice", key)
                return False
        return added

    def send_to_space(self, session: Session, platform: str, space: str, reply: Reply, *,
                      key: str, viewer: str | None = None) -> bool:
        """The rest of an answer too long for one message, into the space it was asked in
        (``viewer``: only that user sees it), as urgent as a screen pop."""
        now = self.clock.now()
        added = False
        for n, body in enumerate(self.renderers[platform](reply), start=1):
            if viewer is not None:
                body = {**body, "privateMessageViewer": {"name": viewer}}
            added = outbox.enqueue(session, OutboxMessage(
                key=part_key(key, n), target=f"space:{space}"[:120], platform=platform,
                space=space, person_id=None, body=body, status=outbox.PENDING, attempts=0,
                priority=outbox.URGENT, next_attempt_at=now, created_at=now))
        return added

    def dm_platforms(self, session: Session) -> dict[str, str]:
        """The platform each active person's DMs go to (as ``resolve`` picks it), by key;
        people reached only through the console are left out."""
        found: dict[str, str] = {}
        for person in people.all_people(session, active_only=True):
            if person.google_chat_id and self.google_enabled:
                found[person.key] = "google"
            elif person.slack_id and self.slack_enabled:
                found[person.key] = "slack"
        return found

    def resolve(self, session: Session, target: str) -> Destination:
        if target in (TEAM, COORDINATORS):
            setting = self.settings.team_space if target == TEAM else \
                self.settings.coordinators_space
            if not setting:
                return Destination("console", target)
            platform, _, space = setting.partition(":")
            return Destination(platform, space)
        if target.startswith("person:"):
            person = people.by_key(session, target.removeprefix("person:"))
            if person is None:
                raise UnknownTarget(f"no person {target!r}")
            if person.google_chat_id and self.google_enabled:
                dm = chat.dm_space(session, "google", person.id)
                return Destination("google", dm.name if dm else None, person.id)
            if person.slack_id and self.slack_enabled:
                dm = chat.dm_space(session, "slack", person.id)
                return Destination("slack", dm.name if dm else None, person.id)
            return Destination("console", f"@{person.key}", person.id)
        raise UnknownTarget(f"unknown target {target!r} (team, coordinators or person:KEY)")
