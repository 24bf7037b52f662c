"""/onshift: who is on shift — the timetable's turn, and (for the turn running now) how
each of its people is doing on the PBX: available or on a call, paused (reason, since),
disconnected, or absent; and who is in the queue without being on turn.

A moment in the past or the future is answered from the timetable (and the absences)
alone. On a day without service, or outside the turns, it says so and names nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.core import Command, Context, Reply, Section, Services, UsageError
from commands.format import clock_time, duration
from commands.queue.activity_sync import Snapshot, sync_with_pbx
from commands.queue.board import STATE_LABELS
from commands.shifts.day_plan import DayPlan, Turn, day_plan, next_turn
from integrations.errors import IntegrationError
from integrations.pbx import MemberState, MemberStatus
from store.db import reading, transaction
from store.queue import activity
from store.queue.activity import PAUSE
from store.shifts import absences
from store.shifts.absences import Absence
from store.shifts.timetable import HOLIDAY, NOBODY
from store.shifts.timetable_io import parse_date, parse_time
from store.team import people
from store.team.people import Person

ON_TURN, PAUSED, DISCONNECTED, ABSENT, PLANNED = (
    "on_turn", "paused", "disconnected", "absent", "planned")


@dataclass(frozen=True)
class Presence:
    person: Person
    line: str
    state: str  # on_turn | paused | disconnected | absent | planned
    detail: str


@dataclass(frozen=True)
class TurnView:
    plan: DayPlan
    turn: Turn
    presences: tuple[Presence, ...]
    extra: tuple[tuple[Person | None, MemberStatus], ...]  # in the queue, not on turn
    live: bool
    note: str | None = None


# --------------------------------------------------------------------------- building


def absence_text(row: Absence, tz: tzinfo, now: datetime) -> str:
    return f"absent: {row.kind} (until {clock_time(row.ends, tz, now)})"


def view_turn(session: Session, services: Services, plan: DayPlan, turn: Turn,
              snapshot: Snapshot | None, now: datetime) -> TurnView:
    """The turn's people and their state; live when a PBX snapshot is given."""
    tz = services.settings.timezone
    on_turn = [(s.line, s.person) for s in plan.seats_of(turn) if s.person is not None]
    ids = [p.id for _, p in on_turn]
    moment = now if snapshot is not None else turn.start
    away = absences.absent_at(session, max(moment, turn.start), ids)
    pauses = {a.person_id: a for a in activity.open_activities(session, PAUSE)}
    presences: list[Presence] = []
    for line, person in on_turn:
        if person.id in away:
            presences.append(Presence(person, line, ABSENT,
                                      absence_text(away[person.id], tz, now)))
        elif snapshot is None:
            presences.append(Presence(person, line, PLANNED, "planned"))
        else:
            presences.append(_live(person, line, snapshot, pauses, tz, now))
    extra: list[tuple[Person | None, MemberStatus]] = []
    if snapshot is not None:
        mine = {p.extension for _, p in on_turn if p.extension}
        by_extension = {p.extension: p for p in people.all_people(session) if p.extension}
        extra = [(by_extension.get(m.extension), m) for m in snapshot.statuses
                 if m.extension not in mine]
    return TurnView(plan, turn, tuple(presences), tuple(extra), snapshot is not None)


def _live(person: Person, line: str, snapshot: Snapshot, pauses: dict[int, activity.Activity],
          tz: tzinfo, now: datetime) -> Presence:
    member = snapshot.member(person.extension or "") if person.extension else None
    if member is None:
        return Presence(person, line, DISCONNECTED, "not in the queue")
    if member.paused:
        logged = pauses.get(person.id)
        reason = (logged.reason if logged else None) or member.pause_reason or "no reason"
        since = (logged.started_at if logged else None) or member.paused_since
        text = f"paused: {reason}"
        if since is not None:
            lasting = duration((now - since).total_seconds())
            text += f" since {clock_time(since, tz, now)} ({lasting})"
        return Presence(person, line, PAUSED, text)
    if member.state == MemberState.DISCONNECTED:
        return Presence(person, line, DISCONNECTED, "disconnected")
    return Presence(person, line, ON_TURN, STATE_LABELS[member.state])


def live_snapshot(services: Services) -> tuple[Snapshot | None, str | None]:
    """The PBX's view now, or None and why not (the timetable answers alone then)."""
    try:
        snapshot, _ = sync_with_pbx(services)
    except IntegrationError as exc:
        return None, f"{exc.system} did not answer ({exc.message}); showing the timetable only."
    return snapshot, None


# --------------------------------------------------------------------------- the command


