"""Shifts on the command line: ``turns``, ``timetable``, ``holidays``, ``absences``,
``hr sync`` and ``calendar revoke``. Imports are validated whole: every problem is listed
and nothing is written (exit 1)."""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers, add_import_export
from commands.shifts.holidays import warn_week
from commands.shifts.hr_sync import sync_hr
from store.db import transaction
from store.imports import ImportRejected, dump_yaml, read_file
from store.messaging import clockwork
from store.shifts.absences import COMPANY, all_no_service_days
from store.shifts.absences_io import import_absences, import_company_days
from store.shifts.availability_io import import_week_absences
from store.shifts.timetable_io import (
    Week,
    export_csv,
    export_yaml,
    import_weeks,
    parse_csv,
    parse_date,
    parse_tomatic,
)
from store.shifts.turns_io import export_turns, import_turns
from store.team import people

# --------------------------------------------------------------------------- turns


def turns_import(cli: Cli, args: argparse.Namespace) -> int:
    return cli.import_file(args.file, import_turns)


def turns_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_turns)


# --------------------------------------------------------------------------- timetable


def timetable_import(cli: Cli, args: argparse.Namespace) -> int:
    """Every file is read and checked before anything is written; one transaction."""
    if reason := cli.require_migrated():
        return cli.fail(reason)
    weeks: list[Week] = []
    failed = False
    for path in args.files:
        try:
            text = read_file(path, cli.settings.import_max_bytes)
            weeks += parse_csv(text) if path.lower().endswith(".csv") else [parse_tomatic(text)]
        except OSError as exc:
            return cli.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        except ImportRejected as exc:
            for problem in exc.problems:
                cli.err.write(f"{path}: {problem}\n")
            failed = True
    if failed:
        return cli.fail("nothing was imported")
    services = cli.runtime.services
    try:
        with transaction(services.sessions) as session:
            report = import_weeks(session, weeks, services.clock.now(),
                                  label=", ".join(args.files))
            planned = [h for monday in report.weeks for h in warn_week(session, services, monday)]
    except ImportRejected as exc:
        return cli.rejected(", ".join(args.files), exc)
    cli.out.write(f"imported {report.summary()}\n")
    for holiday in planned:
        cli.out.write(f"warning: {holiday.text()} The coordinators are asked to keep or close "
                      f"it (/holiday keep|close {holiday.day:%Y-%m-%d}).\n")
    return EXIT_OK


def timetable_export(cli: Cli, args: argparse.Namespace) -> int:
    day = parse_date(args.week)
    if day is None:
        return cli.fail(f"{args.week!r} is not a date (YYYY-MM-DD, any day of the week)",
                        EXIT_USAGE)
    monday = day - timedelta(days=day.weekday())
    as_csv = args.format == "csv" or (args.format is None and bool(args.file)
                                      and args.file.lower().endswith(".csv"))

    def dump(session: Session) -> str:
        if as_csv:
            return export_csv(session, monday, monday + timedelta(days=6))
        return export_yaml(session, monday)

    return cli.export_file(args.file, dump)


# --------------------------------------------------------------------------- the rest


def holidays_import(cli: Cli, args: argparse.Namespace) -> int:
    return cli.import_file(args.file, import_company_days)


def holidays_export(cli: Cli, args: argparse.Namespace) -> int:
    def dump(session: Session) -> str:
        return dump_yaml([{"date": f"{d.day:%Y-%m-%d}", "name": d.name}
                          for d in all_no_service_days(session, COMPANY)])

    return cli.export_file(args.file, dump)


def absences_import(cli: Cli, args: argparse.Namespace) -> int:
    tz = cli.settings.timezone
    if args.week:  # Tomàtic's weekly vacation file: absences of that one week
        day = parse_date(args.week)
        if day is None:
            return cli.fail(f"--week {args.week!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)
        monday = day - timedelta(days=day.weekday())
        return cli.import_file(args.file, lambda session, text: import_week_absences(
            session, text, monday, tz))
    return cli.import_file(args.file, lambda session, text: import_absences(session, text, tz))


def hr_sync(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    report = sync_hr(cli.runtime.services)
    cli.out.write(report.summary() + "\n")
    return EXIT_FAILED if report.error else EXIT_OK


def calendar_revoke(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    with transaction(services.sessions) as session:
        person = people.by_key(session, args.key.lstrip("@").lower())
        if person is None:
            return cli.fail(f"no person {args.key!r}", EXIT_USAGE)
        version = clockwork.revoke_feed(session, person.id, services.clock.now())
    cli.out.write(f"revoked every calendar link of {person.key} (feed version now {version}); "
                  "/shifts hands out the new one\n")
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    add_import_export(sub, "turns", "import or export the turn definitions (YAML)",
                      import_help="replace the turn definitions from a YAML file",
                      export_help="write the turn definitions as YAML (stdout without FILE)",
                      on_import=turns_import, on_export=turns_export)
    group = sub.add_parser("timetable", help="import or export timetables (Tomàtic YAML, CSV)")
    actions = group.add_subparsers(dest="timetable_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="import Tomàtic weekly YAML or CSV files; each "
                                            "week in them replaces that week only")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(handler=timetable_import)
    exp = actions.add_parser("export", help="write one week (Tomàtic YAML, or CSV)")
    exp.add_argument("week", metavar="WEEK", help="the Monday (any day of the week works)")
    exp.add_argument("file", nargs="?")
    exp.add_argument("--format", choices=("tomatic", "csv"))
    exp.set_defaults(handler=timetable_export)
    add_import_export(sub, "holidays", "import or export the company's no-service days",
                      import_help="replace the company's no-service days (CSV date,name, "
                                  "YAML, or Tomàtic's holidays.conf)",
                      export_help="write the company's no-service days as YAML",
                      on_import=holidays_import, on_export=holidays_export)
    absences = sub.add_parser("absences", help="import absences (CSV or YAML)")
    actions = absences.add_subparsers(dest="absences_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="replace the local absences from a file (CSV, "
                                            "YAML), or with --week those of Tomàtic's weekly "
                                            "vacation file for that week")
    imp.add_argument("file")
    imp.add_argument("--week", metavar="MONDAY", help="read FILE as Tomàtic's "
                     "indisponibilitats-vacances.conf: absences of this week only")
    imp.set_defaults(handler=absences_import)
    hr = sub.add_parser("hr", help="the HR system")
    actions = hr.add_subparsers(dest="hr_command", required=True, metavar="ACTION")
    actions.add_parser("sync", help="refresh absences and public holidays now").set_defaults(
        handler=hr_sync)
    calendar = sub.add_parser("calendar", help="calendar feed links")
    actions = calendar.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    revoke = actions.add_parser("revoke", help="invalidate every calendar link of a person")
    revoke.add_argument("key")
    revoke.set_defaults(handler=calendar_revoke)


