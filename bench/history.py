"""``switchboard bench history``: do years of pause and session history slow commands down?

A 50-person team (the demo team and 39 more agents, all agents in the sim PBX's queue, a
few of them paused past their reason's limit) on a fixed Thursday morning. The same four
commands, as a coordinator, are timed twice:

1. with no history: only this week (Monday to yesterday) of the log, and what the PBX
   shows now (reconciled into open sessions and pauses by the first ``/queue``);
2. after ``--rows`` more rows of history before this week (``bench.history_data``,
   bulk-inserted, untimed), followed by ANALYZE and ``PRAGMA optimize`` as daily
   maintenance would leave the planner's statistics.

This week's rows are the same in both runs, so ``/queue`` and ``/breaks week`` answer the
same thing twice and only the weight of the past differs; ``/breaks month`` also covers
earlier weeks, so it has more to add up the second time.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta
from functools import partial
from typing import TextIO

from bench import history_data
from bench.database import BenchDatabase, bench_database, bench_settings
from bench.report import footer, header, percentile, quiet_logs, timed
from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.doors.console import say
from bot.runtime import Runtime, build_runtime, build_services
from commands.core import Services
from integrations.clock import FixedClock
from store.db import make_sessionmaker, transaction
from store.demo.team import load_demo
from store.team import people
from store.team.people import Role
from store.team.people_io import import_people

TEAM = 50
COMMANDS = ("/queue", "/breaks week", "/breaks month", "/overdue")
AS = "carla"  # a coordinator: /breaks covers everyone, /overdue is allowed
# (agents, reason, how long ago they paused): past the 60 and 15 minute limits
PAUSED = ((3, "lunch", timedelta(hours=2)), (2, "break", timedelta(minutes=40)),
          (2, "training", timedelta(minutes=20)))


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("history", help="/queue, /breaks and /overdue with no history "
                                            "and with years of it")
    parser.add_argument("--rows", type=int, default=1_000_000, metavar="N",
                        help="rows of pause/session history to load (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=10, metavar="N",
                        help="timed runs of each command, each time (default 10)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip ANALYZE and PRAGMA optimize after loading (the planner "
                             "without statistics, as on a database that never gets them)")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.rows < 0 or args.rounds < 1:
        return cli.fail("--rows must be at least 0 and --rounds at least 1", EXIT_USAGE)
    quiet_logs()
    started = time.monotonic()
    with bench_database(cli.settings.database_url) as db:
        runtime = fixed_runtime(cli, db)
        try:
            return measure(cli, db, runtime, args, started)
        finally:
            runtime.close()


def fixed_runtime(cli: Cli, db: BenchDatabase) -> Runtime:
    """The product's runtime on the bench database with a clock stopped on a Thursday."""
    settings = bench_settings(cli.settings, db)
    clock = FixedClock(datetime(2026, 11, 26, 11, 0, tzinfo=settings.timezone))
    services = build_services(settings, sessions=make_sessionmaker(db.engine), clock=clock)
    return build_runtime(settings, services)


