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
from commands.shifts.day_plan import DayPlan, Turn, closed_text, day_plan, next_turn
from commands.words import canonical, weekday, without_fillers
from integrations.errors import IntegrationError
from integrations.pbx import MemberState, MemberStatus
from store import i18n
from store.db import reading, transaction
from store.i18n import N_, _, ngettext
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
    absence: Absence | None = None  # why an absent person is absent


@dataclass(frozen=True)
class TurnView:
    plan: DayPlan
    turn: Turn
    presences: tuple[Presence, ...]
    extra: tuple[tuple[Person | None, MemberStatus], ...]  # in the queue, not on turn
    live: bool
    note: str | None = None


# --------------------------------------------------------------------------- building


def absence_reason(row: Absence, tz: tzinfo, now: datetime) -> str:
    """"sick (until Wed 25 Nov 09:00)", in the current language (the kind is the HR
    system's word)."""
    return _("{kind} (until {until})").format(kind=row.kind,
                                               until=clock_time(row.ends, tz, now))


def absence_text(row: Absence, tz: tzinfo, now: datetime) -> str:
    return _("absent: {reason}").format(reason=absence_reason(row, tz, now))


def view_turn(session: Session, services: Services, plan: DayPlan, turn: Turn,
              snapshot: Snapshot | None, now: datetime) -> TurnView:
    """The turn's people and their state; live when a PBX snapshot is given."""
    tz = services.settings.timezone
    on_turn = [(s.line, s.person) for s in plan.seats_of(turn) if s.person is not None]
    ids = [p.id for _line, p in on_turn]
    moment = now if snapshot is not None else turn.start
    away = absences.absent_at(session, max(moment, turn.start), ids)
    pauses = {a.person_id: a for a in activity.open_rows(session, PAUSE)}
    limits = {r.code: r.max_minutes for r in activity.reasons(session)} if snapshot else {}
    presences: list[Presence] = []
    for line, person in on_turn:
        if person.id in away:
            presences.append(Presence(person, line, ABSENT,
                                      absence_text(away[person.id], tz, now),
                                      absence=away[person.id]))
        elif snapshot is None:
            presences.append(Presence(person, line, PLANNED, _("planned")))
        else:
            presences.append(_live(person, line, snapshot, pauses, limits, tz, now))
    extra: list[tuple[Person | None, MemberStatus]] = []
    if snapshot is not None:
        mine = {p.extension for _line, p in on_turn if p.extension}
        others = [m for m in snapshot.statuses if m.extension not in mine]
        # Only the members not on the turn are looked up (a turn of a thousand has few).
        by_extension = people.by_extensions(session, (m.extension for m in others))
        extra = [(by_extension.get(m.extension), m) for m in others]
    return TurnView(plan, turn, tuple(presences), tuple(extra), snapshot is not None)


def _live(person: Person, line: str, snapshot: Snapshot, pauses: dict[int, activity.OpenRow],
          limits: dict[str, int | None], tz: tzinfo, now: datetime) -> Presence:
    member = snapshot.member(person.extension or "") if person.extension else None
    if member is None:
        return Presence(person, line, DISCONNECTED, _("not in the queue"))
    if member.paused:
        logged = pauses.get(person.id)
        reason = (logged.reason if logged else None) or member.pause_reason or _("no reason")
        since = (logged.started_at if logged else None) or member.paused_since
        text = _("paused: {reason}").format(reason=reason)
        over = False
        if since is not None:
            seconds = (now - since).total_seconds()
            at, lasted = clock_time(since, tz, now), duration(seconds)
            limit = limits.get(reason)
            over = bool(limit and seconds > limit * 60)
            if over:
                text = _("paused: {reason} since {time} ({duration}) (over the {limit} min "
                         "limit)").format(reason=reason, time=at, duration=lasted, limit=limit)
            else:
                text = _("paused: {reason} since {time} ({duration})").format(
                    reason=reason, time=at, duration=lasted)
        return Presence(person, line, PAUSED, text, over)
    if member.state == MemberState.DISCONNECTED:
        return Presence(person, line, DISCONNECTED, _("disconnected"))
    return Presence(person, line, ON_TURN, _(STATE_LABELS[member.state]))


def live_snapshot(services: Services) -> tuple[Snapshot | None, str | None]:
    """The PBX's view now, or None and why not (the timetable answers alone then)."""
    try:
        snapshot, _changes = sync_with_pbx(services)
    except IntegrationError as exc:
        return None, _("{system} did not answer ({message}); showing the timetable only.").format(
            system=exc.system, message=exc.message)
    return snapshot, None


# --------------------------------------------------------------------------- the command


