"""switchboard: run, serve and administer the Switchboard operations assistant."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from bot.cli import (
    bench,
    callbacks,
    callers,
    calls,
    config,
    db,
    ivr_keys,
    outbox,
    pause_reasons,
    people,
    planning,
    serve,
    shifts,
    slots,
    stats,
    talk,
)
from bot.cli.base import EXIT_USAGE, Cli, Handler
from bot.settings import Settings, SettingsError

# Every command group, in the order `switchboard --help` lists them. A group is a module
# with ``add_parsers(subparsers)``; its handlers are ``(cli, args) -> exit status``.
GROUPS: tuple[ModuleType, ...] = (db, config, people, pause_reasons, talk, serve, outbox, bench,
                                  shifts, planning, callers, slots, ivr_keys,
                                  callbacks, calls, stats)

# Libraries that speak at INFO about their own business (APScheduler adding jobs, Alembic's
# context, werkzeug's request lines). Between the console's prompts only replies and
# proactive messages belong, so they are held to WARNING unless LOG_LEVEL=debug.
CHATTY_LIBRARIES = ("apscheduler", "alembic", "werkzeug", "httpx", "httpcore",
                    "slack_bolt", "slack_sdk", "googleapiclient", "urllib3")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def configure_logging(level: str, *, console: bool = False) -> None:
    """The log goes to stderr. With the console chat in front (``run``) the terminal is for
    people, so only warnings and errors reach it unless LOG_LEVEL=debug."""
    if console and level != "debug":
        level = "warning" if level in ("info",) else level
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "debug":
        for name in CHATTY_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None, *, environ: dict[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.arguments = extra
    try:
        settings = Settings.load(environ)
    except SettingsError as exc:
        err.write(f"switchboard: {exc}\n")
        return EXIT_USAGE
    configure_logging(settings.log_level, console=args.command == "run")
    cli = Cli(settings, out, err)
    handler: Handler = args.handler
    try:
        return handler(cli, args)
    finally:
        cli.close()
