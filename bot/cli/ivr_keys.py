"""``switchboard ivr-keys create NAME`` / ``list`` / ``revoke NAME``: IVR API clients.

A key is printed once, when it is created; only its hash is stored, so a lost key is
revoked and replaced, never recovered.
"""

from __future__ import annotations

import argparse

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from store.callbacks import ivr_keys
from store.db import transaction


def create(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    name = args.name.strip().lower()
    if not ivr_keys.NAME.match(name):
        return cli.fail(f"{args.name!r} is not a client name: 1 to 64 lowercase letters, "
                        "digits, '_', '.' or '-'", EXIT_USAGE)
    with transaction(cli.runtime.services.sessions) as session:
        existing = ivr_keys.by_name(session, name)
        if existing is not None and existing.revoked_at is None:
            return cli.fail(f"there is an active key named {name!r}; revoke it first or "
                            "choose another name")
        key = ivr_keys.create(session, name, cli.runtime.services.clock.now())
    cli.out.write(f"{key}\n")
    cli.err.write(f"Key for {name!r} created. It is shown only now: give it to the IVR as "
                  "'Authorization: Bearer KEY'.\n")
    return EXIT_OK


def listing(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    with transaction(cli.runtime.services.sessions) as session:
        keys = ivr_keys.all_keys(session)
    if not keys:
        cli.out.write("No IVR keys. Create one with: switchboard ivr-keys create NAME\n")
        return EXIT_OK
    zone = cli.settings.timezone
    for key in keys:
        state = ("revoked " + key.revoked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                 if key.revoked_at else "active")
        cli.out.write(f"{key.name:<24} {ivr_keys.PREFIX}{key.key_id}_…  created "
                      f"{key.created_at.astimezone(zone):%Y-%m-%d %H:%M}  {state}\n")
    return EXIT_OK


def revoke(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    with transaction(cli.runtime.services.sessions) as session:
        key = ivr_keys.by_name(session, args.name.strip().lower())
        if key is None:
            return cli.fail(f"there is no IVR key named {args.name!r}")
        if key.revoked_at is None:
            key.revoked_at = cli.runtime.services.clock.now()
    cli.out.write(f"revoked {key.name}: its requests are refused from now on\n")
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("ivr-keys", help="API keys of the IVR clients")
    actions = group.add_subparsers(dest="ivr_keys_command", required=True, metavar="ACTION")
    made = actions.add_parser("create", help="create a key (printed once)")
    made.add_argument("name")
    made.set_defaults(handler=create)
    actions.add_parser("list", help="the clients and their keys' state").set_defaults(
        handler=listing)
    gone = actions.add_parser("revoke", help="refuse a client's key from now on")
    gone.add_argument("name")
    gone.set_defaults(handler=revoke)
