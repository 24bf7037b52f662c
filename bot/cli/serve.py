"""``switchboard serve`` (HTTP doors and background work) and ``run`` (what ``make run``
runs: migrate, demo team, HTTP and background work, the console chat in front)."""

from __future__ import annotations

import argparse
import threading

from sqlalchemy.orm import Session

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.settings import SettingsError
from store import migrate
from store.db import transaction
from store.demo.team import load_demo
from store.team.people import Role, with_role

# The app, its doors and the scheduler are imported by the two commands that serve them,
# not whenever the command line starts: every other command (``stats --queue-log`` on a
# large file above all) would pay a second for them.


def serve(cli: Cli, args: argparse.Namespace) -> int:
    """The HTTP doors plus the background work, until interrupted."""
    from werkzeug.serving import run_simple

    from bot.app import create_app, freeze_startup
    from bot.scheduler import Background

    if problems := cli.settings.serving_problems():
        return cli.fail(str(SettingsError(problems)), EXIT_USAGE)
    if reason := cli.require_migrated():
        return cli.fail(reason)
    app = create_app(cli.settings, cli.runtime.services)
    background = Background(cli.runtime) if cli.settings.background_jobs else None
    if background:
        background.start()
    freeze_startup()
    try:
        run_simple(cli.settings.host, cli.settings.port, app, threaded=True)
    finally:
        if background:
            background.shutdown()
    return EXIT_OK


def run(cli: Cli, args: argparse.Namespace) -> int:
    """make run: migrate, demo data if empty, HTTP and background work, console in front."""
    from werkzeug.serving import make_server

    from bot.app import create_app, freeze_startup
    from bot.desk.auth import LINK_MINUTES, is_loopback, sign_in_link
    from bot.doors.console import Console
    from bot.scheduler import Background

    settings = cli.settings
    if problems := settings.serving_problems(local=True):  # App Engine is never local
        return cli.fail(str(SettingsError(problems)), EXIT_USAGE)
    links = not settings.desk_google_client_id
    if links and not is_loopback(settings.host):
        return cli.fail(f"SWITCHBOARD_HOST={settings.host} is not this machine: without a "
                        "Google client (DESK_GOOGLE_CLIENT_ID) the desk signs people in with "
                        "one-time links, which only work on 127.0.0.1", EXIT_USAGE)
    migrate.upgrade(cli.runtime.engine)
    services = cli.runtime.services
    with transaction(services.sessions) as session:
        loaded = load_demo(session, services.clock.now())
        key = args.as_key or _default_persona(session)
        agents = [p.extension for p in with_role(session, Role.AGENT) if p.extension]
    if loaded:
        cli.out.write(f"Loaded the demo team ({len(loaded.created)} people).\n")
    if settings.pbx_backend == "sim" and not services.pbx.queue_status():
        # A fresh simulated PBX starts with the demo agents logged in, so the board is alive.
        services.pbx.set_members(agents)
    app = create_app(settings, services, local=True)
    try:
        server = make_server(settings.host, settings.port, app, threaded=True)
    except OSError as exc:
        return cli.fail(f"cannot listen on {settings.host}:{settings.port}: "
                        f"{exc.strerror}; set SWITCHBOARD_PORT to a free port")
    console = Console(cli.runtime.dispatcher, key, cli.out)
    background = Background(cli.runtime, console_sink=console.show)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    background.start()
    freeze_startup()
    traffic = "on" if background.traffic else "off"
    cli.out.write(
        f"Switchboard is up on http://{settings.host}:{server.server_port} "
        f"(database {settings.database_url}, PBX {settings.pbx_backend}, "
        f"simulated callers {traffic}).\n"
        f"Talking as {key}. Type /help; ':as KEY' talks as someone else; Ctrl-D quits.\n")
    path = sign_in_link(services, key) if links else None
    if path is not None:
        cli.out.write(f"The desk: http://{settings.host}:{server.server_port}{path} signs {key} "
                      f"in (once, within {LINK_MINUTES} minutes).\n")
    cli.out.flush()
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


def add_parsers(sub: Subparsers) -> None:
    sub.add_parser("serve", help="run the HTTP server").set_defaults(handler=serve)
    start = sub.add_parser("run", help="migrate, load the demo, serve and open the console")
    start.add_argument("--as", dest="as_key", metavar="KEY")
    start.set_defaults(handler=run)
