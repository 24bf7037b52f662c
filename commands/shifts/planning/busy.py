"""/busy: one's availability rules, for the week planner.

- ``/busy mon 09:00-11:30 school run`` — negotiable (would rather not) on Mondays, in the
  turns that overlap 09:00–11:30; ``/busy! 2026-12-14 all day doctor`` — hard (cannot),
  that whole date; ``/busy every 14:00-15:00 lessons`` — every day.
- ``/busy list`` shows one's rules with their numbers; ``/busy remove 3`` removes one.
- Coordinators do the same for others: ``/busy @alice list``, ``/busy! @alice tue …``.

The day is a weekday (mon…sun, or Tomàtic's dl…dg, or its name in any language Switchboard
speaks: "dv", "viernes", "sexta"), a date, ``every`` (every day), ``today`` or ``tomorrow``
(or "demà", "mañana", "amanhã"); the times are a range (``09:00-11:30``), turn bits
(``1100``) or ``all day`` (the default). The reason is required. Replies are in the
asker's language.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from commands.core import (
    Command,
    CommandError,
    Context,
    Denied,
    Reply,
    Section,
    Services,
)
from commands.core import UsageError as Usage
from commands.refs import split_person
from commands.text import whole_number
from commands.words import canonical, is_filler
from commands.words import weekday as weekday_of
from store import i18n
from store.db import reading, transaction
from store.i18n import N_, _, ngettext
from store.shifts import planning
from store.shifts.availability_io import rule_line
from store.shifts.planning import CHAT, AvailabilityRule
from store.shifts.timetable import turn_definitions
from store.shifts.timetable_io import DAY_CODES, parse_date, parse_time
from store.team.people import Person, Role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE = N_("/busy mon 09:00-11:30 school run")
# "Mondays" … "Sundays": a weekly rule's day.
EVERY_WEEKDAY = (N_("Mondays"), N_("Tuesdays"), N_("Wednesdays"), N_("Thursdays"),
                 N_("Fridays"), N_("Saturdays"), N_("Sundays"))


def _hard(ctx: Context) -> bool:
    first = ctx.text.strip().lstrip("/").split()
    return bool(first) and first[0].endswith("!")


def _target(session: Session, ctx: Context) -> tuple[Person, list[str]]:
    person, rest = split_person(session, ctx.args)
    target = person or ctx.person
    if target.id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
        raise Denied(_("Only coordinators can change someone else's availability; /busy on "
                       "its own is about you."))
    return target, rest


def _describe(rule: AvailabilityRule) -> str:
    """A rule in words, in the reader's language."""
    day = (_("every day") if rule.weekday is None and rule.day is None
           else _(EVERY_WEEKDAY[rule.weekday]) if rule.weekday is not None
           else i18n.day(rule.day, "day_year") if rule.day is not None else "")
    turns = _("all day") if rule.whole_day else _("turns {numbers}").format(
        numbers=", ".join(str(n + 1) for n, bit in enumerate(rule.bits) if bit == "1"))
    kind = _("cannot") if rule.hard else _("would rather not")
    return _("{kind}: {day}, {turns} — {reason}").format(kind=kind, day=day, turns=turns,
                                                         reason=rule.reason)


def run(ctx: Context, services: Services) -> Reply:
    lowered = [w.lower() for w in ctx.args if not w.startswith(("@", "<@"))]
    if not lowered or canonical(lowered[0]) == "list":  # its words in any language, too
        return _list(ctx, services)
    if canonical(lowered[0]) == "remove":
        return _remove(ctx, services)
    return _add(ctx, services)


