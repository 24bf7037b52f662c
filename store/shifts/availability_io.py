"""The planner's inputs in from Tomàtic's files, and availability back out.

Availability (``indisponibilitats.conf``, ``oneshot.conf``), one rule a line::

    # comments and blank lines are skipped
    +anna dl 1100 # school run        (hard: Mondays, the first two turns)
    pau 2026-12-14 # doctor            (negotiable: that whole date)
    marta 0001 # late lessons          (negotiable: every day, the fourth turn)

``+`` marks the rule hard; the day is Catalan ``dl dm dx dj dv`` (``ds dg`` too) or a
date, none means every day; ``bits`` has one character per turn of the day (``1`` =
busy), none means the whole day; the reason after ``#`` is required. Every bad line is
reported with its number and nothing is imported.

The vacation file Tomàtic regenerates every week (``indisponibilitats-vacances.conf``)
has the same lines in weekday form; it is read as absences of one given week
(``absences import FILE --week MONDAY``), never as standing rules.

``holidays.conf``: ``date<TAB>name`` a line. ``forced-turns.yaml``: ``timetable`` maps a
day code to its turns, each a list with one person key (or ``null``/``ningu``: free) per
line. A Tomàtic ``config.yaml`` gives the planning keys ``hours``, ``nTelefons``,
``maximHoresDiariesGeneral``, ``maximHoresDiaries`` and ``maxOverload``; the rest is
ignored.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from store.imports import ImportRejected, Problem, load_yaml, reject
from store.shifts import planning
from store.shifts.absences import Absence, replace_source
from store.shifts.planning import IMPORT, AvailabilityRule, FixedTurn
from store.shifts.timetable import turn_definitions
from store.shifts.timetable_io import DAY_CODES, NOBODY_KEY, parse_date, parse_time
from store.team import people

BITS = re.compile(r"^[01]{1,32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WEEK_SOURCE = "tomatic-week"  # the absences read from a week's vacation file


@dataclass(frozen=True)
class Line:
    """One parsed availability line."""

    number: int
    person: str
    hard: bool
    weekday: int | None
    day: date | None
    bits: str
    reason: str


def parse_lines(text: str, label: str = "line") -> tuple[list[Line], list[Problem]]:
    """Every rule line, and a problem (with its line number) for every bad one."""
    found: list[Line] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{label} {number}"
        body, hash_, reason = stripped.partition("#")
        reason = reason.strip()
        if not hash_:
            problems.append(Problem(where, "reason", "missing: end the line with '# reason'"))
        elif not reason:
            problems.append(Problem(where, "reason", "'#' with no reason: say why"))
        elif len(reason) > 200:
            problems.append(Problem(where, "reason", "longer than 200 characters"))
        words = body.split()
        if not words:
            problems.append(Problem(where, "person", "missing: the line starts with '#'"))
            continue
        who = words[0]
        hard = who.startswith("+")
        who = who.lstrip("+").lower()
        weekday: int | None = None
        day: date | None = None
        bits = ""
        bad = False
        for word in words[1:]:
            lowered = word.lower()
            if lowered in DAY_CODES and weekday is None and day is None:
                weekday = DAY_CODES.index(lowered)
            elif DATE.match(word) and weekday is None and day is None:
                day = parse_date(word)
                if day is None:
                    problems.append(Problem(where, "day", f"{word!r} is not a real date"))
                    bad = True
            elif BITS.match(word) and not bits:
                bits = word
            else:
                problems.append(Problem(where, "words", f"{word!r} is not a day (dl dm dx dj "
                                                        "dv, or YYYY-MM-DD) nor turn bits "
                                                        "such as 1100"))
                bad = True
        if not who:
            problems.append(Problem(where, "person", "missing"))
            bad = True
        if not bad and hash_ and reason and len(reason) <= 200:
            found.append(Line(number, who, hard, weekday, day, bits, reason))
    return found, problems


def parse_rules(session: Session, files: list[tuple[str, str]],
                now: datetime) -> list[AvailabilityRule]:
    """(name, text) files → the rules, or ImportRejected with every problem of them all."""
    known = {p.key: p.id for p in people.all_people(session)}
    rules: list[AvailabilityRule] = []
    problems: list[Problem] = []
    for name, text in files:
        lines, found = parse_lines(text, f"{name} line")
        problems += found
        for line in lines:
            if line.person not in known:
                problems.append(Problem(f"{name} line {line.number}", "person",
                                        f"unknown person {line.person!r}"))
                continue
            rules.append(AvailabilityRule(
                person_id=known[line.person], weekday=line.weekday, day=line.day,
                bits=line.bits, hard=line.hard, reason=line.reason, source=IMPORT,
                created_at=now))
    if problems:
        raise ImportRejected(problems)
    return rules


def import_rules(session: Session, files: list[tuple[str, str]], now: datetime) -> str:
    rules = parse_rules(session, files, now)
    removed = planning.replace_imported_rules(session, rules)
    hard = sum(1 for r in rules if r.hard)
    return (f"{len(rules)} availability rules ({hard} hard, {len(rules) - hard} negotiable); "
            f"{removed} imported before were replaced")


def rule_line(rule: AvailabilityRule, key: str) -> str:
    """A rule in the line format (what ``availability export`` writes)."""
    words = [("+" if rule.hard else "") + key]
    if rule.weekday is not None:
        words.append(DAY_CODES[rule.weekday])
    elif rule.day is not None:
        words.append(f"{rule.day:%Y-%m-%d}")
    if rule.bits:
        words.append(rule.bits)
    return " ".join(words) + f" # {rule.reason}"


def export_rules(session: Session) -> str:
    keys = {p.id: p.key for p in people.all_people(session)}
    lines = ["# switchboard availability export: [+]person [day] [bits] # reason"]
    lines += [rule_line(r, keys.get(r.person_id, "?")) for r in planning.all_rules(session)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- a week's vacation


def parse_week_absences(session: Session, text: str, monday: date,
                        tz: tzinfo) -> list[Absence]:
    """Tomàtic's weekly vacation file as absences of the week of ``monday``: a line with a
    weekday is that day of the week (its ``bits`` narrow it to those turns, by the turn
    definitions); a line without a day is the whole week. A dated line must fall in it."""
    known = {p.key: p.id for p in people.all_people(session)}
    lines, problems = parse_lines(text)
    found: list[Absence] = []
    for line in lines:
        where = f"line {line.number}"
        if line.person not in known:
            problems.append(Problem(where, "person", f"unknown person {line.person!r}"))
            continue
        if line.day is not None:
            if not monday <= line.day < monday + timedelta(days=7):
                problems.append(Problem(where, "day", f"{line.day} is not in the week of "
                                                      f"{monday}"))
                continue
            days = [line.day]
        elif line.weekday is not None:
            days = [monday + timedelta(days=line.weekday)]
        else:
            days = [monday + timedelta(days=n) for n in range(7)]
        for day in days:
            spans = _spans(session, day, line.bits)
            if line.bits and not spans:
                problems.append(Problem(where, "bits", f"{day:%a %d %b} has no turn definitions "
                                                       "to place the bits on"))
                continue
            for start, end in spans or [(time(), None)]:
                starts = datetime.combine(day, start, tz)
                ends = (datetime.combine(day, end, tz) if end is not None
                        else datetime.combine(day + timedelta(days=1), time(), tz))
                found.append(Absence(person_id=known[line.person], starts=starts, ends=ends,
                                     kind="vacation", source=WEEK_SOURCE,
                                     note=line.reason[:200]))
    if problems:
        raise ImportRejected(problems)
    return found


def _spans(session: Session, day: date, bits: str) -> list[tuple[time, time | None]]:
    if not bits or set(bits) == {"1"}:
        return []
    turns = turn_definitions(session, day.weekday())
    return [(t.start, t.end) for n, t in enumerate(turns) if n < len(bits) and bits[n] == "1"]


def import_week_absences(session: Session, text: str, monday: date, tz: tzinfo) -> str:
    rows = parse_week_absences(session, text, monday, tz)
    start = datetime.combine(monday, time(), tz)
    removed, added = replace_source(session, WEEK_SOURCE, rows, start,
                                    start + timedelta(days=7))
    return (f"{added} absences in the week of {monday:%Y-%m-%d} "
            f"({removed} of that week's vacation file replaced)")


# --------------------------------------------------------------------------- holidays.conf


def looks_like_holidays_conf(text: str) -> bool:
    for raw in text.splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            return bool(re.match(r"^\s*\d{4}-\d{2}-\d{2}\t", raw))
    return False


def parse_holidays_conf(text: str) -> list[tuple[date, str]]:
    """Tomàtic's ``holidays.conf``: ``date<TAB>name`` a line (``#`` comments skipped)."""
    found: dict[date, str] = {}
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        when, _, name = raw.strip().partition("\t")
        day = parse_date(when)
        name = name.strip() or "Company holiday"
        where = f"line {number}"
        if day is None:
            problems.append(Problem(where, "date", f"{when!r}: expected YYYY-MM-DD, a tab, "
                                                   "the name"))
        elif day in found:
            problems.append(Problem(where, "date", f"{day} is given twice"))
        elif len(name) > 200:
            problems.append(Problem(where, "name", "longer than 200 characters"))
        else:
            found[day] = name
    if problems:
        raise ImportRejected(problems)
    return sorted(found.items())


