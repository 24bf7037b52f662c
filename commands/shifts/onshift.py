"""/onshift: who is on shift — the timetable's turn, and (for the turn running now) how
each of its people is doing on the PBX: available or on a call, paused (reason, since),
disconnected, or absent; and who is in the queue without being on turn.

A moment in the past or the future is answered from the timetable (and the absences)
alone. On a day without service, or outside the turns, it says so and names nobody.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.core import Button, Command, Context, Reply, Section, Services, UsageError
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
    over_limit: bool = False  # paused longer than the reason allows


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
    pauses = {a.person_id: a for a in activity.open_rows(session, PAUSE)}
    limits = {r.code: r.max_minutes for r in activity.reasons(session)} if snapshot else {}
    presences: list[Presence] = []
    for line, person in on_turn:
        if person.id in away:
            presences.append(Presence(person, line, ABSENT,
                                      absence_text(away[person.id], tz, now)))
        elif snapshot is None:
            presences.append(Presence(person, line, PLANNED, "planned"))
        else:
            presences.append(_live(person, line, snapshot, pauses, limits, tz, now))
    extra: list[tuple[Person | None, MemberStatus]] = []
    if snapshot is not None:
        mine = {p.extension for _, p in on_turn if p.extension}
        by_extension = {p.extension: p for p in people.all_people(session) if p.extension}
        extra = [(by_extension.get(m.extension), m) for m in snapshot.statuses
                 if m.extension not in mine]
    return TurnView(plan, turn, tuple(presences), tuple(extra), snapshot is not None)


def _live(person: Person, line: str, snapshot: Snapshot, pauses: dict[int, activity.OpenRow],
          limits: dict[str, int | None], tz: tzinfo, now: datetime) -> Presence:
    member = snapshot.member(person.extension or "") if person.extension else None
    if member is None:
        return Presence(person, line, DISCONNECTED, "not in the queue")
    if member.paused:
        logged = pauses.get(person.id)
        reason = (logged.reason if logged else None) or member.pause_reason or "no reason"
        since = (logged.started_at if logged else None) or member.paused_since
        text = f"paused: {reason}"
        over = False
        if since is not None:
            seconds = (now - since).total_seconds()
            text += f" since {clock_time(since, tz, now)} ({duration(seconds)})"
            limit = limits.get(reason)
            if limit and seconds > limit * 60:
                text += f" (over the {limit} min limit)"
                over = True
        return Presence(person, line, PAUSED, text, over)
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
    page, asked = 1, ctx.args
    if len(asked) >= 2 and asked[-2].lower() == "page":
        if not asked[-1].isdigit():
            raise UsageError(f"I can't read {asked[-1]!r} as a page number.")
        page, asked = int(asked[-1]), asked[:-2]
        ctx = replace(ctx, args=asked)
    command = " ".join(asked)
    mode, day, at = _moment(ctx, services)
    now = ctx.now
    if mode == "next":
        with reading(services.sessions) as session:
            found = next_turn(session, services.settings, now)
            if found is None:
                return Reply("No turn is planned in the next two weeks.", private=True)
            plan, turn = found
            view = view_turn(session, services, plan, turn, None, now)
        return render_view(view, f"Next turn: {_when(turn, now, tz)}", page, command)
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
    reply = render_view(view, title, page, command)
    if note:
        return Reply(reply.text + "\n" + note, reply.sections)
    return reply


def _when(turn: Turn, now: datetime, tz: tzinfo) -> str:
    today = now.astimezone(tz).date()
    day = "today" if turn.day == today else f"{turn.start:%a %d %b}"
    return f"{day}, turn {turn.number} ({turn.label})"


def _span(plan: DayPlan) -> str:
    return f"turns from {plan.turns[0].start:%H:%M} to {plan.turns[-1].end:%H:%M}"


# Names in the headline up to this many people; counts beyond.
HEADLINE_NAMES = 10
# People listed per page below what needs action (/onshift … page N for the others).
PAGE_SIZE = 40
STATE_WORDS = {ON_TURN: "on turn", PAUSED: "paused", DISCONNECTED: "not connected",
               ABSENT: "absent", PLANNED: "planned"}


def render_view(view: TurnView, title: str, page: int = 1, command: str = "") -> Reply:
    """The headline (names for a small turn, counts for a big one), then what needs
    action (people not connected or not in the queue, pauses over their limit), the
    count per state, the turn's other people a page at a time, and who is in the queue
    without being on turn."""
    present = [p for p in view.presences if p.state != ABSENT]
    if not view.presences:
        text = f"{title}. Nobody is planned on this turn."
    elif len(view.presences) <= HEADLINE_NAMES:
        names = [p.person.name for p in present]
        text = f"{title}: " + (", ".join(names) if names else "everyone planned is absent") + "."
    else:
        counts = Counter(p.state for p in view.presences)
        over = sum(1 for p in view.presences if p.over_limit)
        text = (f"{title}: {len(view.presences)} people — "
                + ", ".join(f"{n} {STATE_WORDS[s]}" for s, n in counts.most_common())
                + (f" ({over} over the pause limit)" if over else "") + ".")
    sections: list[Section] = []
    late = [p for p in view.presences if p.over_limit]
    gone = [p for p in view.presences if p.state == DISCONNECTED]
    if late:
        sections.append(Section(title="Paused over the limit", text="\n".join(
            f"{p.person.name} ({p.line}): {p.detail}" for p in late)))
    if gone:
        sections.append(Section(title="Not connected", text="\n".join(
            f"{p.person.name} ({p.line}): {p.detail}" for p in gone)))
    flagged = {id(p) for p in (*late, *gone)}
    rest = [p for p in view.presences if id(p) not in flagged]
    big = len(view.presences) > PAGE_SIZE
    if big:
        rest.sort(key=lambda p: ({PAUSED: 0, ABSENT: 1}.get(p.state, 2), p.person.name))
        counts = Counter(p.state for p in view.presences)
        sections.append(Section(title="By state", rows=tuple(
            (STATE_WORDS[s], str(n)) for s, n in counts.most_common())))
    rows = [(f"{p.person.name} ({p.line})", p.detail) for p in rest]
    empty = [s for s in view.plan.seats_of(view.turn) if s.person is None]
    rows += [(f"— ({s.line})", "holiday" if s.status == HOLIDAY else "nobody")
             for s in empty if s.status in (NOBODY, HOLIDAY)]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    heading = f"Turn {view.turn.number} · {view.turn.label}" + ("" if view.live else
                                                                " (timetable)")
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        heading += f" ({first}–{first + len(shown) - 1} of {len(rows)})"
    more = (Button(label=f"Page {page + 1} of {pages}", command="onshift",
                   args=f"{command} page {page + 1}".strip()),) if page < pages else ()
    sections.append(Section(title=heading, rows=tuple(shown), buttons=more,
                            text=None if shown else "Nobody is planned." if not flagged
                            else "Nobody else."))
    if view.extra:
        sections.append(Section(title="In the queue but not on turn", rows=tuple(
            (person.name if person else f"ext {m.extension}",
             "paused" if m.paused else STATE_LABELS[m.state])
            for person, m in view.extra[:PAGE_SIZE]),
            text=f"{len(view.extra)} in all; /queue lists them." if len(view.extra) > PAGE_SIZE
            else None))
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
    usage="/onshift [now|next|today|tomorrow|YYYY-MM-DD [HH:MM]] [page N]",
    aliases=("who is on shift", "who's on shift", "on shift"),
)
