"""``switchboard chat --as KEY`` and ``say --as KEY TEXT``: the console door from a shell."""

from __future__ import annotations

import argparse

from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.doors.console import Console, say
from bot.render.text import render_text
from commands.shifts.planning.chat import wait as wait_for_plans


def say_once(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    result = say(cli.runtime.dispatcher, args.as_key, args.text)
    cli.out.write(render_text(result.reply) + "\n")
    wait_for_plans()  # a /plan started in the background finishes before the process ends
    if result.ok:
        return EXIT_OK
    return EXIT_USAGE if result.outcome == "usage" else EXIT_FAILED


def chat(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    Console(cli.runtime.dispatcher, args.as_key, cli.out).loop()
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    talk = sub.add_parser("chat", help="talk to Switchboard in this terminal")
    talk.add_argument("--as", dest="as_key", required=True, metavar="KEY")
    talk.set_defaults(handler=chat)

    one = sub.add_parser("say", help="send one message and print the reply")
    one.add_argument("--as", dest="as_key", required=True, metavar="KEY")
    one.add_argument("text")
    one.set_defaults(handler=say_once)
