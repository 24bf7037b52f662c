"""``switchboard pbx sync [--apply]``: the PBX's users against the people list."""

from __future__ import annotations

import argparse

from bot.cli.base import EXIT_OK, Cli, Subparsers
from commands.core import CommandError
from commands.team.pbx_sync import apply_sync, describe_plan, plan_sync, summary
from integrations.errors import IntegrationError


def sync(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    try:
        plan = plan_sync(services)
        cli.out.write(describe_plan(plan) + "\n")
        if args.apply and plan.changes:
            result = apply_sync(services, plan, "cli")
            cli.out.write(summary(plan, result) + "\n")
            if result.failed:
                return cli.fail(f"{len(result.failed)} change(s) refused by the PBX")
    except CommandError as exc:
        return cli.fail(str(exc))
    except IntegrationError as exc:
        return cli.fail(exc.message)
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("pbx", help="keep the PBX's users and extensions in line with "
                                       "the people list")
    actions = group.add_subparsers(dest="pbx_command", required=True, metavar="ACTION")
    diff = actions.add_parser("sync", help="list the differences (rename, free, create); "
                                           "--apply makes them")
    diff.add_argument("--apply", action="store_true",
                      help="make the changes (never on an extension in a call now)")
    diff.set_defaults(handler=sync)
