"""``switchboard stats`` and ``switchboard report``: the /stats figures in a terminal.

    switchboard stats [--date PERIOD] [--queue Q] [--hourly] [--json]
    switchboard stats --queue-log FILE --date PERIOD [--queue Q] [--hourly] [--json]
    switchboard report DATE [--queue Q] [--png FILE] [--csv FILE]

``--queue-log`` computes the figures straight from a queue_log file, in a throwaway
in-memory database, without touching the configured one: the same import and the same
metric code as everything else, so anyone can point it at their PBX's log. Only the
period's part of the file is read (from a day before it to a day after), found by
bisecting byte offsets as the Asterisk backend's pull does (``import_period``). PERIOD is
anything /stats takes: today, yesterday, YYYY-MM-DD, week, month or FROM..TO.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.render.text import render_text
from bot.runtime import build_services
from commands.calls.queue_log_import import ImportResult, import_events, pbx_zone
from commands.core import CommandError, Services
from commands.stats.card import card, report_for
from commands.stats.chart import render_png
from commands.stats.export import csv_rows
from commands.stats.figures import StatsReport
from commands.stats.period import Period, day_period, parse_period
from integrations.pbx.asterisk.queue_log_file import (
    CALL_SPAN,
    enter_window,
    stream_lines,
    window_events,
)
from store import migrate
from store.db import make_engine, make_sessionmaker, transaction
from store.exports import CsvWriter, csv_text
from store.imports import ImportRejected
from store.team.people import Person


def add_parsers(sub: Subparsers) -> None:
    stats = sub.add_parser("stats", help="call figures for a period (as /stats)")
    stats.add_argument("--date", default="today", metavar="PERIOD",
                       help="today, yesterday, YYYY-MM-DD, week, month or FROM..TO")
    stats.add_argument("--queue", metavar="Q", help="one queue (default: every queue)")
    stats.add_argument("--hourly", action="store_true", help="the figures of each hour too")
    stats.add_argument("--json", action="store_true", help="JSON instead of text")
    stats.add_argument("--queue-log", metavar="FILE",
                       help="compute from this queue_log file, not from the database")
    stats.set_defaults(handler=show_stats)
    report = sub.add_parser("report", help="a day's chart (PNG) and figures (CSV)")
    report.add_argument("date", help="YYYY-MM-DD")
    report.add_argument("--queue", metavar="Q")
    report.add_argument("--png", metavar="FILE", help="write the calls-per-hour chart here")
    report.add_argument("--csv", metavar="FILE", help="write the figures per hour here")
    report.set_defaults(handler=write_report)


def scratch_services(cli: Cli) -> tuple[Services, str | None]:
    """An in-memory database with the schema, for figures from a file, and the team's
    people copied in from the configured database (``configured_people``); with them,
    why they could not be read (None when they were)."""
    engine = make_engine("sqlite://")
    migrate.upgrade(engine)
    # Nothing here reaches the PBX, HR or directory: the embedded defaults stand in.
    settings = cli.settings.replace(pbx_backend="sim", hr_backend="local",
                                    directory_backend="local")
    services = build_services(settings, sessions=make_sessionmaker(engine))
    found, why = configured_people(cli.settings.database_url)
    with transaction(services.sessions) as session:
        session.add_all(found)
    return services, why


_COPIED = ("key", "name", "role", "extension", "pbx_name", "active", "created_at")


def configured_people(url: str) -> tuple[list[Person], str | None]:
    """The people of the configured database, detached copies of the fields an import
    maps agents with (extension, PBX member name, name), read only: a SQLite file that
    does not exist is not created, and a database that is unreachable or not at the
    latest revision gives nobody. With them, why nobody (None when read)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (
            parsed.database in (None, "", ":memory:") or not Path(parsed.database).exists()):
        return [], f"no database at {url}"
    engine = make_engine(url)
    try:
        if reason := migrate.pending_reason(engine):
            return [], reason
        with engine.connect() as conn:
            rows = conn.execute(select(*(getattr(Person, n) for n in _COPIED))).all()
    except SQLAlchemyError as exc:
        return [], f"database unreachable: {type(exc).__name__}"
    finally:
        engine.dispose()
    return [Person(**dict(zip(_COPIED, row, strict=True))) for row in rows], None