def _list(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        target, _rest = _target(session, ctx)
        rules = planning.rules_of(session, target.id)
    mine = target.id == ctx.person.id
    if not rules:
        text = (_("You have no availability rules. Add one: {example}.") if mine
                else _("{name} has no availability rules. Add one: {example}."))
        return Reply(text.format(name=target.name, example=_(EXAMPLE)), private=True)
    rows = tuple((f"#{r.id}", _describe(r)) for r in rules)
    n = len(rules)
    text = (ngettext("You have {n} availability rule.", "You have {n} availability rules.", n)
            if mine else ngettext("{name} has {n} availability rule.",
                                  "{name} has {n} availability rules.", n))
    return Reply(text.format(name=target.name, n=n),
                 (Section(title=_("Availability"), rows=rows),), private=True)


def _remove(ctx: Context, services: Services) -> Reply:
    with transaction(services.sessions) as session:
        target, rest = _target(session, ctx)
        number = whole_number(rest[1].lstrip("#")) if len(rest) == 2 else None
        if number is None:
            raise Usage(_("Say which rule: /busy remove 3 (the numbers are in /busy list)."))
        rule = session.get(AvailabilityRule, number)
        if rule is None or (rule.person_id != target.id
                            and not ctx.role.allows(Role.COORDINATOR)):
            raise CommandError(_("There is no rule #{number} of yours; /busy list shows them.")
                               .format(number=number))
        text = _describe(rule)
        session.delete(rule)
    return Reply(_("Removed rule #{number} ({rule}).").format(number=number, rule=text),
                 private=True)


def _day(word: str, ctx: Context, services: Services) -> tuple[int | None, date | None] | None:
    """(weekday, date) of a day word: a weekday or date in any language, every day."""
    lowered = word.lower()
    meaning = canonical(word)
    today = ctx.now.astimezone(services.settings.timezone).date()
    if lowered in ("every", "daily", "everyday"):
        return None, None
    if lowered.rstrip("s") in NAMES:
        return NAMES.index(lowered.rstrip("s")), None
    if lowered in WEEKDAYS:
        return WEEKDAYS.index(lowered), None
    if lowered in DAY_CODES:
        return DAY_CODES.index(lowered), None
    if (named := weekday_of(word)) is not None:  # "dv", "viernes", "sexta-feira"
        return named, None
    if meaning in ("today", "tomorrow"):  # "avui", "demà", "mañana", "amanhã"
        return None, today + timedelta(days=1 if meaning == "tomorrow" else 0)
    day = parse_date(word)
    if day is not None:
        return None, day
    return None


def _bits(session: Session, word: str, weekday: int | None) -> str | None:
    """A time range → the bits of the turns it overlaps, by the turn definitions."""
    if set(word) <= {"0", "1"} and 1 <= len(word) <= 32:
        return word
    start_text, sep, end_text = word.partition("-")
    start, end = parse_time(start_text), parse_time(end_text)
    if not sep or start is None or end is None or end <= start:
        return None
    defs = turn_definitions(session, weekday) if weekday is not None else []
    if not defs:
        for day in range(7):
            defs = turn_definitions(session, day)
            if defs:
                break
    bits = "".join("1" if _overlaps(d.start, d.end, start, end) else "0" for d in defs)
    if "1" not in bits:
        raise CommandError(_("No turn overlaps {range}; the turns are {turns}.").format(
            range=word, turns=", ".join(f"{d.start:%H:%M}–{d.end:%H:%M}" for d in defs)))
    return bits


def _overlaps(a: time, b: time, c: time, d: time) -> bool:
    return a < d and c < b


def _add(ctx: Context, services: Services) -> Reply:
    hard = _hard(ctx)
    with transaction(services.sessions) as session:
        target, rest = _target(session, ctx)
        while len(rest) > 1 and is_filler(rest[0]):  # "el dilluns", "on mon"
            rest = rest[1:]
        if not rest:
            raise Usage(_("Say when and why: {example}.").format(example=_(EXAMPLE)))
        day = _day(rest[0], ctx, services)
        if day is None:
            raise Usage(_("{word} is not a day: use mon…sun, a date (YYYY-MM-DD), today, "
                          "tomorrow or every.").format(word=repr(rest[0])))
        weekday, dated = day
        words = rest[1:]
        bits = ""
        whole = _all_day(words)
        if whole:
            words = words[whole:]
        elif words:
            found = _bits(session, words[0], weekday if dated is None else dated.weekday())
            if found is not None:
                bits, words = found, words[1:]
        reason = " ".join(words).strip()
        if not reason:
            raise Usage(_("A reason is required: {example}.").format(example=_(EXAMPLE)))
        if len(reason) > 200:
            raise Usage(_("The reason is too long: at most 200 characters."))
        rule = AvailabilityRule(person_id=target.id, weekday=weekday, day=dated,
                                bits="" if set(bits) == {"1"} else bits, hard=hard,
                                reason=reason, source=CHAT, created_at=ctx.now)
        session.add(rule)
        session.flush()
        text = _describe(rule)
        line = rule_line(rule, target.key)
    added = (_("Rule #{number} added: {rule} ({line}).") if target.id == ctx.person.id
             else _("Rule #{number} added for {name}: {rule} ({line})."))
    return Reply(added.format(number=rule.id, name=target.name, rule=text, line=line),
                 private=True)


def _all_day(words: list[str]) -> int:
    """How many of ``words`` say "all day" ("all day", "tot el dia", "todo el día", "o dia
    todo"), or 0."""
    meant: list[str] = []
    for n, word in enumerate(words[:4]):
        if is_filler(word):
            continue
        meant.append(canonical(word))
        if len(meant) == 2:
            return n + 1 if set(meant) == {"all", "day"} else 0
    return 0


COMMAND = Command(
    name="busy",
    run=run,
    summary=N_("When you cannot (/busy!) or would rather not work, for the week planner"),
    usage="/busy [@person] DAY [HH:MM-HH:MM|all day] REASON | /busy! … | /busy list | "
          "/busy remove N",
)