def _moment(ctx: Context, services: Services) -> tuple[str, date, time | None]:
    """("now"|"next"|"day"|"at", day, time) from the arguments."""
    tz = services.settings.timezone
    today = ctx.now.astimezone(tz).date()
    words = [w.lower() for w in ctx.args]
    if not words or words == ["now"]:
        return "now", today, None
    if words == ["next"]:
        return "next", today, None
    first, rest = words[0], words[1:]
    if first in ("today", "tomorrow", "yesterday"):
        day = today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[first])
    elif (parsed := parse_date(first)) is not None:
        day = parsed
    elif parse_time(first) is not None and not rest:
        return "at", today, parse_time(first)
    else:
        raise UsageError(f"I can't read {ctx.args[0]!r} as a moment: use now, next, today, "
                         "tomorrow, YYYY-MM-DD or HH:MM.")
    if not rest:
        return "day", day, None
    at = parse_time(rest[0])
    if at is None or len(rest) > 1:
        raise UsageError(f"I can't read {' '.join(ctx.args[1:])!r} as a time (HH:MM).")
    return "at", day, at


def run(ctx: Context, services: Services) -> Reply:
    tz = services.settings.timezone
    mode, day, at = _moment(ctx, services)
    now = ctx.now
    if mode == "next":
        with reading(services.sessions) as session:
            found = next_turn(session, services.settings, now)
            if found is None:
                return Reply("No turn is planned in the next two weeks.", private=True)
            plan, turn = found
            view = view_turn(session, services, plan, turn, None, now)
        return render_view(view, f"Next turn: {_when(turn, now, tz)}")
    if mode == "day":
        with reading(services.sessions) as session:
            plan = day_plan(session, services.settings, day)
            views = [view_turn(session, services, plan, t, None, now) for t in plan.turns]
        return _render_day(plan, views)
    moment = now if mode == "now" else datetime.combine(day, at or time(), tz)
    with reading(services.sessions) as session:
        plan = day_plan(session, services.settings, moment.astimezone(tz).date())
        current = plan.turn_at(moment)
    if plan.closed:
        return Reply(f"{moment:%a %d %b} has no service: {plan.closed}. Nobody is on shift.")
    if current is None:
        when = "now" if mode == "now" else f"at {moment:%a %d %b %H:%M}"
        return Reply(f"Nobody is on shift {when}: it is outside the turns"
                     + (f" ({_span(plan)})." if plan.turns else " (no turns that day)."))
    turn = current
    live = turn.contains(now)
    snapshot, note = live_snapshot(services) if live else (None, None)
    with transaction(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
    title = ("On shift now" if live else "On shift") + f": {_when(turn, now, tz)}"
    reply = render_view(view, title)
    if note:
        return Reply(reply.text + "\n" + note, reply.sections)
    return reply


def _when(turn: Turn, now: datetime, tz: tzinfo) -> str:
    today = now.astimezone(tz).date()
    day = "today" if turn.day == today else f"{turn.start:%a %d %b}"
    return f"{day}, turn {turn.number} ({turn.label})"


def _span(plan: DayPlan) -> str:
    return f"turns from {plan.turns[0].start:%H:%M} to {plan.turns[-1].end:%H:%M}"


def render_view(view: TurnView, title: str) -> Reply:
    names = [p.person.name for p in view.presences if p.state not in (ABSENT,)]
    if not view.presences:
        text = f"{title}. Nobody is planned on this turn."
    else:
        text = f"{title}: " + (", ".join(names) if names else "everyone planned is absent") + "."
    rows = [(f"{p.person.name} ({p.line})", p.detail) for p in view.presences]
    empty = [s for s in view.plan.seats_of(view.turn) if s.person is None]
    rows += [(f"— ({s.line})", "holiday" if s.status == HOLIDAY else "nobody")
             for s in empty if s.status in (NOBODY, HOLIDAY)]
    sections = [Section(title=f"Turn {view.turn.number} · {view.turn.label}"
                        + ("" if view.live else " (timetable)"), rows=tuple(rows),
                        text=None if rows else "Nobody is planned.")]
    if view.extra:
        sections.append(Section(title="In the queue but not on turn", rows=tuple(
            (person.name if person else f"ext {m.extension}",
             "paused" if m.paused else STATE_LABELS[m.state]) for person, m in view.extra)))
    return Reply(text, tuple(sections))


def _render_day(plan: DayPlan, views: list[TurnView]) -> Reply:
    day = f"{plan.day:%a %d %b %Y}"
    if plan.closed:
        return Reply(f"{day} has no service: {plan.closed}. Nobody is on shift.")
    if not plan.turns:
        return Reply(f"{day} has no turns.")
    sections = []
    for view in views:
        rows = tuple((f"{p.person.name} ({p.line})", p.detail) for p in view.presences)
        sections.append(Section(title=f"Turn {view.turn.number} · {view.turn.label}",
                                rows=rows, text=None if rows else "Nobody is planned."))
    return Reply(f"Shifts on {day}: {len(plan.turns)} turns ({_span(plan)}).", tuple(sections))


COMMAND = Command(
    name="onshift",
    run=run,
    summary="Who is on shift: the turn's people and how each is doing right now",
    usage="/onshift [now|next|today|tomorrow|YYYY-MM-DD [HH:MM]]",
    aliases=("who is on shift", "who's on shift", "on shift", "qui hi ha", "quién está",
             "quien esta"),
)