# --------------------------------------------------------------------------- forced turns


def parse_forced(session: Session, text: str) -> list[FixedTurn]:
    """``forced-turns.yaml`` → fixed-turn rows (not added to the session)."""
    data = load_yaml(text)
    table = data.get("timetable") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise reject("file", "timetable", "expected a mapping day code → turns, each a list "
                                          "of person keys (null: free)")
    known = {p.key: p.id for p in people.all_people(session)}
    rows: list[FixedTurn] = []
    problems: list[Problem] = []
    for code, turns in table.items():
        where = f"timetable.{code}"
        if code not in DAY_CODES:
            problems.append(Problem(where, "day", f"{code!r} is not a day code "
                                                  f"({' '.join(DAY_CODES)})"))
            continue
        if not isinstance(turns, list):
            problems.append(Problem(where, "turns", "expected a list of turns"))
            continue
        for t, line_keys in enumerate(turns):
            if not isinstance(line_keys, list):
                problems.append(Problem(f"{where}[{t + 1}]", "lines", "expected a list of "
                                                                      "person keys"))
                continue
            for n, key in enumerate(line_keys):
                if key is None or str(key).strip().lower() in ("", NOBODY_KEY, "festiu"):
                    continue
                name = str(key).strip().lower()
                if name not in known:
                    problems.append(Problem(f"{where}[{t + 1}]", f"line {n + 1}",
                                            f"unknown person {name!r}"))
                    continue
                rows.append(FixedTurn(weekday=DAY_CODES.index(code), turn=t, line=n,
                                      person_id=known[name]))
    if problems:
        raise ImportRejected(problems)
    return rows


