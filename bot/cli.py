"""switchboard: run, serve and administer the Switchboard operations assistant."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from bot import cli_outbox, cli_pbx
from bot.console import Console, say
from bot.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bot.render_text import render_text
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError
from store import migrate
from store.db import transaction
from store.demo import load_demo
from store.people import Role, with_role
from store.people_io import ImportRejected, export_people, import_people

log = logging.getLogger("switchboard")



class Cli:
    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.err = err
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()

    def fail(self, message: str, status: int = EXIT_FAILED) -> int:
        self.err.write(f"switchboard: {message}\n")
        return status

    def require_migrated(self) -> str | None:
        return migrate.pending_reason(self.runtime.engine)

    # ------------------------------------------------------------------ db

    def db_upgrade(self, args: argparse.Namespace) -> int:
        migrate.upgrade(self.runtime.engine, args.revision)
        self.out.write(f"database at revision {migrate.current_revision(self.runtime.engine)}\n")
        return EXIT_OK

    def db_current(self, args: argparse.Namespace) -> int:
        reason = self.require_migrated()
        self.out.write((reason or f"up to date at {migrate.current_revision(self.runtime.engine)}")
                       + "\n")
        return EXIT_FAILED if reason else EXIT_OK

    # ------------------------------------------------------------------ YAML files

    def import_file(self, path: str, apply: Callable[[Session, str], str]) -> int:
        """Read PATH and apply it in one transaction; ``apply`` returns the summary line.

        An ImportRejected lists every problem and exits 1 with nothing written."""
        if reason := self.require_migrated():
            return self.fail(reason)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            return self.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        try:
            with transaction(self.runtime.services.sessions) as session:
                summary = apply(session, text)
        except ImportRejected as exc:
            for problem in exc.problems:
                self.err.write(f"{path}: {problem}\n")
            return self.fail(f"{exc}")
        self.out.write(f"imported {path}: {summary}\n")
        return EXIT_OK

    def export_file(self, path: str | None, dump: Callable[[Session], str]) -> int:
        """Write ``dump``'s YAML to PATH, or to stdout without one."""
        if reason := self.require_migrated():
            return self.fail(reason)
        with transaction(self.runtime.services.sessions) as session:
            text = dump(session)
        if not path:
            self.out.write(text)
            return EXIT_OK
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            return self.fail(f"cannot write {path}: {exc.strerror}")
        return EXIT_OK

    def people_import(self, args: argparse.Namespace) -> int:
        def apply(session: Session, text: str) -> str:
            report = import_people(session, text, self.runtime.services.clock.now())
            return (f"{len(report.created)} created, {len(report.updated)} updated, "
                    f"{len(report.unchanged)} unchanged")

        return self.import_file(args.file, apply)

    def people_export(self, args: argparse.Namespace) -> int:
        return self.export_file(args.file, export_people)

    def demo(self, args: argparse.Namespace) -> int:
        if reason := self.require_migrated():
            return self.fail(reason)
        with transaction(self.runtime.services.sessions) as session:
            report = load_demo(session, self.runtime.services.clock.now(), only_if_empty=False)
        assert report is not None
        self.out.write(f"demo team: {len(report.created)} created, {len(report.updated)} updated, "
                       f"{len(report.unchanged)} unchanged\n")
        return EXIT_OK

    # ------------------------------------------------------------------ talking

    def say(self, args: argparse.Namespace) -> int:
        if reason := self.require_migrated():
            return self.fail(reason)
        result = say(self.runtime.dispatcher, args.as_key, args.text)
        self.out.write(render_text(result.reply) + "\n")
        if result.ok:
            return EXIT_OK
        return EXIT_USAGE if result.outcome == "usage" else EXIT_FAILED

    def chat(self, args: argparse.Namespace) -> int:
        if reason := self.require_migrated():
            return self.fail(reason)
        Console(self.runtime.dispatcher, args.as_key, self.out).loop()
        return EXIT_OK

    def serve(self, args: argparse.Namespace) -> int:
        """The HTTP doors plus the background work, until interrupted."""
        from werkzeug.serving import run_simple

        from bot.app import create_app
        from bot.scheduler import Background

        if reason := self.require_migrated():
            return self.fail(reason)
        app = create_app(self.settings, self.runtime.services)
        background = Background(self.runtime) if self.settings.background_jobs else None
        if background:
            background.start()
        try:
            run_simple(self.settings.host, self.settings.port, app, threaded=True)
        finally:
            if background:
                background.shutdown()
        return EXIT_OK

    def run(self, args: argparse.Namespace) -> int:
        """make run: migrate, demo data if empty, HTTP and background work, console in front."""
        from werkzeug.serving import make_server

        from bot.app import create_app
        from bot.scheduler import Background

        migrate.upgrade(self.runtime.engine)
        services = self.runtime.services
        with transaction(services.sessions) as session:
            loaded = load_demo(session, services.clock.now())
            key = args.as_key or _default_persona(session)
            agents = [p.extension for p in with_role(session, Role.AGENT) if p.extension]
        if loaded:
            self.out.write(f"Loaded the demo team ({len(loaded.created)} people).\n")
        if self.settings.pbx_backend == "sim" and not services.pbx.queue_status():
            # A fresh simulated PBX starts with the demo agents logged in, so the board is alive.
            services.pbx.set_members(agents)
        app = create_app(self.settings, services)
        try:
            server = make_server(self.settings.host, self.settings.port, app, threaded=True)
        except OSError as exc:
            return self.fail(f"cannot listen on {self.settings.host}:{self.settings.port}: "
                             f"{exc.strerror}; set SWITCHBOARD_PORT to a free port")
        console = Console(self.runtime.dispatcher, key, self.out)
        background = Background(self.runtime, console_sink=console.show)
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        background.start()
        traffic = "on" if background.traffic else "off"
        self.out.write(
            f"Switchboard is up on http://{self.settings.host}:{server.server_port} "
            f"(database {self.settings.database_url}, PBX {self.settings.pbx_backend}, "
            f"simulated callers {traffic}).\n"
            f"Talking as {key}. Type /help; ':as KEY' talks as someone else; Ctrl-D quits.\n")
        self.out.flush()
        try:
            console.loop()
        finally:
            background.shutdown()
            server.shutdown()
            thread.join(timeout=5)
        return EXIT_OK


