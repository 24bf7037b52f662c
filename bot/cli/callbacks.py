"""``switchboard callbacks report [--from D] [--to D] [--csv FILE]``.

Without dates: today. The same figures as ``/callbacks report`` in chat (see
commands/callbacks/report.py); ``--csv`` writes one row per queue, campaign and source
("-" writes the CSV to stdout).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from commands.callbacks import report as callback_report
from commands.core import UsageError
from store.db import reading


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {raw!r}"
                                         ) from None


def report(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    tz = cli.settings.timezone
    now = services.clock.now()
    today = now.astimezone(tz).date()
    first = args.start or args.end or today
    last = args.end or (today if args.start and args.start <= today else first)
    try:
        period = callback_report.period_between(first, last, tz)
    except UsageError as exc:
        return cli.fail(exc.message, EXIT_USAGE)
    with reading(services.sessions) as session:
        built = callback_report.build(session, period, now, tz)
    if args.csv is None:
        cli.out.write(callback_report.to_text(built) + "\n")
        return EXIT_OK
    text = callback_report.to_csv(built)
    if args.csv == "-":
        cli.out.write(text)
        return EXIT_OK
    try:
        Path(args.csv).write_text(text, encoding="utf-8")
    except OSError as exc:
        return cli.fail(f"cannot write {args.csv}: {exc.strerror}")
    cli.out.write(f"wrote {args.csv} ({period.label})\n")
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("callbacks", help="callback reports")
    actions = group.add_subparsers(dest="callbacks_command", required=True, metavar="ACTION")
    made = actions.add_parser("report", help="requested, scheduled, dispatched, done, … per "
                                             "queue, campaign and source")
    made.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD")
    made.add_argument("--to", dest="end", type=_date, metavar="YYYY-MM-DD")
    made.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' for stdout)")
    made.set_defaults(handler=report)
