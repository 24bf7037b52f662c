"""``switchboard desk sessions list`` / ``revoke KEY`` and ``desk link --as KEY``: the desk's
sign-ins.

``revoke`` takes a person's key (every live session of theirs ends) or a session's number
from ``list``. ``link`` prints another one-time sign-in link for ``make run`` (it works
only there: no Google client configured and the server on this machine).
"""

from __future__ import annotations

import argparse

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.desk.auth import LINK_MINUTES, is_loopback, sign_in_link
from commands.links import base_url
from store.db import reading, transaction
from store.team import desk_sessions, people


def listing(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    now = services.clock.now()
    with reading(services.sessions) as session:
        rows = desk_sessions.live_sessions(session, now)
        keys = {p.id: p.key for p in people.all_people(session)}
    if not rows:
        cli.out.write("No live desk sessions.\n")
        return EXIT_OK
    zone = cli.settings.timezone
    for row in rows:
        cli.out.write(f"#{row.id:<6} {keys.get(row.person_id, '?'):<20} via {row.via:<7} "
                      f"since {row.created_at.astimezone(zone):%Y-%m-%d %H:%M}  until "
                      f"{row.expires_at.astimezone(zone):%Y-%m-%d %H:%M}\n")
    return EXIT_OK


def revoke(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    now = services.clock.now()
    key = args.key.strip()
    with transaction(services.sessions) as session:
        if key.lstrip("#").isdigit():
            if not desk_sessions.revoke(session, int(key.lstrip("#")), now):
                return cli.fail(f"there is no live desk session #{key.lstrip('#')}")
            cli.out.write(f"revoked desk session #{key.lstrip('#')}\n")
            return EXIT_OK
        person = people.by_key(session, key.lstrip("@").lower())
        if person is None:
            return cli.fail(f"there is nobody with the key {key!r} (nor a session number)",
                            EXIT_USAGE)
        count = desk_sessions.revoke_person(session, person.id, now)
    cli.out.write(f"revoked {count} desk session{'s' if count != 1 else ''} of {person.key}\n")
    return EXIT_OK


def link(cli: Cli, args: argparse.Namespace) -> int:
    settings = cli.settings
    if settings.desk_google_client_id or not is_loopback(settings.host):
        return cli.fail("one-time links are for `make run` only: no DESK_GOOGLE_CLIENT_ID and "
                        "SWITCHBOARD_HOST on this machine (127.0.0.1)", EXIT_USAGE)
    if reason := cli.require_migrated():
        return cli.fail(reason)
    path = sign_in_link(cli.runtime.services, args.as_key.strip().lstrip("@").lower())
    if path is None:
        return cli.fail(f"there is no active person with the key {args.as_key!r}", EXIT_USAGE)
    cli.out.write(f"{base_url(settings)}{path}\n")
    cli.err.write(f"It signs {args.as_key} in once, within {LINK_MINUTES} minutes.\n")
    return EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("desk", help="the desk's sign-ins (the web console)")
    actions = group.add_subparsers(dest="desk_command", required=True, metavar="ACTION")
    sessions = actions.add_parser("sessions", help="live sessions: list, revoke")
    what = sessions.add_subparsers(dest="desk_sessions_command", required=True,
                                   metavar="ACTION")
    what.add_parser("list", help="the live sessions").set_defaults(handler=listing)
    gone = what.add_parser("revoke", help="end a person's sessions (KEY) or one (#N)")
    gone.add_argument("key", metavar="KEY")
    gone.set_defaults(handler=revoke)
    made = actions.add_parser("link", help="a one-time sign-in link (make run only)")
    made.add_argument("--as", dest="as_key", metavar="KEY", required=True)
    made.set_defaults(handler=link)
