"""Live alerts: the queue speaks up when something needs a person, and says when it is over.

Rules (thresholds in the settings; ``docs/alerts.md``):

- **ring-no-answer**: an agent let ALERT_RING_NO_ANSWER calls in a row ring out (AMI
  ``AgentRingNoAnswer``, or a ``call.ring_no_answer`` webhook event). The agent hears it
  first; at twice as many, the coordinators too; optionally the agent is paused. A call
  the agent answers ends the streak.
- **pressure**: at least ALERT_WAITING_CALLERS callers waiting, or the longest wait over
  ALERT_WAIT_SECONDS, while at least ALERT_UNAVAILABLE_AGENTS agents on turn are paused or
  offline. The team space hears it, with the names of those paused and offline.
- **service-level**: the service level of the last 30 minutes is below ALERT_SERVICE_LEVEL
  (%). The coordinators hear it at most once per turn.
- **nobody**: during a turn, nobody in the queue is available (all paused or offline).

The queue rules are checked every ALERT_CHECK_SECONDS during the turns (outside them
nothing is said, and what was open closes quietly). Each alert is one episode: raised
once, with Pause / Resume / Open board buttons, and cleared once ("back to normal"), keyed
in the outbox so replicas and reruns never repeat it. ``/alerts mute 30m`` silences what
goes to the team and the coordinators for a while; an agent's own DM is never muted.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.core import (
    COORDINATORS,
    TEAM,
    Button,
    Command,
    Context,
    Denied,
    Mention,
    Reply,
    Section,
    Services,
    UsageError,
    mention,
    person_target,
)
from commands.format import clock_time, duration, first_name
from commands.queue.activity_sync import sync_with_pbx
from commands.shifts.day_plan import turn_now
from commands.shifts.onshift import DISCONNECTED, PAUSED, view_turn
from commands.stats.figures import settings_basis
from commands.stats.metrics import Figures, clock
from commands.words import canonical
from integrations.errors import IntegrationError
from integrations.pbx.base import MemberState
from store.db import reading, transaction
from store.i18n import N_, _, ngettext, number, pgettext, speaking
from store.queue import alerts
from store.queue.alerts import AlertEpisode
from store.stats.sums import period_sums
from store.team import people
from store.team.people import Role, language_of

RING_NO_ANSWER, PRESSURE, SERVICE_LEVEL, NOBODY = (
    "ring-no-answer", "pressure", "service-level", "nobody")
RULES = (RING_NO_ANSWER, PRESSURE, SERVICE_LEVEL, NOBODY)
SL_WINDOW = timedelta(minutes=30)
SL_MIN_CALLS = 5  # fewer answered calls in the window say nothing about the service level
# "30m", "2h", "45 min", "1 hora": minutes or hours, in any of our languages.
MUTE = re.compile(r"^(\d{1,4})\s*(m|min|mins|minutes?|minuts?|minutos?|h|hours?|hores?|horas?)$",
                  re.IGNORECASE)


def buttons() -> Section:
    """Pause / Resume / Open board, labelled in the reader's language."""
    return Section(buttons=(Button(_("Pause"), "pause"), Button(_("Resume"), "resume"),
                            Button(_("Open board"), "queue")))


@dataclass
class AlertReport:
    raised: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    skipped: str | None = None


# --------------------------------------------------------------------------- ring no answer


