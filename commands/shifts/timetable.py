"""Changing the timetable from chat: /assign and /swap (coordinators), and
/timetable log — every change with who made it, from whom to whom, and when.

A change and its log row are written in one transaction: there is no change without
its record. A change that puts people on a public holiday warns the coordinators once
(commands/shifts/holidays.py), in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from commands.core import Command, CommandError, Context, Reply, Section, Services, UsageError
from commands.format import clock_time
from commands.refs import is_person_ref, require_person
from commands.shifts.day_plan import DayPlan, Seat, Turn, closed_text, day_plan
from commands.shifts.holidays import warn_planned_holidays
from commands.text import whole_number
from commands.words import canonical
from store import i18n
from store.db import reading, transaction
from store.i18n import N_, _, ngettext
from store.shifts import timetable as shifts
from store.shifts.timetable import HOLIDAY, NOBODY, PERSON, TimetableCell, TimetableChange
from store.shifts.timetable_io import parse_date, parse_time
from store.team import people
from store.team.people import Person, Role

NOBODY_WORDS = ("nobody", "ningu", "ningú", "none", "-")


def _day(word: str, ctx: Context, services: Services) -> date:
    today = ctx.now.astimezone(services.settings.timezone).date()
    meant = canonical(word)  # "demà", "mañana", "amanhã" too
    if meant in ("today", "tomorrow"):
        return today + timedelta(days=1 if meant == "tomorrow" else 0)
    parsed = parse_date(word)
    if parsed is None:
        raise UsageError(_("{word} is not a date: use YYYY-MM-DD, today or tomorrow.").format(
            word=repr(word)))
    return parsed


def _turn(plan: DayPlan, word: str) -> Turn:
    if not plan.turns:
        raise CommandError(_("{day} has no turns (no timetable and no turn definitions for "
                             "that weekday).").format(day=i18n.day(plan.day)))
    at = parse_time(word)
    for turn in plan.turns:
        if whole_number(word) == turn.number or \
                (at is not None and turn.start.time() == at):
            return turn
    listed = ", ".join(f"{t.number} ({t.label})" for t in plan.turns)
    raise UsageError(_("{day} has no turn {word}; its turns are {turns}.").format(
        day=i18n.day(plan.day), word=repr(word), turns=listed))


def _line(turn: Turn, word: str) -> str:
    for index, line in enumerate(turn.lines, start=1):
        if line.lower() == word.lower() or whole_number(word) == index:
            return line
    raise UsageError(_("Turn {turn} has no line {word}; its lines are {lines}.").format(
        turn=turn.label, word=repr(word), lines=", ".join(turn.lines)))


def _seed(session: Session, plan: DayPlan) -> None:
    """Give a day planned only by its turn definitions all its cells (nobody on them)
    before one is written: once a day has cells its plan is made from them alone, and a
    single new cell would leave it with one turn."""
    if plan.has_timetable:
        return
    for turn in plan.turns:
        for position, line in enumerate(turn.lines):
            session.add(TimetableCell(day=turn.day, start=turn.start.time(),
                                      end=turn.end.time(), line=line, position=position,
                                      status=NOBODY, person_id=None))
    session.flush()


def _write(session: Session, ctx: Context, action: str, turn: Turn, line: str,
           person: Person | None, position: int) -> tuple[str, Person | None] | None:
    """Put ``person`` (None: nobody) on the cell; log it. Returns the previous occupant,
    or None when the cell holds them already (nothing is written, nothing logged)."""
    start, end = turn.start.time(), turn.end.time()
    row = shifts.cell(session, turn.day, start, line, lock=True)
    status = PERSON if person is not None else NOBODY
    person_id = person.id if person is not None else None
    if row is not None and (row.status, row.person_id) == (status, person_id):
        return None
    if row is None:
        row = TimetableCell(day=turn.day, start=start, end=end, line=line, position=position,
                            status=NOBODY, person_id=None)
        session.add(row)
    before_status, before_id = row.status, row.person_id
    row.status, row.person_id = status, person_id
    shifts.log_change(session, TimetableChange(
        at=ctx.now, by_id=ctx.person.id, action=action, day=turn.day, start=start, line=line,
        from_id=before_id, to_id=row.person_id, from_status=before_status,
        to_status=row.status))
    previous = session.get(Person, before_id) if before_id is not None else None
    return before_status, previous


def _who(status: str, person: Person | None) -> str:
    if status == HOLIDAY:
        return _("holiday")
    return person.name if person is not None else _("nobody")


def assign(ctx: Context, services: Services) -> Reply:
    if len(ctx.args) != 4:
        raise UsageError(_("Give the date, the turn, the line and who: "
                           "/assign 2026-11-24 1 T2 @alice (or nobody)."))
    day = _day(ctx.args[0], ctx, services)
    with transaction(services.sessions) as session:
        plan = day_plan(session, services.settings, day)
        turn = _turn(plan, ctx.args[1])
        line = _line(turn, ctx.args[2])
        who_word = ctx.args[3]
        person = None
        if who_word.lower() not in NOBODY_WORDS and canonical(who_word) != "nobody":
            if not is_person_ref(who_word) and "@" not in who_word:
                who_word = "@" + who_word
            person = require_person(session, who_word)
        if person is not None and any(s.person is not None and s.person.id == person.id
                                      and s.line != line for s in plan.seats_of(turn)):
            raise CommandError(_("{name} is already on turn {turn} on another line; use /swap, "
                                 "or free that line first.").format(name=person.name,
                                                                    turn=turn.label))
        where = _("{day}, turn {number} ({label}), line {line}").format(
            day=i18n.day(day), number=turn.number, label=turn.label, line=line)
        seat = next((s for s in plan.seats_of(turn) if s.line == line), None)
        if _holds(seat, person):  # checked before seeding a day of turn definitions
            return _already(where, person)
        _seed(session, plan)
        written = _write(session, ctx, "assign", turn, line, person, turn.lines.index(line))
        if written is None:
            return _already(where, person)
        status, previous = written
        after = day_plan(session, services.settings, day)
        warn_planned_holidays(session, services, day, day)
    before, now_on = _who(status, previous), person.name if person else _("nobody")
    if after.closed:
        text = _("{where}: {before} → {after} (that day has no service: {reason}).").format(
            where=where, before=before, after=now_on, reason=closed_text(after.closed))
    elif plan.closed:
        text = _("{where}: {before} → {after} (that day had no service: {reason}; now it "
                 "has).").format(where=where, before=before, after=now_on,
                                 reason=closed_text(plan.closed))
    else:
        text = _("{where}: {before} → {after}.").format(where=where, before=before,
                                                         after=now_on)
    return Reply(text, private=True)


def _holds(seat: Seat | None, person: Person | None) -> bool:
    """Whether the seat (None: a line of a day planned by its turn definitions, nobody
    on it) has ``person`` (None: nobody) on it already."""
    if seat is None:
        return person is None
    if person is None:
        return seat.status == NOBODY
    return seat.status == PERSON and seat.person is not None and seat.person.id == person.id


def _already(where: str, person: Person | None) -> Reply:
    if person is None:
        return Reply(_("{where}: nobody is there already; nothing changed.").format(
            where=where), private=True)
    return Reply(_("{where}: {name} is there already; nothing changed.").format(
        where=where, name=person.name), private=True)


def swap(ctx: Context, services: Services) -> Reply:
    refs = [a for a in ctx.args if is_person_ref(a)]
    rest = [a for a in ctx.args if not is_person_ref(a)]
    if len(refs) != 2 or len(rest) != 2:
        raise UsageError(_("Name two people, the date and the turn: "
                           "/swap @alice @bruno 2026-11-24 2."))
    day = _day(rest[0], ctx, services)
    with transaction(services.sessions) as session:
        a, b = (require_person(session, r) for r in refs)
        if a.id == b.id:
            raise UsageError(_("Name two different people."))
        plan = day_plan(session, services.settings, day)
        turn = _turn(plan, rest[1])
        seats = plan.seats_of(turn)
        seat_a = _seat_of(seats, a)
        seat_b = _seat_of(seats, b)
        if seat_a is None and seat_b is None:
            raise CommandError(_("Neither {a} nor {b} is on turn {turn} of {day}; use "
                                 "/assign.").format(a=a.name, b=b.name, turn=turn.label,
                                                    day=i18n.day(day)))
        moves: list[tuple[str, Person | None]] = []
        if seat_a is not None:
            moves.append((seat_a.line, b))
        if seat_b is not None:
            moves.append((seat_b.line, a))
        for line, person in moves:
            _write(session, ctx, "swap", turn, line, person, turn.lines.index(line))
        warn_planned_holidays(session, services, day, day)
    done = "; ".join(_("line {line}: {who}").format(
        line=line, who=person.name if person else _("nobody")) for line, person in moves)
    return Reply(_("{day}, turn {number} ({label}): {moves}.").format(
        day=i18n.day(day), number=turn.number, label=turn.label, moves=done), private=True)


def _seat_of(seats: list[Seat], person: Person) -> Seat | None:
    return next((s for s in seats if s.person is not None and s.person.id == person.id), None)


def timetable(ctx: Context, services: Services) -> Reply:
    words = [w.lower() for w in ctx.args]
    count = whole_number(words[1]) if len(words) == 2 else 20
    if not words or words[0] != "log" or len(words) > 2 or count is None:
        raise UsageError(_("Try /timetable log (the latest changes) or /timetable log 50."))
    limit = min(count, 200)
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        changes = shifts.recent_changes(session, limit)
        names = {p.id: p.name for p in people.all_people(session)} if changes else {}
    if not changes:
        return Reply(_("Nobody has changed the timetable from chat yet."), private=True)
    rows = []
    for c in changes:
        before = _("holiday") if c.from_status == HOLIDAY else \
            names.get(c.from_id or -1) or _("nobody")
        after = names.get(c.to_id or -1) or _("nobody")
        rows.append((f"{clock_time(c.at, tz, ctx.now)} · {names.get(c.by_id or -1, '?')}",
                     _("/{action} {day} {start} line {line}: {before} → {after}").format(
                         action=c.action, day=i18n.day(c.day), start=f"{c.start:%H:%M}",
                         line=c.line, before=before, after=after)))
    return Reply(ngettext("The latest {n} timetable change.", "The latest {n} timetable changes.",
                          len(rows)).format(n=len(rows)),
                 (Section(title=_("Timetable changes"), rows=tuple(rows)),), private=True)


ASSIGN = Command(
    name="assign",
    run=assign,
    summary=N_("Put someone (or nobody) on a line of a turn"),
    usage="/assign DATE TURN LINE @person|nobody",
    role=Role.COORDINATOR,
)
SWAP = Command(
    name="swap",
    run=swap,
    summary=N_("Exchange two people's places in a turn"),
    usage="/swap @a @b DATE TURN",
    role=Role.COORDINATOR,
)
LOG = Command(
    name="timetable",
    run=timetable,
    summary=N_("Who changed the timetable, what, from whom to whom and when"),
    usage="/timetable log [count]",
    role=Role.COORDINATOR,
)