def _default_persona(session: Session) -> str:
    for role in (Role.COORDINATOR, Role.ADMIN, Role.AGENT):
        found = with_role(session, role)
        if found:
            return found[0].key
    return "nobody"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=Cli.db_upgrade)
    db_sub.add_parser("current", help="say whether the database is up to date").set_defaults(
        handler=Cli.db_current)

    ppl = sub.add_parser("people", help="import or export people (YAML)")
    ppl_sub = ppl.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    imp = ppl_sub.add_parser("import", help="add or update people from a YAML file")
    imp.add_argument("file")
    imp.set_defaults(handler=Cli.people_import)
    exp = ppl_sub.add_parser("export", help="write everyone as YAML (stdout without FILE)")
    exp.add_argument("file", nargs="?")
    exp.set_defaults(handler=Cli.people_export)

    cli_pbx.add_parsers(sub)

    sub.add_parser("demo", help="load the demo team").set_defaults(handler=Cli.demo)

    chat = sub.add_parser("chat", help="talk to Switchboard in this terminal")
    chat.add_argument("--as", dest="as_key", required=True, metavar="KEY")
    chat.set_defaults(handler=Cli.chat)

    one = sub.add_parser("say", help="send one message and print the reply")
    one.add_argument("--as", dest="as_key", required=True, metavar="KEY")
    one.add_argument("text")
    one.set_defaults(handler=Cli.say)

    sub.add_parser("serve", help="run the HTTP server").set_defaults(handler=Cli.serve)

    run = sub.add_parser("run", help="migrate, load the demo, serve and open the console")
    run.add_argument("--as", dest="as_key", metavar="KEY")
    run.set_defaults(handler=Cli.run)

    cli_outbox.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, environ: dict[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(environ)
    except SettingsError as exc:
        err.write(f"switchboard: {exc}\n")
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    cli = Cli(settings, out, err)
    handler: Callable[[Cli, argparse.Namespace], int] = args.handler
    try:
        return handler(cli, args)
    finally:
        cli.close()


if __name__ == "__main__":
    sys.exit(main())