def ring_no_answer(services: Services, extension: str, call_id: str | None = None
                   ) -> str | None:
    """A call rang out on ``extension``: count it; what was told, if anything. The same
    ``call_id`` reported twice in a row for the extension counts once."""
    config, now = services.settings, services.clock.now()
    limit = config.alert_ring_no_answer
    if limit <= 0:
        return None
    told: str | None = None
    pause_it = False
    with transaction(services.sessions) as session:
        person = people.by_extension(session, extension)
        if person is None:
            return None
        episode = alerts.open_episode(session, RING_NO_ANSWER, person.key)
        if episode is None:
            episode = alerts.start(session, RING_NO_ANSWER, person.key, now)
        elif call_id is not None and episode.detail == call_id:
            return None  # the same call reported again
        episode.detail = call_id[:500] if call_id else None
        episode.count += 1
        if episode.count >= limit and episode.alerted_at is None:
            episode.alerted_at = now
            with speaking(language_of(person)):  # a DM: the agent's language
                to_agent = Reply(ngettext(
                    "{name}, {n} calls in a row rang out on your phone ({extension}) without "
                    "being answered. If you are away, pause (/pause) so callers go to someone "
                    "who is there.",
                    "{name}, {n} calls in a row rang out on your phone ({extension}) without "
                    "being answered. If you are away, pause (/pause) so callers go to someone "
                    "who is there.", episode.count).format(
                        name=first_name(person), n=episode.count, extension=extension),
                    (buttons(),), private=True)
            services.notifier.send(session, person_target(person), to_agent,
                                   key=f"alert:{episode.id}:agent")
            told = "agent"
            pause_it = config.alert_ring_no_answer_pause
        if episode.count >= 2 * limit and episode.escalated_at is None:
            episode.escalated_at = now
            if not alerts.muted(session, now):
                with speaking(None):  # the coordinators' space: the team's language
                    to_coordinators = Reply(ngettext(
                        "{who} let {n} calls in a row ring out (extension {extension}).",
                        "{who} let {n} calls in a row ring out (extension {extension}).",
                        episode.count).format(who=mention(person), n=episode.count,
                                              extension=extension),
                        (buttons(),), mentions=(Mention.of(person),))
                services.notifier.send(session, COORDINATORS, to_coordinators,
                                       key=f"alert:{episode.id}:coordinators")
                told = "coordinators"
    if pause_it:
        # Outside the transaction: no lock is held across the PBX call. Already paused,
        # or the PBX away: the DM has said what to do.
        with contextlib.suppress(IntegrationError):
            services.pbx.pause(extension, "ring no answer")
    return told


def answered(services: Services, extension: str) -> bool:
    """A call was answered on ``extension``: its ring-no-answer streak ends."""
    now = services.clock.now()
    with transaction(services.sessions) as session:
        person = people.by_extension(session, extension)
        if person is None:
            return False
        episode = alerts.open_episode(session, RING_NO_ANSWER, person.key)
        if episode is None:
            return False
        episode.ended_at = now
        if episode.alerted_at is not None:
            with speaking(language_of(person)):
                over = Reply(_("You answered a call: the ring-no-answer alert is over."),
                             private=True)
            services.notifier.send(session, person_target(person), over,
                                   key=f"alert:{episode.id}:cleared")
    return True


# --------------------------------------------------------------------------- the queue


