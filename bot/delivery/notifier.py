"""The outbox notifier: resolve a target to a platform and space, render, write a row.

Delivery is the outbox worker's job (bot/delivery/worker.py); this module never sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from bot.render import google as render_google
from bot.render import slack as render_slack
from bot.settings import Settings
from commands.core import ALERT, COORDINATORS, TEAM, Reply
from integrations.clock import Clock
from store.messaging import chat, outbox
from store.messaging.outbox import OutboxMessage
from store.team import people

log = logging.getLogger(__name__)

def renderers(settings: Settings) -> dict[str, Callable[[Reply], dict[str, Any]]]:
    """One renderer per platform. Add-on Chat apps name the endpoint URL as the buttons'
    function (classic apps use a function name)."""
    google_function = (settings.google_chat_audience if settings.google_chat_auth_mode == "addon"
                       else render_google.CLASSIC_FUNCTION)
    return {
        "google": partial(render_google.render_message, action_function=google_function),
        "slack": render_slack.render_message,
        "console": lambda reply: reply.to_dict(),
    }


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
        added = outbox.enqueue(session, OutboxMessage(
            key=key[:200], target=target[:120], platform=destination.platform,
            space=destination.space, person_id=destination.person_id,
            body=self.renderers[destination.platform](reply), status=outbox.PENDING, attempts=0,
            priority=priority,
            next_attempt_at=now, created_at=now,
        ))
        if not added:
            log.info("outbox: %s already queued, not sending it twice", key)
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
