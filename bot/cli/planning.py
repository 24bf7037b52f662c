"""The week planner on the command line: ``plan WEEK`` (make a draft), ``plan show``,
``plan export``, ``plan publish``, ``plan fixed import``, and ``availability
import|export``."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path

import yaml

from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from commands.core import CommandError
from commands.shifts.planning.drafts import (
    csv_text,
    explain_person,
    load_draft,
    make_draft,
    publish,
    summary_text,
    week_document,
)
from commands.shifts.planning.inputs import Options
from store.db import reading, transaction
from store.imports import ImportRejected, dump_yaml, read_file
from store.shifts.availability_io import (
    export_rules,
    import_fixed,
    import_rules,
    parse_config,
    parse_forced,
)
from store.shifts.timetable_io import parse_date

ACTIONS = ("show", "export", "publish", "fixed", "explain")


def _monday(text: str) -> date | None:
    day = parse_date(text)
    return None if day is None else day - timedelta(days=day.weekday())


def plan(cli: Cli, args: argparse.Namespace) -> int:
    words = [args.first, *args.rest]
    if words[0] in ACTIONS:
        return _action(cli, args, words[0], words[1:])
    if len(words) != 1:
        return cli.fail("usage: switchboard plan WEEK [options], or plan show|export|publish|"
                        "explain|fixed …", EXIT_USAGE)
    monday = _monday(words[0])
    if monday is None:
        return cli.fail(f"{words[0]!r} is not a date (YYYY-MM-DD, any day of the week)",
                        EXIT_USAGE)
    if reason := cli.require_migrated():
        return cli.fail(reason)
    options = Options(lines=args.lines, time_limit=args.time_limit)
    if args.lines is not None and not 1 <= args.lines <= 500:
        return cli.fail("--lines: expected a whole number from 1 to 500", EXIT_USAGE)
    if args.time_limit <= 0:
        return cli.fail("--time-limit: expected a number of seconds above 0", EXIT_USAGE)
    services = cli.runtime.services
    for path, reader in ((args.tomatic_config, "config"), (args.forced, "forced")):
        if not path:
            continue
        try:
            text = read_file(path, cli.settings.import_max_bytes)
            if reader == "config":
                options.config = parse_config(text)
            else:
                with reading(services.sessions) as session:
                    options.forced = parse_forced(session, text)
        except OSError as exc:
            return cli.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        except ImportRejected as exc:
            return cli.rejected(path, exc)
    summary = make_draft(services, monday, options)
    if args.json:
        cli.out.write(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    else:
        cli.out.write(summary_text(summary))
    return EXIT_OK if summary["status"] in ("optimal", "feasible") else EXIT_FAILED


def _action(cli: Cli, args: argparse.Namespace, action: str, rest: list[str]) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    if action == "fixed":
        if len(rest) != 2 or rest[0] != "import":
            return cli.fail("usage: switchboard plan fixed import FILE", EXIT_USAGE)
        return cli.import_file(rest[1], import_fixed)
    if not rest:
        return cli.fail(f"usage: switchboard plan {action} WEEK", EXIT_USAGE)
    monday = _monday(rest[0])
    if monday is None:
        return cli.fail(f"{rest[0]!r} is not a date (YYYY-MM-DD, any day of the week)",
                        EXIT_USAGE)
    try:
        if action == "publish":
            if len(rest) != 1:
                return cli.fail("usage: switchboard plan publish WEEK", EXIT_USAGE)
            report = publish(services, monday, None)
            cli.out.write(report.text() + "\n")
            return EXIT_OK
        with reading(services.sessions) as session:
            row = load_draft(session, monday)
            if action == "show":
                text = (json.dumps(row.summary, indent=1, ensure_ascii=False) + "\n"
                        if args.json else summary_text(row.summary)
                        + dump_yaml(week_document(session, row)))
            elif action == "explain":
                if len(rest) != 2:
                    return cli.fail("usage: switchboard plan explain WEEK PERSON", EXIT_USAGE)
                text = explain_person(row.summary, rest[1].lstrip("@").lower()) + "\n"
            else:
                as_csv = args.format == "csv" or (args.format is None and len(rest) > 1
                                                  and rest[1].lower().endswith(".csv"))
                text = csv_text(row) if as_csv else yaml.safe_dump(
                    week_document(session, row), sort_keys=False, allow_unicode=True)
    except CommandError as exc:
        return cli.fail(exc.message)
    if action == "export" and len(rest) > 1:
        try:
            Path(rest[1]).write_text(text, encoding="utf-8")
        except OSError as exc:
            return cli.fail(f"cannot write {rest[1]}: {exc.strerror}")
        return EXIT_OK
    cli.out.write(text)
    return EXIT_OK


def availability_import(cli: Cli, args: argparse.Namespace) -> int:
    """Every file is read and checked first; then every imported rule is replaced."""
    if reason := cli.require_migrated():
        return cli.fail(reason)
    files: list[tuple[str, str]] = []
    for path in args.files:
        try:
            files.append((path, read_file(path, cli.settings.import_max_bytes)))
        except OSError as exc:
            return cli.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        except ImportRejected as exc:
            return cli.rejected(path, exc)
    services = cli.runtime.services
    try:
        with transaction(services.sessions) as session:
            summary = import_rules(session, files, services.clock.now())
    except ImportRejected as exc:
        for problem in exc.problems:
            cli.err.write(f"{problem}\n")
        return cli.fail(f"{exc}")
    cli.out.write(f"imported {', '.join(args.files)}: {summary}\n")
    return EXIT_OK


def availability_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_rules)


def add_parsers(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "plan", help="the week planner: make a draft (plan WEEK), show|export|publish|explain "
                     "it, fixed import",
        description="switchboard plan WEEK [options] makes a draft for the week; "
                    "plan show WEEK, plan export WEEK [FILE] [--format tomatic|csv], "
                    "plan publish WEEK, plan explain WEEK PERSON, plan fixed import FILE.")
    parser.add_argument("first", metavar="WEEK|ACTION")
    parser.add_argument("rest", nargs="*", metavar="ARG")
    parser.add_argument("--lines", type=int, help="lines per turn (default: the turn "
                                                  "definitions', or the config's nTelefons)")
    parser.add_argument("--forced", metavar="FILE", help="fixed turns from Tomàtic's "
                        "forced-turns.yaml (instead of the stored ones)")
    parser.add_argument("--tomatic-config", metavar="FILE", help="read the planning keys of "
                        "Tomàtic's config.yaml (hours, nTelefons, maximHoresDiariesGeneral, "
                        "maximHoresDiaries, maxOverload)")
    parser.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                        help="the solver's time limit in seconds (default 30)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--format", choices=("tomatic", "csv"), help="plan export's format")
    parser.set_defaults(handler=plan)
    group = sub.add_parser("availability", help="import or export availability rules "
                                                "(Tomàtic's line format)")
    actions = group.add_subparsers(dest="availability_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="replace the imported rules with these files' "
                                            "(indisponibilitats.conf, oneshot.conf); rules "
                                            "added from chat stay")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(handler=availability_import)
    exp = actions.add_parser("export", help="write every rule in the line format")
    exp.add_argument("file", nargs="?")
    exp.set_defaults(handler=availability_export)