def _moment(ctx: Context, services: Services) -> tuple[str, date, time | None]:
    """("now"|"next"|"day"|"at", day, time) from the arguments, in any language ("demà a
    les 10:00", "mañana", "sexta")."""
    tz = services.settings.timezone
    today = ctx.now.astimezone(tz).date()
    typed = list(without_fillers(ctx.args))
    words = [canonical(w) for w in typed]
    if not words or words == ["now"]:
        return "now", today, None
    if words == ["next"]:
        return "next", today, None
    first, rest = words[0], words[1:]
    if first in ("today", "tomorrow", "yesterday"):
        day = today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[first])
    elif (named := weekday(first)) is not None:  # the coming one, today included
        day = today + timedelta(days=(named - today.weekday()) % 7)
    elif (parsed := parse_date(first)) is not None:
        day = parsed
    elif parse_time(first) is not None and not rest:
        return "at", today, parse_time(first)
    else:
        raise UsageError(_("I can't read {word} as a moment: use now, next, today, tomorrow, "
                           "a weekday, YYYY-MM-DD or HH:MM.").format(word=repr(typed[0])))
    if not rest:
        return "day", day, None
    at = parse_time(rest[0])
    if at is None or len(rest) > 1:
        raise UsageError(_("I can't read {text} as a time (HH:MM).").format(
            text=repr(" ".join(typed[1:]))))
    return "at", day, at


def run(ctx: Context, services: Services) -> Reply:
    tz = services.settings.timezone
    page, asked = 1, ctx.args
    if len(asked) >= 2 and canonical(asked[-2]) == "page":
        if not asked[-1].isdigit():
            raise UsageError(_("I can't read {word} as a page number.").format(
                word=repr(asked[-1])))
        page, asked = int(asked[-1]), asked[:-2]
        ctx = replace(ctx, args=asked)
    command = " ".join(asked)
    mode, day, at = _moment(ctx, services)
    now = ctx.now
    if mode == "next":
        with reading(services.sessions) as session:
            found = next_turn(session, services.settings, now)
            if found is None:
                return Reply(_("No turn is planned in the next two weeks."), private=True)
            plan, turn = found
            view = view_turn(session, services, plan, turn, None, now)
        return render_view(view, _("Next turn: {when}").format(when=_when(turn, now, tz)),
                           page, command)
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
        return Reply(_("{day} has no service: {reason}. Nobody is on shift.").format(
            day=i18n.day(moment), reason=closed_text(plan.closed)))
    if current is None:
        return Reply(_nobody_now(plan, None if mode == "now" else moment))
    turn = current
    live = turn.contains(now)
    snapshot, note = live_snapshot(services) if live else (None, None)
    with transaction(services.sessions) as session:
        view = view_turn(session, services, plan, turn, snapshot, now)
    title = (_("On shift now: {when}") if live else _("On shift: {when}")).format(
        when=_when(turn, now, tz))
    reply = render_view(view, title, page, command)
    if note:
        return Reply(reply.text + "\n" + note, reply.sections)
    return reply


def _nobody_now(plan: DayPlan, moment: datetime | None) -> str:
    """Nobody on shift now (``moment`` None) or at ``moment``: outside the turns."""
    if moment is None:
        if plan.turns:
            return _("Nobody is on shift now: it is outside the turns ({span}).").format(
                span=_span(plan))
        return _("Nobody is on shift now: it is outside the turns (no turns that day).")
    when = i18n.day(moment, "day_time")
    if plan.turns:
        return _("Nobody is on shift at {when}: it is outside the turns ({span}).").format(
            when=when, span=_span(plan))
    return _("Nobody is on shift at {when}: it is outside the turns (no turns that "
             "day).").format(when=when)


def _when(turn: Turn, now: datetime, tz: tzinfo) -> str:
    if turn.day == now.astimezone(tz).date():
        return _("today, turn {number} ({label})").format(number=turn.number, label=turn.label)
    return _("{day}, turn {number} ({label})").format(day=i18n.day(turn.day),
                                                      number=turn.number, label=turn.label)


def _span(plan: DayPlan) -> str:
    return _("turns from {start} to {end}").format(start=f"{plan.turns[0].start:%H:%M}",
                                                   end=f"{plan.turns[-1].end:%H:%M}")


# Names in the headline up to this many people; counts beyond.
HEADLINE_NAMES = 10
# People listed per page below what needs action (/onshift … page N for the others).
PAGE_SIZE = 40
STATE_WORDS = {ON_TURN: N_("on turn"), PAUSED: N_("paused"), DISCONNECTED: N_("not connected"),
               ABSENT: N_("absent"), PLANNED: N_("planned")}


def _heading(turn: Turn, live: bool) -> str:
    if live:
        return _("Turn {number} · {label}").format(number=turn.number, label=turn.label)
    return _("Turn {number} · {label} (timetable)").format(number=turn.number,
                                                          label=turn.label)


