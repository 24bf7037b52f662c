"""``switchboard pause-reasons import FILE`` / ``export [FILE]``.

bot/cli.py adds these with ``cli_pbx.add_parsers(sub)``; handlers take (cli, args) and
return an exit status, like bot/cli.py's own.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from store.pause_reasons_io import export_reasons, import_reasons

if TYPE_CHECKING:  # bot.cli imports this module to build its parser
    from bot.cli import Cli


def pause_reasons_import(cli: Cli, args: argparse.Namespace) -> int:
    def apply(session: Session, text: str) -> str:
        report = import_reasons(session, text)
        removed = f" ({', '.join(report.removed)})" if report.removed else ""
        return (f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.removed)} removed{removed}")

    return cli.import_file(args.file, apply)


def pause_reasons_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_reasons)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    reasons = sub.add_parser("pause-reasons", help="import or export the pause reasons (YAML)")
    actions = reasons.add_subparsers(dest="pause_reasons_command", required=True,
                                     metavar="ACTION")
    imp = actions.add_parser(
        "import", help="replace every pause reason with a YAML list of "
                       "{code, label, max_minutes, aliases}")
    imp.add_argument("file")
    imp.set_defaults(handler=pause_reasons_import)
    exp = actions.add_parser("export", help="write the pause reasons as YAML (stdout without "
                                            "FILE)")
    exp.add_argument("file", nargs="?")
    exp.set_defaults(handler=pause_reasons_export)
