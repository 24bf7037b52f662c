"""/offline and the offline monitor: agents on turn whose phone is not connected.

The monitor (every OFFLINE_CHECK_SECONDS, during the turns of a day with service) keeps
one episode per disconnection: opened when an agent on turn — not paused, not absent — is
first seen disconnected (or out of the queue); after OFFLINE_GRACE_SECONDS still
disconnected it tells the coordinators' space once and the agent once; when the agent is
seen connected again the episode closes, with one "back online" if it had been reported.
A disconnection shorter than the grace period closes its episode silently. Messages are
keyed by episode, so a second run or a second scheduler sends nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import (
    COORDINATORS,
    Command,
    Context,
    Mention,
    Reply,
    Section,
    Services,
    mention,
    person_target,
)
from commands.format import clock_time, duration, first_name
from commands.queue.activity_sync import Snapshot, sync_with_pbx
from commands.shifts.day_plan import turn_now
from commands.shifts.onshift import DISCONNECTED, Presence, view_turn
from store.db import reading, transaction
from store.i18n import N_, _, speaking
from store.messaging import clockwork
from store.messaging.clockwork import OfflineEpisode
from store.team.people import language_of


@dataclass
class OfflineReport:
    opened: list[str] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)
    back: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    skipped: str | None = None


def check_offline(services: Services) -> OfflineReport:
    """The job: one pass of the monitor at the clock's now."""
    config, now = services.settings, services.clock.now()
    report = OfflineReport()
    with reading(services.sessions) as session:
        plan, turn = turn_now(session, config, now)
    if turn is None or not plan.has_timetable:
        report.skipped = plan.closed or "outside the turns"
        with transaction(services.sessions) as session:
            for over in clockwork.open_episodes(session).values():
                over.ended_at = now  # the turn is over: nothing to chase
                report.closed.append(str(over.person_id))
        return report
    snapshot, _reconciled = sync_with_pbx(services)
    grace = config.offline_grace_seconds
    with transaction(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
        episodes = clockwork.open_episodes(session)
        seen: set[int] = set()
        for presence in view.presences:
            person = presence.person
            seen.add(person.id)
            episode = episodes.get(person.id)
            if presence.state == DISCONNECTED:
                if episode is None:
                    episode = _open(session, person.id, now)
                    report.opened.append(person.key)
                if episode.alerted_at is None and \
                        (now - episode.started_at).total_seconds() >= grace:
                    _alert(services, session, episode, presence, snapshot, turn.label, now)
                    episode.alerted_at = now
                    report.alerted.append(person.key)
            elif episode is not None:
                episode.ended_at = now
                if episode.alerted_at is not None:
                    with speaking(None):  # the coordinators' space: the team's language
                        back = Reply(_("{name} is back online (was away {duration}).").format(
                            name=person.name,
                            duration=duration((now - episode.started_at).total_seconds())))
                    services.notifier.send(session, COORDINATORS, back,
                                           key=f"offline:{episode.id}:back")
                    report.back.append(person.key)
                else:
                    report.closed.append(person.key)
        for person_id, left in episodes.items():
            if person_id not in seen:
                left.ended_at = now  # no longer on turn
                report.closed.append(str(person_id))
    return report


def _open(session: Session, person_id: int, now: datetime) -> OfflineEpisode:
    episode = OfflineEpisode(person_id=person_id, started_at=now)
    session.add(episode)
    session.flush()
    return episode


# Whole sentences per case (the phone disconnected, or the extension out of the queue):
# the coordinators', then the agent's.
_TOLD = {
    True: (N_("{who} is on turn ({turn}, line {line}) but not in the queue since {since}."),
           N_("{name}, you are on turn ({turn}) but your phone shows as not in the queue since "
              "{since}. Log in (/login) or pause with a reason.")),
    False: (N_("{who} is on turn ({turn}, line {line}) but disconnected since {since}."),
            N_("{name}, you are on turn ({turn}) but your phone shows as disconnected since "
               "{since}. Log in (/login) or pause with a reason.")),
}


def _alert(services: Services, session: Session, episode: OfflineEpisode, presence: Presence,
           snapshot: Snapshot, turn_label: str, now: datetime) -> None:
    """The coordinators hear it in the team's language, the agent in their own."""
    person = presence.person
    tz = services.settings.timezone
    since = clock_time(episode.started_at, tz, now)
    out = snapshot.member(person.extension or "") is None
    to_coordinators, to_agent = _TOLD[out]
    with speaking(None):
        services.notifier.send(session, COORDINATORS, Reply(
            _(to_coordinators).format(who=mention(person), turn=turn_label,
                                      line=presence.line, since=since),
            mentions=(Mention.of(person),)), key=f"offline:{episode.id}:coordinators")
    with speaking(language_of(person)):
        services.notifier.send(session, person_target(person), Reply(
            _(to_agent).format(name=first_name(person), turn=turn_label, since=since),
            private=True), key=f"offline:{episode.id}:agent")


def run(ctx: Context, services: Services) -> Reply:
    config, now = services.settings, ctx.now
    with reading(services.sessions) as session:
        plan, turn = turn_now(session, config, now)
    if turn is None:
        if plan.closed:
            return Reply(_("Nobody is expected on the phones now: {why}.").format(
                why=plan.closed), private=True)
        return Reply(_("Nobody is expected on the phones now: it is outside the turns."),
                     private=True)
    if not plan.has_timetable:
        return Reply(_("Turn {number} ({turn}) has nobody planned today: the timetable has no "
                       "cells for this day, so I cannot tell who should be connected. /queue "
                       "shows who is; /assign or `switchboard timetable import` plans the "
                       "day.").format(number=turn.number, turn=turn.label), private=True)
    snapshot, _reconciled = sync_with_pbx(services)
    tz = config.timezone
    with reading(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
        episodes = clockwork.open_episodes(session)
    rows = []
    for p in view.presences:
        if p.state != DISCONNECTED:
            continue
        episode = episodes.get(p.person.id)
        since = (_("since {time} ({duration})").format(
                     time=clock_time(episode.started_at, tz, now),
                     duration=duration((now - episode.started_at).total_seconds()))
                 if episode else _("just noticed"))
        rows.append((_("{name} ({line}, ext {extension})").format(
                         name=p.person.name, line=p.line, extension=p.person.extension or "—"),
                     f"{p.detail} {since}"))
    if not rows:
        return Reply(_("Everyone on turn {number} ({turn}) who is not absent is connected.")
                     .format(number=turn.number, turn=turn.label), private=True)
    return Reply(_("{n} on turn {number} ({turn}) not connected.").format(
                     n=len(rows), number=turn.number, turn=turn.label),
                 (Section(title=_("Not connected"), rows=tuple(rows)),), private=True)


COMMAND = Command(
    name="offline",
    run=run,
    summary=N_("Agents on turn who are not connected now, and since when"),
    usage="/offline",
    aliases=("who is offline", "disconnected"),
)
