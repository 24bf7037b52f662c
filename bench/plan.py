"""``switchboard bench plan``: the week planner on generated teams.

Teams of 20, 50, 100 and 200 people over 5 days × 4 turns with 4, 8, 12 and 20 lines (and
1,000 × 50 with ``--large``), with realistic availability: full-timers and part-timers, 30%
of people with weekly rules (half of them hard), 10% absent on one or two days, some fixed
turns, people at tables of five. Each week is generated first; only ``solve`` is timed
(capacity check, model building and the solve). Prints, per size, the time, status,
objective, bound and gap; the 50-person week is solved twice and the two plans must be
identical.
"""

from __future__ import annotations

import argparse
import random
import time as timing
from datetime import date, datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from bench.report import header, quiet_logs
from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers
from commands.shifts.planning.model import OPTIMAL, Outcome, Slot, Week, Worker, solve
from store.shifts import planning, timetable
from store.shifts.planning import IMPORT, AvailabilityRule, FixedTurn
from store.team.people import Person

SIZES = ((20, 4), (50, 8), (100, 12), (200, 20))
LARGE = (1000, 50)
MONDAY = date(2030, 1, 7)
STARTS = (time(9, 0), time(10, 15), time(11, 30), time(12, 45), time(14, 0))
TARGETS = {(50, 8): 2.0, (200, 20): 15.0, (1000, 50): 30.0}
REASONS = ("school run", "language class", "team meeting", "medical", "training")