def import_fixed(session: Session, text: str) -> str:
    rows = parse_forced(session, text)
    planning.replace_fixed_turns(session, rows)
    return f"{len(rows)} fixed turns"


# --------------------------------------------------------------------------- config.yaml


@dataclass
class TomaticConfig:
    hours: list[time] = field(default_factory=list)
    lines: int | None = None
    max_per_day: int | None = None
    person_max_per_day: dict[str, int] = field(default_factory=dict)
    max_overload: int | None = None


def parse_config(text: str) -> TomaticConfig:
    """The planning keys of Tomàtic's ``config.yaml``; every other key is ignored."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise reject("file", "layout", "expected Tomàtic's config.yaml (a mapping)")
    config = TomaticConfig()
    problems: list[Problem] = []

    def whole(name: str, value: Any, low: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(Problem("file", name, f"expected a whole number ≥ {low}"))
            return None
        return value

    if "hours" in data:
        raw = data["hours"]
        parsed = [parse_time(h) for h in raw] if isinstance(raw, list) else []
        hours = [h for h in parsed if h is not None]
        if len(hours) < 2 or len(hours) != len(parsed) or \
                any(b <= a for a, b in itertools.pairwise(hours)):
            problems.append(Problem("file", "hours", "expected at least two rising times "
                                                     "such as '09:00', '10:15'"))
        else:
            config.hours = hours
    if "nTelefons" in data:
        config.lines = whole("nTelefons", data["nTelefons"], 1)
    if "maximHoresDiariesGeneral" in data:
        config.max_per_day = whole("maximHoresDiariesGeneral",
                                   data["maximHoresDiariesGeneral"], 1)
    if "maxOverload" in data:
        config.max_overload = whole("maxOverload", data["maxOverload"], 0)
    per_person = data.get("maximHoresDiaries") or {}
    if not isinstance(per_person, dict):
        problems.append(Problem("file", "maximHoresDiaries", "expected person: number"))
    else:
        for key, value in per_person.items():
            number = whole(f"maximHoresDiaries.{key}", value, 0)
            if number is not None:
                config.person_max_per_day[str(key).lower()] = number
    if problems:
        raise ImportRejected(problems)
    return config
