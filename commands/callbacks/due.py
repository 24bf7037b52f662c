"""The dispatch job (every minute): due callbacks go to their agent or to the team.

``dispatch_callbacks(services)``:

1. asks the PBX who is connected (before any transaction; if it cannot be read, nobody
   counts as connected and every due callback goes to the team space);
2. in one transaction, expires what nobody took within ``CALLBACK_EXPIRY_MINUTES`` of
   its time (the coordinators hear of it), then claims the due callbacks
   (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second dispatcher never takes the
   same one) and hands each out: a personal callback whose agent is connected (and on
   turn) is a DM to that agent, in the agent's language; any other is a card with a Take
   button in the team space, in the team's language (as are the coordinators' notices).

Outbox keys are per callback and attempt, so a replayed run cannot post twice either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from commands.callbacks.booking import close
from commands.callbacks.flow import notify_coordinators, owned_card, team_card
from commands.core import TEAM, Reply, Services, person_target
from commands.shifts.day_plan import on_turn_ids
from integrations.errors import IntegrationError
from integrations.pbx import MemberState
from store.callbacks import bookings
from store.callbacks.bookings import DISPATCHED, Callback
from store.db import reading, transaction
from store.i18n import _, speaking
from store.phones import mask
from store.team.people import Person, language_of

log = logging.getLogger(__name__)
BATCH = 200  # callbacks handed out per run at most; the rest wait a minute


@dataclass
class DispatchReport:
    to_agents: list[int] = field(default_factory=list)
    to_team: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)


def connected_extensions(services: Services) -> set[str]:
    try:
        return {m.extension for m in services.pbx.queue_status()
                if m.state not in (MemberState.DISCONNECTED, MemberState.UNKNOWN)}
    except IntegrationError as exc:
        log.warning("callback dispatch: cannot read the PBX (%s); due callbacks go to the "
                    "team", exc)
        return set()


def dispatch_callbacks(services: Services) -> DispatchReport:
    connected = connected_extensions(services)
    settings, notifier = services.settings, services.notifier
    tz = settings.timezone
    expiry = timedelta(minutes=settings.callback_expiry_minutes)
    report = DispatchReport()
    now = services.clock.now()
    with reading(services.sessions) as session:
        # A personal callback reaches its agent only while they are on turn (everyone
        # connected counts on a day without a timetable).
        on_turn = on_turn_ids(session, settings, now)
    with transaction(services.sessions) as session:
        for callback in bookings.unclaimed_since(session, now - expiry, BATCH):
            _expire(session, services, callback, now)
            report.expired.append(callback.id)
        for callback in bookings.claim_due(session, now, BATCH):
            if callback.due_at <= now - expiry:  # the scheduler was down for too long
                _expire(session, services, callback, now)
                report.expired.append(callback.id)
                continue
            callback.attempts += 1
            callback.status = DISPATCHED
            callback.dispatched_at = now
            key = f"callback:{callback.id}:attempt:{callback.attempts}"
            agent = session.get(Person, callback.agent_id) if callback.agent_id else None
            if agent is not None and agent.active and agent.extension in connected \
                    and (on_turn is None or agent.id in on_turn):
                callback.owner_id = agent.id
                bookings.record(session, callback, "dispatched", "system", now,
                                 f"to {agent.key} by DM")
                with speaking(language_of(agent)):
                    card = owned_card(callback, agent, tz, now)
                notifier.send(session, person_target(agent), card, key=f"{key}:dm")
                report.to_agents.append(callback.id)
            else:
                why = f" ({agent.key} is not connected)" if agent is not None else ""
                bookings.record(session, callback, "dispatched", "system", now,
                                 f"to the team{why}")
                with speaking(None):
                    card = team_card(callback, tz, now)
                notifier.send(session, TEAM, card, key=f"{key}:team")
                report.to_team.append(callback.id)
    return report


def _expire(session: Session, services: Services, callback: Callback, now: datetime) -> None:
    minutes = services.settings.callback_expiry_minutes
    close(session, callback, bookings.EXPIRED, "system", now,
          f"nobody handled it within {minutes} min")
    with speaking(None):
        notice = Reply(_("Callback #{id} to {phone} ({queue}) expired: nobody handled it "
                         "within {minutes} min of its time. Please follow it up by hand."
                         ).format(id=callback.id, phone=mask(callback.phone),
                                  queue=callback.queue, minutes=minutes))
    notify_coordinators(session, services.notifier, callback, notice)
