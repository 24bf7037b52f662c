"""``switchboard people import FILE`` / ``export [FILE]`` (YAML) and ``demo``."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bot.cli.base import EXIT_OK, Cli, Subparsers
from store.db import transaction
from store.demo.team import load_demo
from store.team.people_io import export_people, export_tomatic, import_people


def people_import(cli: Cli, args: argparse.Namespace) -> int:
    def apply(session: Session, text: str) -> str:
        report = import_people(session, text, cli.runtime.services.clock.now())
        return (f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged")

    return cli.import_file(args.file, apply)


def people_export(cli: Cli, args: argparse.Namespace) -> int:
    tomatic = getattr(args, "format", None) == "tomatic"
    return cli.export_file(args.file, export_tomatic if tomatic else export_people)


def demo(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    with transaction(cli.runtime.services.sessions) as session:
        report = load_demo(session, cli.runtime.services.clock.now(), only_if_empty=False)
    assert report is not None
    cli.out.write(f"demo team: {len(report.created)} created, {len(report.updated)} updated, "
                  f"{len(report.unchanged)} unchanged\n")
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("people", help="import or export people (YAML)")
    actions = group.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="add or update people from a YAML file (a list, "
                                            "or Tomàtic's persons.yaml)")
    imp.add_argument("file")
    imp.set_defaults(handler=people_import)
    exp = actions.add_parser("export", help="write everyone as YAML (stdout without FILE)")
    exp.add_argument("file", nargs="?")
    exp.add_argument("--format", choices=("switchboard", "tomatic"), default="switchboard",
                     help="tomatic: Tomàtic's persons.yaml layout, so a team can go back")
    exp.set_defaults(handler=people_export)
    sub.add_parser("demo", help="load the demo team").set_defaults(handler=demo)