def check_alerts(services: Services) -> AlertReport:
    """The job: look at the queue once and raise or clear the queue rules."""
    config, now = services.settings, services.clock.now()
    report = AlertReport()
    with reading(services.sessions) as session:
        plan, turn = turn_now(session, config, now)
    if turn is None or not plan.has_timetable:
        report.skipped = plan.closed or "outside the turns"
        with transaction(services.sessions) as session:
            for rule in (PRESSURE, NOBODY, SERVICE_LEVEL):
                for episode in alerts.open_episodes(session, rule):
                    episode.ended_at = now  # quiet hours: nothing to chase
        return report
    snapshot, _reconciled = sync_with_pbx(services)
    live = services.pbx.waiting_calls()
    # What is said goes to the team's or the coordinators' space: the team's language.
    with speaking(None), transaction(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
        paused = [p.person for p in view.presences if p.state == PAUSED]
        offline = [p.person for p in view.presences if p.state == DISCONNECTED]
        unavailable = paused + offline
        waiting = live.calls if live is not None else 0
        longest = (live.longest_wait or 0.0) if live is not None else 0.0
        tz = config.timezone

        busy_queue = ((config.alert_waiting_callers and waiting >= config.alert_waiting_callers)
                      or (config.alert_wait_seconds and longest >= config.alert_wait_seconds))
        names = ", ".join((_("{who} (paused)") if p in paused else _("{who} (offline)"))
                          .format(who=mention(p)) for p in unavailable)
        _condition(services, session, report, PRESSURE, "queue",
                   bool(busy_queue) and len(unavailable) >= config.alert_unavailable_agents,
                   Reply(ngettext(
                       "The queue is under pressure: {waiting} waiting, the longest for {wait}, "
                       "while {n} on turn ({turn}) are away: {names}.",
                       "The queue is under pressure: {waiting} waiting, the longest for {wait}, "
                       "while {n} on turn ({turn}) are away: {names}.", len(unavailable))
                         .format(waiting=waiting, wait=clock(longest), n=len(unavailable),
                                 turn=turn.label, names=names), (buttons(),),
                         mentions=tuple(Mention.of(p) for p in unavailable)),
                   _("back to normal: {waiting} waiting").format(waiting=waiting),
                   _target(config.alert_pressure_to), now)

        available = [s for s in snapshot.statuses
                     if not s.paused and s.state != MemberState.DISCONNECTED]
        nobody = bool(view.presences) and not available
        _condition(services, session, report, NOBODY, "queue", nobody,
                   Reply(_("Nobody in the queue can take a call: everyone on turn ({turn}) is "
                           "paused or offline. {waiting} waiting.").format(
                               turn=turn.label, waiting=waiting), (buttons(),)),
                   _("back to normal: someone in the queue can take calls again"),
                   _target(config.alert_nobody_to), now)

        if config.alert_service_level:
            sums = period_sums(session, now - SL_WINDOW, now, queue=config.pbx_queue).get(None)
            figures = Figures.of(sums, settings_basis(config)) if sums is not None else None
            level = figures.service_level_pct if figures is not None else None
            enough = sums is not None and sums.answered_timed >= SL_MIN_CALLS
            scope = f"turn:{turn.start.isoformat()}"
            low = enough and level is not None and level < config.alert_service_level
            open_now = alerts.open_episode(session, SERVICE_LEVEL, scope)
            if low and open_now is None and not alerts.seen_in(session, SERVICE_LEVEL, scope):
                _raise(services, session, report, SERVICE_LEVEL, scope, Reply(
                    _("Service level of the last 30 minutes: {level}%, below the {target}% "
                      "target (answered within {seconds} s). Turn {turn}; since {time}.").format(
                        level=number(level or 0), target=config.alert_service_level,
                        seconds=config.service_level_seconds, turn=turn.label,
                        time=clock_time(now - SL_WINDOW, tz, now)), (buttons(),)),
                    _target(config.alert_service_level_to), now)
            elif not low and open_now is not None and enough:
                _clear(services, session, report, open_now,
                       _("back to normal: the service level is {level}%").format(
                           level=number(level or 0)),
                       _target(config.alert_service_level_to), now)
    return report


def _target(who: str) -> str:
    """ALERT_*_TO: the team space or the coordinators'."""
    return COORDINATORS if who == "coordinators" else TEAM


def _condition(services: Services, session: Session, report: AlertReport, rule: str,
               scope: str, holds: bool, raised: Reply, cleared: str, target: str,
               now: datetime) -> None:
    episode = alerts.open_episode(session, rule, scope)
    if holds and episode is None:
        _raise(services, session, report, rule, scope, raised, target, now)
    elif not holds and episode is not None:
        _clear(services, session, report, episode, cleared, target, now)


def _raise(services: Services, session: Session, report: AlertReport, rule: str, scope: str,
           reply: Reply, target: str, now: datetime) -> None:
    episode = alerts.start(session, rule, scope, now, reply.text)
    episode.count = 1
    report.raised.append(rule)
    if alerts.muted(session, now):
        return
    episode.alerted_at = now
    services.notifier.send(session, target, reply, key=f"alert:{episode.id}:raised")


def _clear(services: Services, session: Session, report: AlertReport, episode: AlertEpisode,
           text: str, target: str, now: datetime) -> None:
    episode.ended_at = now
    report.cleared.append(episode.rule)
    if episode.alerted_at is not None:
        services.notifier.send(session, target, Reply(f"{_title(episode.rule)}: {text}."),
                               key=f"alert:{episode.id}:cleared")


def _title(rule: str) -> str:
    return _({RING_NO_ANSWER: N_("Ring no answer"), PRESSURE: N_("Queue under pressure"),
              SERVICE_LEVEL: N_("Service level"), NOBODY: N_("Nobody in the queue")}[rule])


# --------------------------------------------------------------------------- /alerts


USAGE = "/alerts | /alerts mute 30m | /alerts unmute"


def run(ctx: Context, services: Services) -> Reply:
    sub = canonical(ctx.args[0]) if ctx.args else ""
    if sub in ("mute", "unmute"):
        if not ctx.role.allows(Role.COORDINATOR):
            raise Denied(_("Only coordinators can mute the alerts."))
        return _mute(ctx, services, sub)
    if sub:
        raise UsageError(_("I don't know '/alerts {word}'.").format(word=ctx.args[0]))
    return _list(ctx, services)


def _mute(ctx: Context, services: Services, sub: str) -> Reply:
    tz = services.settings.timezone
    with transaction(services.sessions) as session:
        if sub == "unmute":
            ended = alerts.unmute(session, ctx.now)
            return Reply(_("The alerts speak again.") if ended
                         else _("The alerts were not muted."), private=True)
        raw = " ".join(ctx.args[1:])
        found = MUTE.match(raw.strip())
        if not found:
            raise UsageError(_("For how long? Say a duration such as 30m or 2h, not "
                               "'{said}'.").format(said=raw))
        amount = int(found.group(1))
        span = timedelta(hours=amount) if found.group(2).lower().startswith("h") \
            else timedelta(minutes=amount)
        if not timedelta(minutes=1) <= span <= timedelta(hours=24):
            raise UsageError(_("The duration: between 1 minute and 24 hours."))
        until = ctx.now + span
        alerts.mute(session, ctx.person.id, until, ctx.now)
    return Reply(_("Alerts to the team and the coordinators are muted until {time}. An agent "
                   "still hears their own. /alerts unmute ends it sooner.").format(
                       time=clock_time(until, tz, ctx.now)), private=True)


def _list(ctx: Context, services: Services) -> Reply:
    config, tz = services.settings, services.settings.timezone
    rna = config.alert_ring_no_answer
    if not rna:
        ringing = pgettext("alert rule", "off")
    elif config.alert_ring_no_answer_pause:
        ringing = _("{n} calls in a row rang out (coordinators at {twice}); the agent is "
                    "paused").format(n=rna, twice=2 * rna)
    else:
        ringing = _("{n} calls in a row rang out (coordinators at {twice})").format(
            n=rna, twice=2 * rna)
    rules = [
        (RING_NO_ANSWER, ringing),
        (PRESSURE, _("{waiting} waiting or a wait over {wait}, with {agents}+ on turn away")
         .format(waiting=config.alert_waiting_callers or "—",
                 wait=duration(config.alert_wait_seconds) if config.alert_wait_seconds else "—",
                 agents=config.alert_unavailable_agents)),
        (SERVICE_LEVEL, _("below {level}% over 30 minutes, once a turn").format(
            level=config.alert_service_level) if config.alert_service_level
         else pgettext("alert rule", "off")),
        (NOBODY, _("nobody in the queue available during a turn")),
    ]
    with reading(services.sessions) as session:
        lines = [_("Live alerts:")]
        for rule, what in rules:
            open_now = alerts.open_episodes(session, rule)
            state = pgettext("alert rule", "quiet") if not open_now else ", ".join(
                _episode_text(session, e, tz, ctx.now) for e in open_now)
            lines.append(f"• {_title(rule)} ({what}): {state}")
        silence = alerts.muted(session, ctx.now)
        if silence is not None:
            who = session.get(people.Person, silence.person_id) if silence.person_id else None
            until = clock_time(silence.until, tz, ctx.now)
            lines.append(_("Muted until {time} by {name}.").format(time=until, name=who.name)
                         if who else _("Muted until {time}.").format(time=until))
    return Reply("\n".join(lines), private=True)


def _episode_text(session: Session, episode: AlertEpisode, tz: tzinfo, now: datetime) -> str:
    since = clock_time(episode.started_at, tz, now)
    if episode.rule == RING_NO_ANSWER:
        person = people.by_key(session, episode.scope)
        name = person.name if person else episode.scope
        return _("{name}: {n} in a row since {time}").format(name=name, n=episode.count,
                                                              time=since)
    return _("since {time}").format(time=since)


COMMAND = Command(
    name="alerts",
    run=run,
    summary=N_("The live alerts and their state; coordinators mute them for a while"),
    usage=USAGE,
    aliases=("alarms",),
)