def measure(cli: Cli, db: BenchDatabase, runtime: Runtime, args: argparse.Namespace,
            started: float) -> int:
    out, services = cli.out, runtime.services
    now = services.clock.now()
    person_ids = build_team(services)
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    tz = runtime.settings.timezone
    week = history_data.bulk_insert(db.engine, history_data.days_rows(
        person_ids, history_data.days_between(monday, today - timedelta(days=1)), tz, seed=1))
    header(out, "switchboard bench history: commands with no history, then with years of it",
           db.description,
           f"team:     {len(person_ids)} people, {len(services.pbx.queue_status())} agents in "
           f"the queue, {sum(n for n, _, _ in PAUSED)} paused; now = {now:%a %d %b %Y %H:%M} "
           f"{tz} (fixed clock); as {AS} (coordinator)",
           f"this week: {week} rows of the log (Monday to yesterday) in both runs",
           f"rounds:   {args.rounds} per command (after one untimed run)")
    try:
        if args.analyze:
            history_data.analyze(db.engine)
        empty = time_commands(runtime, args.rounds)
        loading = time.monotonic()
        loaded = history_data.bulk_insert(db.engine, history_data.days_rows(
            person_ids, history_data.days_before(monday - timedelta(days=1)), tz),
            limit=args.rows)
        if args.analyze:
            history_data.analyze(db.engine)
        took = time.monotonic() - loading
        first = oldest_day(monday, loaded, len(person_ids))
        then = ("no ANALYZE (--no-analyze)" if not args.analyze else "then ANALYZE"
                + (" and PRAGMA optimize" if db.backend == "sqlite" else ""))
        out.write(f"  history:  {loaded:,} rows from {first} to {monday - timedelta(days=1)} "
                  f"loaded, {then} ({took:.0f} s, untimed)\n")
        full = time_commands(runtime, args.rounds)
    except CommandFailed as exc:
        return cli.fail(f"bench history: {exc}", EXIT_FAILED)
    print_comparison(out, empty, full, loaded)
    footer(out, started)
    return EXIT_OK


def build_team(services: Services) -> list[int]:
    """The demo team plus agents up to TEAM people; every agent in the queue, a few paused
    (long enough ago to be overdue). The ids of everyone."""
    clock = services.clock
    assert isinstance(clock, FixedClock)
    now = clock.now()
    with transaction(services.sessions) as session:
        load_demo(session, now)
        missing = TEAM - people.count(session)
        extra = "\n".join(
            f'- {{key: agent{n:02d}, name: Agent {n:02d}, email: agent{n:02d}@bench.example, '
            f'extension: "{300 + n}", groups: [{"morning" if n % 2 else "afternoon"}]}}'
            for n in range(1, missing + 1))
        if extra:
            import_people(session, extra, now)
        agents = [p.extension for p in people.with_role(session, Role.AGENT) if p.extension]
        ids = [p.id for p in people.all_people(session)]
    services.pbx.set_members(agents)
    paused = iter(agents)
    for count, reason, ago in PAUSED:
        clock.set(now - ago)
        for _ in range(count):
            services.pbx.pause(next(paused), reason)
    clock.set(now)
    return ids


def oldest_day(monday: date, rows: int, team: int) -> date:
    per_day = team * history_data.ROWS_PER_DAY
    return monday - timedelta(days=max(1, -(-rows // per_day)))


class CommandFailed(Exception):
    pass


Timing = dict[str, list[float] | str]  # command → samples, or why it could not run


def time_commands(runtime: Runtime, rounds: int) -> Timing:
    timings: Timing = {}
    for text in COMMANDS:
        first = say(runtime.dispatcher, AS, text)
        if first.outcome == "usage":  # this product does not have that form (yet)
            timings[text] = "not available: " + first.reply.text.splitlines()[0]
            continue
        if not first.ok:
            raise CommandFailed(f"{text}: {first.outcome}: {first.reply.text}")
        timings[text] = timed(partial(say, runtime.dispatcher, AS, text), rounds)
    return timings


def print_comparison(out: TextIO, empty: Timing, full: Timing, rows: int) -> None:
    label = f"{rows:,} rows"
    out.write(f"{'command':<16} {'no history p50':>15} {'p95':>9} {label + ' p50':>20} "
              f"{'p95':>9} {'ratio p50':>10}\n")
    for text in COMMANDS:
        before, after = empty[text], full[text]
        if isinstance(before, str) or isinstance(after, str):
            out.write(f"{text:<16} {before if isinstance(before, str) else after}\n")
            continue
        b50, a50 = percentile(before, 50), percentile(after, 50)
        out.write(f"{text:<16} {_ms(b50):>15} {_ms(percentile(before, 95)):>9} "
                  f"{_ms(a50):>20} {_ms(percentile(after, 95)):>9} {a50 / b50:>9.1f}×\n")
    out.flush()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
