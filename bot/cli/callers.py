"""``switchboard directory import FILE.csv [--skip-bad]``, ``operations import|export``,
``categories import|export``: the data of caller identification and typification."""

from __future__ import annotations

import argparse
import io

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers, add_import_export
from store.callers.directory_io import import_directory
from store.callers.operations_io import export_operations, import_operations
from store.calls.categories_io import export_categories, import_categories
from store.db import transaction
from store.imports import ImportRejected, Problem, apparent_encoding, check_text_start


def directory_import(cli: Cli, args: argparse.Namespace) -> int:
    """The file is read as a stream (dialer lists of a million rows are ordinary), so
    IMPORT_MAX_BYTES does not cap it; it must be UTF-8 text all the same."""
    if reason := cli.require_migrated():
        return cli.fail(reason)
    try:
        with open(args.file, "rb") as raw:
            check_text_start(raw.peek(4096)[:4096])
            lines = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            with transaction(cli.runtime.services.sessions) as session:
                report = import_directory(session, lines, cli.runtime.services.clock.now(),
                                          cli.settings.default_region, skip_bad=args.skip_bad)
    except OSError as exc:
        return cli.fail(f"cannot read {args.file}: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError as exc:
        return cli.rejected(args.file, ImportRejected([Problem(
            "file", "encoding", f"not UTF-8: {apparent_encoding(exc.object)}; save it as "
                                "UTF-8 and import it again")]))
    except ImportRejected as exc:
        return cli.rejected(args.file, exc)
    for problem in report.skipped:
        cli.err.write(f"{args.file}: skipped {problem}\n")
    cli.out.write(f"imported {args.file}: {report.summary()}\n")
    return EXIT_OK


def operations_import(cli: Cli, args: argparse.Namespace) -> int:
    return cli.import_file(args.file, lambda s, text: import_operations(s, text).summary())


def operations_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_operations)


def categories_import(cli: Cli, args: argparse.Namespace) -> int:
    return cli.import_file(args.file, lambda s, text: import_categories(s, text).summary())


def categories_export(cli: Cli, args: argparse.Namespace) -> int:
    return cli.export_file(args.file, export_categories)


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("directory", help="the local directory of customers (CSV import)")
    actions = group.add_subparsers(dest="directory_command", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="add or update accounts and contacts from a ';'-separated dialer CSV "
                       "(name;phone1;phone2;phone3;email;company;tax_id;crm_code;erp_code)")
    imp.add_argument("file")
    imp.add_argument("--skip-bad", action="store_true",
                     help="import the good rows and report the bad ones (default: any bad "
                          "row and nothing is imported)")
    imp.set_defaults(handler=directory_import)
    add_import_export(
        sub, "operations", "import or export the caller card's operations (YAML)",
        import_help="set the operations from a YAML list of {code, name, url, asks_detail, "
                    "enabled}; the defaults can be switched off, never deleted",
        export_help="write the operations as YAML (stdout without FILE)",
        on_import=operations_import, on_export=operations_export)
    add_import_export(
        sub, "categories", "import or export the typification categories (YAML)",
        import_help="set the categories from a YAML list of {code, name, parent, keywords, "
                    "color, enabled}; categories left out are disabled",
        export_help="write the categories as YAML (stdout without FILE)",
        on_import=categories_import, on_export=categories_export)
