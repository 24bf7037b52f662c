"""``switchboard slots import FILE`` / ``export [FILE]``: the callback capacity (YAML)."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bot.cli.base import Cli, Subparsers, add_import_export
from store.callbacks.capacity_io import export_capacity, import_capacity


def slots_import(cli: Cli, args: argparse.Namespace) -> int:
    def apply(session: Session, text: str) -> str:
        return import_capacity(session, text).summary()

    return cli.import_file(args.file, apply)


def slots_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_capacity)


def add_parsers(sub: Subparsers) -> None:
    add_import_export(
        sub, "slots", "import or export the callback capacity (YAML)",
        import_help="replace the callback capacity (templates, weekly schedules, queues, "
                    "campaigns, date overrides) with a YAML file; bookings stay",
        export_help="write the callback capacity as YAML (stdout without FILE)",
        on_import=slots_import, on_export=slots_export)
