"""``switchboard people import FILE`` / ``export [FILE]`` (YAML), ``pbx-name KEY [NAME]``
and ``demo``."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from store.db import transaction
from store.demo.team import load_demo
from store.team import people
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


def pbx_name(cli: Cli, args: argparse.Namespace) -> int:
    """Set (or, without NAME, clear) the PBX member name a person is logged by."""
    if reason := cli.require_migrated():
        return cli.fail(reason)
    try:
        with transaction(cli.runtime.services.sessions) as session:
            person, before = people.set_pbx_name(session, args.key, args.name)
    except ValueError as exc:
        return cli.fail(str(exc), EXIT_USAGE)
    now = person.pbx_name
    shown = repr(now) if now else f"none (their name, {person.name!r}, is matched)"
    change = "unchanged" if before == now else f"was {before!r}" if before else "was none"
    cli.out.write(f"{person.key}: PBX member name {shown}; {change}\n")
    return EXIT_OK


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
    name = actions.add_parser(
        "pbx-name", help="the PBX member name a queue_log names this person by "
                         "(log_membername_as_agent); without NAME, their name is matched")
    name.add_argument("key", help="the person's key")
    name.add_argument("name", nargs="?", help="the member name (omit to clear)")
    name.set_defaults(handler=pbx_name)
    sub.add_parser("demo", help="load the demo team").set_defaults(handler=demo)
