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
from commands.queue.activity_sync import sync_with_pbx
from commands.shifts.day_plan import turn_now
from commands.shifts.onshift import DISCONNECTED, Presence, view_turn
from store.db import reading, transaction
from store.messaging import clockwork
from store.messaging.clockwork import OfflineEpisode


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
    snapshot, _ = sync_with_pbx(services)
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
                    _alert(services, session, episode, presence, turn.label, now)
                    episode.alerted_at = now
                    report.alerted.append(person.key)
            elif episode is not None:
                episode.ended_at = now
                if episode.alerted_at is not None:
                    services.notifier.send(session, COORDINATORS, Reply(
                        f"{person.name} is back online (was away "
                        f"{duration((now - episode.started_at).total_seconds())})."),
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


def _alert(services: Services, session: Session, episode: OfflineEpisode, presence: Presence,
           turn_label: str, now: datetime) -> None:
    person = presence.person
    tz = services.settings.timezone
    since = clock_time(episode.started_at, tz, now)
    services.notifier.send(session, COORDINATORS, Reply(
        f"{mention(person)} is on turn ({turn_label}, line {presence.line}) but "
        f"{presence.detail} since {since}.", mentions=(Mention.of(person),)),
        key=f"offline:{episode.id}:coordinators")
    services.notifier.send(session, person_target(person), Reply(
        f"{first_name(person)}, you are on turn ({turn_label}) but your phone shows as "
        f"{presence.detail} since {since}. Log in (/login) or pause with a reason.",
        private=True), key=f"offline:{episode.id}:agent")


def run(ctx: Context, services: Services) -> Reply:
    config, now = services.settings, ctx.now
    with reading(services.sessions) as session:
        plan, turn = turn_now(session, config, now)
    if turn is None:
        why = plan.closed or "it is outside the turns"
        return Reply(f"Nobody is expected on the phones now: {why}.", private=True)
    if not plan.has_timetable:
        return Reply(f"Turn {turn.number} ({turn.label}) has nobody planned today: the "
                     "timetable has no cells for this day, so I cannot tell who should be "
                     "connected. /queue shows who is; /assign or `switchboard timetable "
                     "import` plans the day.", private=True)
    snapshot, _ = sync_with_pbx(services)
    tz = config.timezone
    with reading(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
        episodes = clockwork.open_episodes(session)
    rows = []
    for p in view.presences:
        if p.state != DISCONNECTED:
            continue
        episode = episodes.get(p.person.id)
        since = (f"since {clock_time(episode.started_at, tz, now)} "
                 f"({duration((now - episode.started_at).total_seconds())})"
                 if episode else "just noticed")
        rows.append((f"{p.person.name} ({p.line}, ext {p.person.extension or '—'})",
                     f"{p.detail} {since}"))
    if not rows:
        return Reply(f"Everyone on turn {turn.number} ({turn.label}) who is not absent is "
                     "connected.", private=True)
    return Reply(f"{len(rows)} on turn {turn.number} ({turn.label}) not connected.",
                 (Section(title="Not connected", rows=tuple(rows)),), private=True)


COMMAND = Command(
    name="offline",
    run=run,
    summary="Agents on turn who are not connected now, and since when",
    usage="/offline",
    aliases=("who is offline", "disconnected"),
)