def render_view(view: TurnView, title: str, page: int = 1, command: str = "") -> Reply:
    """The headline (names for a small turn, counts for a big one), then what needs
    action (people not connected or not in the queue, pauses over their limit), the
    count per state, the turn's other people a page at a time, and who is in the queue
    without being on turn."""
    present = [p for p in view.presences if p.state != ABSENT]
    if not view.presences:
        text = _("{title}. Nobody is planned on this turn.").format(title=title)
    elif len(view.presences) <= HEADLINE_NAMES:
        names = [p.person.name for p in present]
        text = (_("{title}: {names}.").format(title=title, names=", ".join(names)) if names
                else _("{title}: everyone planned is absent.").format(title=title))
    else:
        counts = Counter(p.state for p in view.presences)
        over = sum(1 for p in view.presences if p.over_limit)
        total = len(view.presences)
        states = ", ".join(f"{n} {_(STATE_WORDS[s])}" for s, n in counts.most_common())
        if over:
            text = ngettext("{title}: {n} person — {states} ({over} over the pause limit).",
                            "{title}: {n} people — {states} ({over} over the pause limit).",
                            total).format(title=title, n=total, states=states, over=over)
        else:
            text = ngettext("{title}: {n} person — {states}.", "{title}: {n} people — {states}.",
                            total).format(title=title, n=total, states=states)
    sections: list[Section] = []
    late = [p for p in view.presences if p.over_limit]
    gone = [p for p in view.presences if p.state == DISCONNECTED]
    if late:
        sections.append(Section(title=_("Paused over the limit"), text="\n".join(
            f"{p.person.name} ({p.line}): {p.detail}" for p in late)))
    if gone:
        sections.append(Section(title=_("Not connected"), text="\n".join(
            f"{p.person.name} ({p.line}): {p.detail}" for p in gone)))
    flagged = {id(p) for p in (*late, *gone)}
    rest = [p for p in view.presences if id(p) not in flagged]
    big = len(view.presences) > PAGE_SIZE
    if big:
        rest.sort(key=lambda p: ({PAUSED: 0, ABSENT: 1}.get(p.state, 2), p.person.name))
        counts = Counter(p.state for p in view.presences)
        sections.append(Section(title=_("By state"), rows=tuple(
            (_(STATE_WORDS[s]), str(n)) for s, n in counts.most_common())))
    rows = [(f"{p.person.name} ({p.line})", p.detail) for p in rest]
    empty = [s for s in view.plan.seats_of(view.turn) if s.person is None]
    rows += [(f"— ({s.line})", _("holiday") if s.status == HOLIDAY else _("nobody"))
             for s in empty if s.status in (NOBODY, HOLIDAY)]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    heading = _heading(view.turn, view.live)
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        heading = _("{heading} ({first}–{last} of {total})").format(
            heading=heading, first=first, last=first + len(shown) - 1, total=len(rows))
    more = (Button(label=_("Page {page} of {pages}").format(page=page + 1, pages=pages),
                   command="onshift", args=f"{command} page {page + 1}".strip()),
            ) if page < pages else ()
    sections.append(Section(title=heading, rows=tuple(shown), buttons=more,
                            text=None if shown else _("Nobody is planned.") if not flagged
                            else _("Nobody else.")))
    if view.extra:
        sections.append(Section(title=_("In the queue but not on turn"), rows=tuple(
            (person.name if person else _("ext {extension}").format(extension=m.extension),
             _("paused") if m.paused else _(STATE_LABELS[m.state]))
            for person, m in view.extra[:PAGE_SIZE]),
            text=_("{n} in all; /queue lists them.").format(n=len(view.extra))
            if len(view.extra) > PAGE_SIZE else None))
    return Reply(text, tuple(sections))


def _render_day(plan: DayPlan, views: list[TurnView]) -> Reply:
    day = i18n.day(plan.day, "day_year")
    if plan.closed:
        return Reply(_("{day} has no service: {reason}. Nobody is on shift.").format(
            day=day, reason=closed_text(plan.closed)))
    if not plan.turns:
        return Reply(_("{day} has no turns.").format(day=day))
    sections = []
    for view in views:
        rows = tuple((f"{p.person.name} ({p.line})", p.detail) for p in view.presences)
        sections.append(Section(title=_heading(view.turn, True), rows=rows,
                                text=None if rows else _("Nobody is planned.")))
    count = len(plan.turns)
    return Reply(ngettext("Shifts on {day}: {n} turn ({span}).",
                          "Shifts on {day}: {n} turns ({span}).", count).format(
        day=day, n=count, span=_span(plan)), tuple(sections))


COMMAND = Command(
    name="onshift",
    run=run,
    summary=N_("Who is on shift: the turn's people and how each is doing right now"),
    usage="/onshift [now|next|today|tomorrow|WEEKDAY|YYYY-MM-DD [HH:MM]] [page N]",
    aliases=("who is on shift", "who's on shift", "on shift"),
)
