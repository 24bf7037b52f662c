"""``switchboard calls …``: bring call records in.

    switchboard calls import-queue-log FILE [--follow] [--every SECONDS]
    switchboard calls pull DATE

``import-queue-log`` reads an Asterisk queue_log (the file, or the realtime table
exported as ``time|callid|queuename|agent|event|data1..data5``): calls into the call
records, pauses and sessions into the landed log. A line that cannot be read is
reported with its line number and skipped; the rest is imported; the exit status is 1
when any line was skipped. ``--follow`` keeps reading as the file grows and across its
rotation, until interrupted. ``pull DATE`` asks the PBX backend for that day's calls.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date

from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.cli.follow import Follower
from commands.calls.pull import pull_day
from commands.calls.queue_log_import import ImportResult, import_lines
from integrations.errors import IntegrationError
from integrations.pbx.asterisk.queue_log_file import stream_lines
from store.imports import ImportRejected

MAX_SHOWN = 50  # skipped lines listed one by one; the rest are counted


def add_parsers(sub: Subparsers) -> None:
    calls = sub.add_parser("calls", help="call records: import a queue_log, pull from the PBX")
    actions = calls.add_subparsers(dest="calls_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import-queue-log", help="import an Asterisk queue_log file")
    imp.add_argument("file")
    imp.add_argument("--follow", action="store_true",
                     help="keep importing what is appended, across log rotation")
    imp.add_argument("--every", type=float, default=2.0, metavar="SECONDS",
                     help="how often --follow looks for new lines (default 2)")
    imp.set_defaults(handler=import_queue_log)
    pull = actions.add_parser("pull", help="ask the PBX for a day's call records")
    pull.add_argument("date", help="YYYY-MM-DD, a day in the team's time zone")
    pull.set_defaults(handler=pull_calls)


def report(cli: Cli, name: str, result: ImportResult) -> int:
    for number, why in result.problems[:MAX_SHOWN]:
        cli.err.write(f"{name}: line {number}: {why}\n")
    if len(result.problems) > MAX_SHOWN:
        cli.err.write(f"{name}: … and {len(result.problems) - MAX_SHOWN} more lines skipped\n")
    cli.out.write(f"imported {name}: {result.summary()}\n")
    return EXIT_FAILED if result.problems else EXIT_OK


def import_queue_log(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    if args.follow:
        return follow(cli, args.file, args.every)
    result = ImportResult()
    try:
        with open(args.file, "rb") as handle:  # a stream: any size
            import_lines(services, stream_lines(handle, result.problems), result=result)
    except OSError as exc:
        return cli.fail(f"cannot read {args.file}: {exc.strerror}", EXIT_USAGE)
    except ImportRejected as exc:
        return cli.rejected(args.file, exc)
    return report(cli, args.file, result)


def follow(cli: Cli, path: str, every: float, *,
           sleep: Callable[[float], None] = time.sleep, rounds: int | None = None) -> int:
    """Import what the file holds, then what is appended, until interrupted (or
    ``rounds`` polls, for tests)."""
    follower = Follower(path)
    services = cli.runtime.services
    done = 0
    try:
        while rounds is None or done < rounds:
            lines = follower.poll()
            problems = len(follower.problems)
            if lines or problems:
                result = ImportResult(problems=list(follower.problems))
                follower.problems.clear()
                import_lines(services, lines, result=result)
                report(cli, path, result)
            done += 1
            if rounds is None or done < rounds:
                sleep(every)
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()
    return EXIT_OK


def pull_calls(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        return cli.fail(f"{args.date!r} is not a date; give YYYY-MM-DD", EXIT_USAGE)
    try:
        result = pull_day(cli.runtime.services, day)
    except IntegrationError as exc:
        return cli.fail(f"the calls of {day} were not pulled: {exc}")
    if result is None:
        cli.out.write("the sim PBX writes its call records itself: nothing to pull\n")
        return EXIT_OK
    cli.out.write(f"{day}: {result.fetched} calls from {result.source}; "
                  f"{result.saved.summary()}\n")
    return EXIT_OK