def show_stats(cli: Cli, args: argparse.Namespace) -> int:
    people_note = None
    if args.queue_log:
        services, people_note = scratch_services(cli)
    else:
        if reason := cli.require_migrated():
            return cli.fail(reason)
        services = cli.runtime.services
    try:
        period = parse_period(args.date, services.clock.now(), cli.settings.timezone)
    except CommandError as exc:
        return cli.fail(exc.message, EXIT_USAGE)
    if args.queue_log and (status := import_period(cli, services, args.queue_log, period,
                                                   people_note)):
        return status
    report = report_for(services, period, args.queue, hourly=args.hourly)
    if args.json:
        cli.out.write(json.dumps(as_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        cli.out.write(render_text(card(report, rows=report.agents, chart=None,
                                       private=False)) + "\n")
        if args.hourly:
            cli.out.write("\n" + hourly_table(report))
    return EXIT_OK


def import_period(cli: Cli, services: Services, path: str, period: Period,
                  people_note: str | None = None) -> int:
    """Import the part of a queue_log file the period needs into the scratch database:
    the file is entered by bisecting (``enter_window``, as the Asterisk backend's pull
    does) and read through the import's own batches only from a day before the period
    (the agents' pauses and sessions open when it starts; calls from ``CALL_SPAN``
    before it) to ``CALL_SPAN`` after it (``window_events``). Exit status; 0 when it
    was read."""
    result = ImportResult()
    zone = pbx_zone(services.settings)
    try:
        with open(path, "rb") as handle:  # a stream, and only the period's part of it
            offset = enter_window(handle, period.begin, zone)
            events = window_events(stream_lines(handle, result.problems), period.begin,
                                   period.end, zone, result.problems, after=CALL_SPAN,
                                   calls_from=period.begin - CALL_SPAN)
            import_events(services, events, create_people=True, callers=False,
                          result=result)
    except OSError as exc:
        return cli.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
    except ImportRejected as exc:
        return cli.rejected(path, exc)
    where = f" (counted from byte {offset})" if offset else ""
    for number, why in result.problems[:50]:
        cli.err.write(f"{path}: line {number}{where}: {why}\n")
    if unmapped := result.agents.unknown_agents:
        note = f" (the team's people were not read: {people_note})" if people_note else ""
        cli.err.write(f"{path}: {len(unmapped)} agent(s) not mapped to a person (by "
                      f"extension, PBX member name or name), left out of the agents' rows: "
                      f"{', '.join(sorted(unmapped))}{note}\n")
    return 0


def as_json(report: StatsReport) -> dict[str, Any]:
    return {
        "period": {"label": report.period.label, "begin": report.period.begin.isoformat(),
                   "end": report.period.end.isoformat()},
        "queue": report.queue,
        "queues": list(report.queues),
        **report.figures.to_json(),
        "agents": [{"key": r.key, "name": r.name, "extension": r.extension,
                    "answered": r.figures.answered,
                    "talk_seconds": round(r.figures.talk_seconds, 1),
                    "wrapup_seconds": round(r.figures.wrapup_seconds, 1),
                    "aht_seconds": None if r.figures.aht_seconds is None
                    else round(r.figures.aht_seconds, 1),
                    "pause_seconds": {reason: round(seconds, 1)
                                      for reason, (_, seconds) in r.time.pauses.items()},
                    "logged_in_seconds": round(r.time.logged_in, 1)}
                   for r in report.agents],
        "hourly": [{"hour": hour.isoformat(), **f.to_json()} for hour, f in report.hourly],
    }


def hourly_table(report: StatsReport) -> str:
    return csv_text(csv_rows(report), delimiter="\t")


def write_report(cli: Cli, args: argparse.Namespace) -> int:
    if not args.png and not args.csv:
        return cli.fail("give --png FILE, --csv FILE or both", EXIT_USAGE)
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        return cli.fail(f"{args.date!r} is not a date; give YYYY-MM-DD", EXIT_USAGE)
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    period = day_period(day, cli.settings.timezone, services.clock.now())
    report = report_for(services, period, args.queue, agents=False, hourly=True)
    try:
        if args.png:
            title = f"Calls per hour, {day:%a %d %b %Y}" + (
                f", queue {args.queue}" if args.queue else "")
            Path(args.png).write_bytes(render_png(report.hourly, title))
        if args.csv:
            with open(args.csv, "w", newline="", encoding="utf-8") as handle:
                CsvWriter(handle, lineterminator="\r\n").writerows(csv_rows(report))
    except OSError as exc:
        return cli.fail(f"cannot write the report: {exc.strerror}", EXIT_FAILED)
    written = " and ".join(p for p in (args.png, args.csv) if p)
    cli.out.write(f"{day}: {report.figures.received} calls; wrote {written}\n")
    return EXIT_OK
