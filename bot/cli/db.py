"""``switchboard db upgrade [REV]`` / ``db current``: the Alembic migrations."""

from __future__ import annotations

import argparse

from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers
from store import migrate


def db_upgrade(cli: Cli, args: argparse.Namespace) -> int:
    migrate.upgrade(cli.runtime.engine, args.revision)
    cli.out.write(f"database at revision {migrate.current_revision(cli.runtime.engine)}\n")
    return EXIT_OK


def db_current(cli: Cli, args: argparse.Namespace) -> int:
    reason = cli.require_migrated()
    cli.out.write((reason or f"up to date at {migrate.current_revision(cli.runtime.engine)}")
                  + "\n")
    return EXIT_FAILED if reason else EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=db_upgrade)
    db_sub.add_parser("current", help="say whether the database is up to date").set_defaults(
        handler=db_current)
