"""``switchboard bench stats``: /stats at a million calls, and the queue_log import rate.

On the configured database (DATABASE_URL) it writes ``--calls`` synthetic calls (default
1,000,000) spread over ``--days`` days (default 90) ending yesterday, in queue ``bench``,
through the product's own writer (``save_calls``, which keeps the hourly rollups). Then it
times ``/stats`` through the dispatcher, as a coordinator, for a day, a week and a month
(the median of ``--rounds`` runs each; target: a month under 100 ms), and the import of
``--lines`` synthetic queue_log lines (queue ``benchlog``; target: 50,000 lines a second).
Everything it wrote — calls, rollups, its people and their pauses — is deleted at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import delete, select

from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers
from bot.render.text import render_text
from commands.calls.queue_log_import import ImportResult, import_lines, numbered
from commands.core import Where
from commands.dispatch import Incoming
from store.calls.ingest import save_calls
from store.calls.records import (
    ABANDONED,
    ANSWERED,
    CLOSED,
    EXIT_EMPTY,
    FULL,
    TIMEOUT,
    TRANSFERRED,
    CallInfo,
    CallRecord,
)
from store.db import transaction
from store.stats.rollups import CallStatsHour
from store.team.people import Person

QUEUE, LOG_QUEUE = "bench", "benchlog"
AGENTS = [str(9900 + n) for n in range(1, 9)]
COORDINATOR = "bench-coordinator"
BATCH = 10_000
OPEN_HOUR, CLOSE_HOUR = 8, 20  # local opening hours of the synthetic helpline


def add_parser(sub: Subparsers) -> None:
    bench = sub.add_parser("stats", help="/stats at a million calls; queue_log import rate")
    bench.add_argument("--calls", type=int, default=1_000_000, help="synthetic calls")
    bench.add_argument("--days", type=int, default=90, help="days they are spread over")
    bench.add_argument("--rounds", type=int, default=20, help="/stats runs per period")
    bench.add_argument("--lines", type=int, default=200_000, help="queue_log lines imported")
    bench.add_argument("--keep", action="store_true", help="keep the synthetic data")
    bench.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    tz = cli.settings.timezone
    last_day = services.clock.now().astimezone(tz).date() - timedelta(days=1)
    first_day = last_day - timedelta(days=args.days - 1)
    out = cli.out
    out.write(f"database: {cli.runtime.engine.dialect.name}; {args.calls:,} calls over "
              f"{args.days} days ({first_day} to {last_day}), queue {QUEUE!r}\n")
    _people(cli)
    try:
        started = time.perf_counter()
        saved = 0
        for batch in _batches(_synthetic_calls(args.calls, first_day, args.days, tz)):
            with transaction(services.sessions) as session:
                saved += save_calls(session, "sim", batch, region="ES").created
        elapsed = time.perf_counter() - started
        out.write(f"{'save_calls (records + hourly rollups)':<40} {saved:>9,} calls "
                  f"in {elapsed:6.1f} s = {saved / elapsed:9,.0f} calls/s\n")
        medians = {}
        for name, text in (("day", f"/stats {last_day} {QUEUE}"),
                           ("week", f"/stats {last_day - timedelta(days=6)}..{last_day} {QUEUE}"),
                           ("month",
                            f"/stats {last_day - timedelta(days=29)}..{last_day} {QUEUE}")):
            samples = _time_stats(cli, text, args.rounds)
            medians[name] = statistics.median(samples)
            out.write(f"{'/stats ' + name:<40} n={len(samples):<4} median "
                      f"{medians[name]:7.1f} ms  p95 {_p95(samples):7.1f} ms  "
                      f"max {max(samples):7.1f} ms\n")
        month_ok = medians["month"] < 100
        out.write(f"{'target: month median < 100 ms':<40} "
                  f"{'met' if month_ok else 'MISSED'}\n")
        lines, seconds, cpu, result = _time_import(cli, args.lines, first_day, tz)
        rate = lines / seconds
        out.write(f"{'queue_log import':<40} {lines:>9,} lines in {seconds:6.1f} s = "
                  f"{rate:9,.0f} lines/s ({result.calls.created:,} calls, "
                  f"{result.agents.opened:,} pauses/sessions opened, "
                  f"{len(result.problems)} bad lines)\n")
        out.write(f"{'  the same in CPU time (with the worker)':<40} {lines:>9,} lines in "
                  f"{cpu:6.1f} s = {lines / cpu:9,.0f} lines/s (load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)\n")
        out.write(f"{'target: >= 50,000 lines/s':<40} {'met' if rate >= 50_000 else 'MISSED'}\n")
        example = _reply(cli, f"/stats {last_day - timedelta(days=29)}..{last_day} {QUEUE}")
        out.write("\nthe month's card:\n" + example.split("== Agents ==")[0].rstrip() + "\n")
        return EXIT_OK if month_ok and rate >= 50_000 else EXIT_FAILED
    finally:
        if not args.keep:
            _clean(cli)


# ------------------------------------------------------------------------- data


def _synthetic_calls(count: int, first_day: date, days: int, tz: tzinfo) -> Iterator[CallInfo]:
    rng = random.Random(11)
    per_day = count / days
    open_seconds = (CLOSE_HOUR - OPEN_HOUR) * 3600
    for n in range(count):
        day = first_day + timedelta(days=int(n / per_day))
        offset = (n % per_day) / per_day * open_seconds + rng.random()
        entered = (datetime.combine(day, datetime.min.time(), tzinfo=tz)
                   + timedelta(hours=OPEN_HOUR, seconds=offset))
        draw = rng.random()
        wait = rng.expovariate(1 / 25)
        caller = f"+3461{rng.randrange(10**7):07d}"
        call_id = f"bench-{n}"
        if draw < 0.80:
            talk = rng.expovariate(1 / 240)
            answered = entered + timedelta(seconds=wait)
            yield CallInfo(call_id, QUEUE, entered, TRANSFERRED if draw < 0.02 else ANSWERED,
                           caller=caller, answered_at=answered,
                           ended_at=answered + timedelta(seconds=talk),
                           extension=AGENTS[n % len(AGENTS)], wait_seconds=wait,
                           talk_seconds=talk, wrapup_seconds=15.0)
        else:
            outcome = (ABANDONED if draw < 0.92 else TIMEOUT if draw < 0.95
                       else EXIT_EMPTY if draw < 0.97 else FULL if draw < 0.98 else CLOSED)
            waited = 0.0 if outcome in (CLOSED, FULL) else wait
            yield CallInfo(call_id, QUEUE, entered, outcome, caller=caller,
                           ended_at=entered + timedelta(seconds=waited), wait_seconds=waited)


def _batches(calls: Iterator[CallInfo]) -> Iterator[list[CallInfo]]:
    batch: list[CallInfo] = []
    for call in calls:
        batch.append(call)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _queue_log(lines: int, first_day: date, tz: tzinfo) -> str:
    return "\n".join(queue_log_lines(lines, first_day, tz)) + "\n"


def queue_log_lines(lines: int, first_day: date, tz: tzinfo,
                    queue: str = LOG_QUEUE) -> Iterator[str]:
    """Calls of four lines (enter, ring, connect, complete) or two (enter, abandon), one
    every 8 seconds (the density of a million calls in 90 days), each from its own
    number, and a pause and unpause now and then. Lines in the order they were logged
    within a call, the calls one after the other (as ``bench queue-log-stats`` and the
    import need them; a live log interleaves calls, which reads the same)."""
    start = int(datetime.combine(first_day, datetime.min.time(),
                                 tzinfo=tz).timestamp()) + OPEN_HOUR * 3600
    rng = random.Random(5)
    written = 0
    n = 0
    while written < lines:
        t = start + n * 8
        call = f"{t}.{n}"
        agent = f"PJSIP/{AGENTS[n % len(AGENTS)]}"
        out = [f"{t}|{call}|{queue}|NONE|ENTERQUEUE||+3461{n % 10**7:07d}|1"]
        if rng.random() < 0.85:
            hold = rng.randrange(1, 60)
            out.append(f"{t + hold - 5}|{call}|{queue}|{agent}|RINGNOANSWER|5000")
            out.append(f"{t + hold}|{call}|{queue}|{agent}|CONNECT|{hold}|{call}.1|3")
            talk = rng.randrange(20, 600)
            out.append(f"{t + hold + talk}|{call}|{queue}|{agent}|COMPLETECALLER|{hold}|"
                       f"{talk}|1")
        else:
            out.append(f"{t + 30}|{call}|{queue}|NONE|ABANDON|1|1|30")
        if n % 250 == 0:
            out.append(f"{t + 1}|NONE|{queue}|{agent}|PAUSE|lunch")
            out.append(f"{t + 900}|NONE|{queue}|{agent}|UNPAUSE|")
        yield from out[:lines - written]
        written += len(out)
        n += 1


def _people(cli: Cli) -> None:
    services = cli.runtime.services
    now = services.clock.now()
    with transaction(services.sessions) as session:
        known = set(session.scalars(select(Person.key)))
        if COORDINATOR not in known:
            session.add(Person(key=COORDINATOR, name="Bench Coordinator", role="coordinator",
                               created_at=now))
        for ext in AGENTS:
            if f"bench-{ext}" not in known:
                session.add(Person(key=f"bench-{ext}", name=f"Bench Agent {ext}",
                                   extension=ext, created_at=now))


def _clean(cli: Cli) -> None:
    with transaction(cli.runtime.services.sessions) as session:
        session.execute(delete(CallStatsHour).where(CallStatsHour.queue.in_((QUEUE, LOG_QUEUE))))
        session.execute(delete(CallRecord).where(CallRecord.queue.in_((QUEUE, LOG_QUEUE))))
        session.execute(delete(Person).where(
            Person.key.in_([COORDINATOR, *(f"bench-{ext}" for ext in AGENTS)])))


# ------------------------------------------------------------------------- timing


def _reply(cli: Cli, text: str) -> str:
    result = cli.runtime.dispatcher.handle(Incoming(
        platform="console", user_id=COORDINATOR, text=text, where=Where(platform="console")))
    if not result.ok:
        raise SystemExit(f"{text} failed: {result.reply.text}")
    return render_text(result.reply)


def _time_stats(cli: Cli, text: str, rounds: int) -> list[float]:
    _reply(cli, text)  # the first run may rebuild rollups for new thresholds
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        _reply(cli, text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _time_import(cli: Cli, lines: int, first_day: date,
                 tz: tzinfo) -> tuple[int, float, float, ImportResult]:
    """Wall seconds, and the CPU seconds of this process and of the callers' number worker
    it forks (``store.calls.caller_numbers``; what a busy machine does not inflate: the database
    work of SQLite is in-process; PostgreSQL's server time is not counted)."""
    text = _queue_log(lines, first_day, tz)
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = import_lines(cli.runtime.services, numbered(text))
    return lines, time.perf_counter() - started, _cpu_seconds() - cpu, result


def _cpu_seconds() -> float:
    """User + system time of this process and of its children that have ended."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
