"""switchboard: run, serve and administer the Switchboard operations assistant."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from bot import logs
from bot.cli import (
    bench,
    callbacks,
    callers,
    calls,
    config,
    db,
    desk,
    doctor,
    ivr_keys,
    outbox,
    pause_reasons,
    pbx,
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
from store import i18n
from store.i18n import speaking

# Every command group, in the order `switchboard --help` lists them. A group is a module
# with ``add_parsers(subparsers)``; its handlers are ``(cli, args) -> exit status``.
GROUPS: tuple[ModuleType, ...] = (db, doctor, config, people, pause_reasons, talk, serve,
                                  outbox, bench, shifts, planning, callers, slots,
                                  ivr_keys, callbacks, calls, stats, desk, pbx)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


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
    logs.configure(settings, console=args.command == "run")
    cli = Cli(settings, out, err)
    handler: Handler = args.handler
    try:
        # The command line speaks English (its output is for operators and programs);
        # what goes to people through it — a chat reply, a DM — is written in theirs.
        with speaking(i18n.ENGLISH):
            return handler(cli, args)
    finally:
        cli.close()
