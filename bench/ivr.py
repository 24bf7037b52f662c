"""``switchboard bench ivr``: the IVR API under gunicorn, beside the same app's bare endpoint.

Prepared before anything is timed: a database of its own (``bench.database``: a
temporary SQLite file, or a PostgreSQL schema dropped afterwards), migrated, with queue
``bench`` open every day (20 intervals of 10,000 places) and an IVR key. gunicorn starts
as ``app.yaml``'s entrypoint says (``--workers``/``--threads`` override it) with the key's
rate limit at its highest (``IVR_RATE_PER_MINUTE=1000000``: not what is measured) and
public holidays off (every day has capacity). ``bench.load.drive`` then warms up and
runs, per endpoint, the closed loop (``--clients`` connections: throughput) and the open
loop (``--rate`` arrivals per second: latency):

- ``GET /healthz``: the bare endpoint, for reference;
- ``GET /ivr/v1/slots?queue=bench&date=…`` for the next 3 days: key check, rate count,
  capacity per interval;
- ``POST /ivr/v1/callbacks``: a booking per request, a new number each time, spread over
  10 intervals of tomorrow — far from full, so each must be a 201 (a 409 counts as an
  error). What was stored is counted afterwards.

The issue's targets, at 50 clients in the closed loop: slots p99 under 25 ms, booking p99
under 50 ms, slots throughput at least half the bare endpoint's. Each is printed met or
MISSED beside the bare endpoint's own figures (on a small machine the load generator
shares the CPUs with the server).
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy import func, select

from bench.database import BenchDatabase, bench_database
from bench.load import WARM_UP, Endpoint, LoadFailed, add_load_arguments, bad_load_arguments, drive
from bench.loadgen import Gunicorn, Request, Run, constant, print_runs
from bench.report import footer, header, quiet_logs
from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from integrations.clock import SystemClock
from store.callbacks import ivr_keys
from store.callbacks.bookings import Callback, CallbackRefusal
from store.callbacks.capacity_io import import_capacity
from store.db import make_sessionmaker, reading, transaction

PLACES = 10_000  # per interval: the run never fills one
_ROOMY = ", ".join(f'"{h:02d}:{m:02d}": {PLACES}' for h in range(9, 19) for m in (0, 30))
CAPACITY = f"""\
templates:
  roomy: {{{_ROOMY}}}
weekly:
  always: {{mon: roomy, tue: roomy, wed: roomy, thu: roomy, fri: roomy, sat: roomy, sun: roomy}}
queues:
  bench: {{schedule: always}}