def generate(people: int, lines: int, seed: int = 7) -> Week:
    """A realistic week: full- and part-timers whose loads cover the cells with about 5%
    to spare."""
    rng = random.Random(seed * 1000 + people)
    slots = [Slot(MONDAY + timedelta(days=d), t, STARTS[t], STARTS[t + 1], lines)
             for d in range(5) for t in range(4)]
    cells = len(slots) * lines
    # Full-timers (6–8 turns) and part-timers (1–3), scaled so the loads cover the cells
    # with about 5% to spare: full-timers work two turns on some days.
    raw = [rng.uniform(6, 8) if rng.random() < 0.4 else rng.uniform(1, 3)
           for _ in range(people)]
    scale = cells * 1.05 / sum(raw)
    workers: list[Worker] = []
    for n in range(people):
        ideal = max(1, min(10, round(raw[n] * scale)))
        worker = Worker(key=f"p{n:04d}", name=f"Person {n}", ideal=ideal, prorated=ideal,
                        bound=ideal, max_per_day=2, table=n // 5)
        if rng.random() < 0.30:  # a weekly rule: one weekday, some turns
            day = rng.randrange(5)
            turns = rng.sample(range(4), rng.choice((1, 2, 4)))
            hard = rng.random() < 0.5
            for t in turns:
                target = worker.blocked if hard else worker.reluctant
                target[day * 4 + t] = (f"hard-busy, '{rng.choice(REASONS)}'" if hard
                                       else rng.choice(REASONS))
        absent_days = 0
        if rng.random() < 0.10:  # absent one or two whole days: the load shrinks
            for day in rng.sample(range(5), rng.choice((1, 2))):
                absent_days += 1
                for t in range(4):
                    worker.blocked[day * 4 + t] = "absent, vacation"
        worker.prorated = round(ideal * (5 - absent_days) / 5)
        free = [s for s in range(len(slots)) if s not in worker.blocked]
        worker.bound = min(worker.prorated, len(free))
        worker.working_days, worker.service_days = 5 - absent_days, 5
        workers.append(worker)
    fixed: dict[tuple[int, int], str] = {}
    for s in rng.sample(range(len(slots)), 3):  # 15% of the turns have a fixed person
        fixed[s, 0] = rng.choice(workers).key
    return Week(slots, workers, fixed, line_names=[f"L{n + 1}" for n in range(lines)])


ABSENT = "absent, "
HARD = "hard-busy, '"


def store_week(session: Session, week: Week, monday: date, now: datetime) -> int:
    """Write a generated week into the store, so the product plans it as its own from
    ``monday`` on: its turns (each weekday's definitions, with the week's lines), its people
    (agents with their load and table; everyone already there keeps no load, so only
    these are planned), their weekly rules (hard and negotiable, with their reasons), their
    days off as dated hard all-day rules, and the fixed turns. Returns the people added."""
    first = min(s.day for s in week.slots)  # a Monday: a slot's offset is its weekday
    per_day = max(s.turn for s in week.slots) + 1
    timetable.replace_turn_definitions(session, [
        {"weekday": (s.day - first).days, "start": s.start, "end": s.end, "lines": s.lines}
        for s in week.slots])
    session.execute(update(Person).values(ideal_load=None))
    people: dict[str, Person] = {}
    for worker in week.workers:
        person = Person(key=worker.key, name=worker.name, ideal_load=worker.ideal,
                        desk=worker.table, groups=list(worker.groups), created_at=now)
        session.add(person)
        people[worker.key] = person
    session.flush()
    rules: list[AvailabilityRule] = []
    for worker in week.workers:
        person_id = people[worker.key].id
        days: dict[int, dict[int, tuple[bool, str]]] = {}
        for slot, why in worker.blocked.items():
            days.setdefault(slot // per_day, {})[slot % per_day] = (True, why)
        for slot, why in worker.reluctant.items():
            days.setdefault(slot // per_day, {}).setdefault(slot % per_day, (False, why))
        for day, marks in sorted(days.items()):
            if any(why.startswith(ABSENT) for _, why in marks.values()):
                rules.append(AvailabilityRule(
                    person_id=person_id, day=monday + timedelta(days=day), bits="", hard=True,
                    reason=next(w for _, w in marks.values() if w.startswith(ABSENT))
                    .removeprefix(ABSENT), source=IMPORT, created_at=now))
                continue
            for hard in (True, False):
                mine = {t: why for t, (h, why) in marks.items() if h is hard}
                if not mine:
                    continue
                reason = next(iter(mine.values())).removeprefix(HARD).rstrip("'")
                bits = "".join("1" if t in mine else "0" for t in range(per_day))
                rules.append(AvailabilityRule(
                    person_id=person_id, weekday=day, bits=bits, hard=hard, reason=reason,
                    source=IMPORT, created_at=now))
    planning.replace_imported_rules(session, rules)
    planning.replace_fixed_turns(session, [
        FixedTurn(weekday=(week.slots[s].day - first).days,
                  turn=week.slots[s].turn, line=line, person_id=people[key].id)
        for (s, line), key in sorted(week.fixed.items())])
    return len(people)


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("plan", help="the week planner on generated teams of 20 to 200 "
                                         "people (no database)")
    parser.add_argument("--time-limit", type=float, default=30.0,
                        help="the solver's limit per week, in seconds (default 30)")
    parser.add_argument("--large", action="store_true", help="also 1,000 people × 50 lines")
    parser.add_argument("--sizes", type=_sizes, metavar="PxL,…",
                        help="other sizes instead (e.g. 20x4,50x8); the first is solved twice")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    quiet_logs()
    out = cli.out
    began = timing.monotonic()
    header(out, "bench plan: CP-SAT week plans, 5 days × 4 turns", "none (generated weeks)",
           "solver: OR-Tools CP-SAT, deterministic: 1 worker up to 10,000 variables, "
           "else 2 interleaved",
           f"time limit {args.time_limit:g} s per week; timed: capacity check, model, solve",
           "work: the solver's deterministic time (about seconds on an idle core; the same "
           "whatever the load)")
    out.write(f"  {'people×lines':>13} {'cells':>6} {'time':>8} {'work':>6} {'status':>9} "
              f"{'objective':>10} {'bound':>10} {'gap':>7}  target\n")
    sizes = args.sizes or ((*SIZES, LARGE) if args.large else SIZES)
    twice = args.sizes[0] if args.sizes else (50, 8)
    for people, lines in sizes:
        week = generate(people, lines)
        outcome = solve(week, time_limit=args.time_limit)
        target = TARGETS.get((people, lines))
        verdict = ""
        if target is not None:
            met = outcome.status == OPTIMAL and outcome.seconds <= target
            verdict = f"optimal ≤ {target:g} s: {'met' if met else 'NOT met'}"
        out.write(_row(people, lines, len(week.slots) * lines, outcome) + f"  {verdict}\n")
    first = solve(generate(*twice), time_limit=args.time_limit)
    second = solve(generate(*twice), time_limit=args.time_limit)
    same = first.grid == second.grid and first.objective == second.objective
    out.write(f"  {twice[0]}×{twice[1]} solved twice: "
              f"{'identical plans' if same else 'DIFFERENT plans'} "
              f"(objective {first.objective} and {second.objective})\n")
    failed = not same
    out.write(f"  done in {timing.monotonic() - began:.0f} s\n")
    return EXIT_FAILED if failed else EXIT_OK


def _sizes(text: str) -> list[tuple[int, int]]:
    try:
        pairs = [tuple(int(n) for n in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected sizes such as 20x4,50x8") from None
    if not pairs or any(len(p) != 2 or min(p) < 1 for p in pairs):
        raise argparse.ArgumentTypeError("expected sizes such as 20x4,50x8")
    return [(p[0], p[1]) for p in pairs]


def _row(people: int, lines: int, cells: int, outcome: Outcome) -> str:
    gap = f"{outcome.gap:.2%}" if outcome.gap is not None else "-"
    bound = f"{outcome.bound:.0f}" if outcome.bound is not None else "-"
    objective = str(outcome.objective) if outcome.objective is not None else "-"
    return (f"  {f'{people}×{lines}':>13} {cells:>6} {outcome.seconds:>7.2f}s "
            f"{outcome.work:>6.2f} {outcome.status:>9} {objective:>10} {bound:>10} {gap:>7}")
