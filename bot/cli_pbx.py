"""``switchboard pause-reasons import FILE`` / ``export [FILE]``.

bot/cli.py adds these with ``cli_pbx.add_parsers(sub)``; handlers take (cli, args) and
return an exit status, like bot/cli.py's own.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.db import transaction
from store.pause_reasons_io import ImportRejected, export_reasons, import_reasons

if TYPE_CHECKING:  # bot.cli imports this module to build its parser
    from bot.cli import Cli

# The same statuses as bot.cli (imported from there, this module would import in a cycle).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def pause_reasons_import(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        return cli.fail(f"cannot read {args.file}: {exc.strerror}", EXIT_USAGE)
    try:
        with transaction(cli.runtime.services.sessions) as session:
            report = import_reasons(session, text)
    except ImportRejected as exc:
        for problem in exc.problems:
            cli.err.write(f"{args.file}: {problem}\n")
        return cli.fail(f"{exc}")
    cli.out.write(f"imported {args.file}: {len(report.created)} created, "
                  f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, "
                  f"{len(report.removed)} removed"
                  + (f" ({', '.join(report.removed)})" if report.removed else "") + "\n")
    return EXIT_OK


def pause_reasons_export(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    with transaction(cli.runtime.services.sessions) as session:
        text = export_reasons(session)
    if args.file:
        try:
            Path(args.file).write_text(text, encoding="utf-8")
        except OSError as exc:
            return cli.fail(f"cannot write {args.file}: {exc.strerror}")
    else:
        cli.out.write(text)
    return EXIT_OK


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