"""
BOOKING_INTERVALS = 10  # bookings spread over 09:00 … 13:30 of tomorrow
RATE_LIMIT = 1_000_000  # IVR_RATE_PER_MINUTE's highest value
TARGET_CLIENTS = 50
SLOTS_P99_MS, BOOKING_P99_MS = 25.0, 50.0
BARE, SLOTS, BOOKING = "GET /healthz (bare)", "GET /ivr/v1/slots (3 dates)", \
    "POST /ivr/v1/callbacks"


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("ivr", help="IVR API slots and bookings under gunicorn (app.yaml "
                                        "entrypoint) beside the bare endpoint")
    add_load_arguments(parser, seconds=10.0)
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if (problem := bad_load_arguments(args)) is not None:
        return cli.fail(problem, EXIT_USAGE)
    quiet_logs()
    started = time.monotonic()
    tomorrow = SystemClock(cli.settings.timezone).now().date() + timedelta(days=1)
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        key = prepare(db)
        env = {"DATABASE_URL": db.url, "BACKGROUND_JOBS": "false", "PBX_BACKEND": "sim",
               "SIM_TRAFFIC": "false", "TEAM_SPACE": "", "COORDINATORS_SPACE": "",
               "IVR_RATE_PER_MINUTE": str(RATE_LIMIT), "HOLIDAYS_COUNTRY": "",
               "CALLBACK_HORIZON_DAYS": "7", "CALLBACK_MIN_LEAD_MINUTES": "15"}
        try:
            server = stack.enter_context(Gunicorn(env, workers=args.workers,
                                                  threads=args.threads))
        except (RuntimeError, ValueError, OSError) as exc:  # it did not start: say why
            return cli.fail(f"bench ivr: {exc}")
        header(cli.out, "switchboard bench ivr: the IVR API under gunicorn", db.description,
               f"server:   {' '.join(server.command[2:])} (background jobs off)",
               f"load:     closed loop {args.clients} clients × {args.seconds:g} s, open loop "
               f"{args.rate:g}/s × {args.seconds:g} s, per endpoint; a raw HTTP/1.1 "
               "keep-alive client on asyncio",
               f"data:     queue bench open every day, 20 intervals of {PLACES:,} places; "
               f"bookings for {BOOKING_INTERVALS} intervals of {tomorrow}, a new number each, "
               "so they fit (a 409 counts as an error); key limit "
               f"{RATE_LIMIT:,}/minute, public holidays off")
        try:
            runs = drive(server, endpoints(key, tomorrow), args, cli.err)
        except LoadFailed as exc:
            return cli.fail(f"bench ivr: {exc}\n{server.log_tail()}")
        print_runs(runs, cli.out, floor=runs[0])
        stored, refused = stored_bookings(db)
        booked = sum(r.ok for r in runs if r.name == BOOKING)
        cli.out.write(f"  bookings: {booked} answered 201 in the runs and {WARM_UP} in the "
                      f"warm-up; stored: {stored} callbacks, {refused} refused for capacity\n")
        verdicts(cli.out, runs, args.clients)
    footer(cli.out, started)
    return EXIT_OK


def prepare(db: BenchDatabase) -> str:
    """The capacity plan and a key (before anything is timed); the key in clear."""
    with transaction(make_sessionmaker(db.engine)) as session:
        import_capacity(session, CAPACITY)
        return ivr_keys.create(session, "bench", SystemClock().now())


def endpoints(key: str, tomorrow: date) -> list[Endpoint]:
    auth = {"Authorization": f"Bearer {key}"}
    dates = "&".join(f"date={tomorrow + timedelta(days=n)}" for n in range(3))
    slots = Request("GET", f"/ivr/v1/slots?queue=bench&{dates}", auth)
    posting = {**auth, "Content-Type": "application/json"}

    def booking(number: int) -> Request:  # drive() numbers them on across its runs
        interval = number % BOOKING_INTERVALS
        body = {"phone": f"+346{number % 10**8:08d}", "queue": "bench",
                "when": f"{tomorrow}T{9 + interval // 2:02d}:{30 * (interval % 2):02d}:00"}
        return Request("POST", "/ivr/v1/callbacks", posting, json.dumps(body).encode())

    return [Endpoint(BARE, constant(Request("GET", "/healthz")), b"ok"),
            Endpoint(SLOTS, constant(slots), b'"intervals":[{'),
            Endpoint(BOOKING, booking, b'"status":"scheduled"', status=201)]


def stored_bookings(db: BenchDatabase) -> tuple[int, int]:
    with reading(make_sessionmaker(db.engine)) as session:
        return (session.scalar(select(func.count()).select_from(Callback)) or 0,
                session.scalar(select(func.count()).select_from(CallbackRefusal)) or 0)


def verdicts(out: TextIO, runs: list[Run], clients: int) -> None:
    """The issue's three targets, from the closed-loop runs, met or MISSED."""
    closed = {run.name: run for run in runs if run.mode.startswith("closed")}
    bare, slots, booking = closed[BARE], closed[SLOTS], closed[BOOKING]
    if clients != TARGET_CLIENTS:
        out.write(f"  the targets are set at {TARGET_CLIENTS} clients; this run had "
                  f"{clients}\n")
    share = slots.rate / bare.rate if bare.rate else 0.0
    for label, figure, met in (
            (f"slots p99 under {SLOTS_P99_MS:g} ms", f"{slots.percentile(99) * 1000:.1f} ms",
             slots.percentile(99) * 1000 < SLOTS_P99_MS),
            (f"booking p99 under {BOOKING_P99_MS:g} ms",
             f"{booking.percentile(99) * 1000:.1f} ms",
             booking.percentile(99) * 1000 < BOOKING_P99_MS),
            ("slots throughput at least half the bare endpoint's",
             f"{slots.rate:.0f} vs {bare.rate:.0f} req/s ({share:.0%})", share >= 0.5)):
        out.write(f"  target: {label}: {figure}: {'met' if met else 'MISSED'}\n")
    mean = clients / bare.rate * 1000 if bare.rate else float("nan")
    out.write(f"  for reference, the bare endpoint at {clients} clients: p50 "
              f"{bare.percentile(50) * 1000:.1f} ms, p99 {bare.percentile(99) * 1000:.1f} ms "
              f"(a closed loop's mean latency is clients ÷ throughput: {clients} ÷ "
              f"{bare.rate:.0f}/s = {mean:.1f} ms)\n")
    out.flush()
