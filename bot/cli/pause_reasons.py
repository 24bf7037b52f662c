"""``switchboard pause-reasons import FILE`` / ``export [FILE]`` (YAML)."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bot.cli.base import Cli, Subparsers, add_import_export
from store.queue.pause_reasons_io import export_reasons, import_reasons


def pause_reasons_import(cli: Cli, args: argparse.Namespace) -> int:
    def apply(session: Session, text: str) -> str:
        report = import_reasons(session, text)
        removed = f" ({', '.join(report.removed)})" if report.removed else ""
        return (f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.removed)} removed{removed}")

    return cli.import_file(args.file, apply)


def pause_reasons_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_reasons)


def add_parsers(sub: Subparsers) -> None:
    add_import_export(
        sub, "pause-reasons", "import or export the pause reasons (YAML)",
        import_help="replace every pause reason with a YAML list of "
                    "{code, label, max_minutes, aliases}",
        export_help="write the pause reasons as YAML (stdout without FILE)",
        on_import=pause_reasons_import, on_export=pause_reasons_export)
