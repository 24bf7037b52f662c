"""``switchboard outbox``: see what is waiting or failed, revive dead letters, deliver now.

    switchboard outbox [--failed] [--limit N]   list messages, newest first
    switchboard outbox retry ID [ID ...]        dead or waiting → pending now, attempts reset
    switchboard outbox deliver                  one delivery pass now; prints the counts

"""

from __future__ import annotations

import argparse
from datetime import datetime, tzinfo

from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.delivery.worker import build_worker
from bot.render.text import render_text
from commands.core import Reply
from store.db import transaction
from store.messaging import outbox
from store.messaging.outbox import OutboxMessage

ERROR_WIDTH = 160  # the last column: long enough to keep the HTTP status and reason


def add_parsers(subparsers: Subparsers) -> None:
    box = subparsers.add_parser(
        "outbox", help="proactive messages: list, retry dead letters, deliver now",
        description="Without an action: list the outbox, newest first.")
    box.add_argument("--failed", action="store_true",
                     help="only dead messages and those waiting for a retry")
    box.add_argument("--limit", type=_positive, default=50, metavar="N",
                     help="show at most N messages (default 50)")
    box.set_defaults(handler=outbox_list)
    actions = box.add_subparsers(dest="outbox_command", metavar="ACTION")
    retry = actions.add_parser("retry", help="send dead or waiting messages again, now")
    retry.add_argument("ids", nargs="+", type=int, metavar="ID")
    retry.set_defaults(handler=outbox_retry)
    actions.add_parser("deliver", help="run one delivery pass now").set_defaults(
        handler=outbox_deliver)


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def outbox_list(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    with transaction(cli.runtime.services.sessions) as session:
        rows = outbox.listing(session, failed_only=args.failed, limit=args.limit)
    if not rows:
        cli.out.write("No failed messages.\n" if args.failed else "The outbox is empty.\n")
        return EXIT_OK
    zone = cli.settings.timezone
    max_attempts = cli.settings.outbox_max_attempts
    table = [("ID", "STATUS", "TARGET", "WHERE", "TRIES", "NEXT ATTEMPT", "LAST ERROR")]
    table += [(str(r.id), r.status, r.target, f"{r.platform}:{r.space or '(DM to open)'}",
               f"{r.attempts}/{max_attempts}", _when(r, zone), _error(r.last_error))
              for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        cli.out.write("  ".join([*cells, row[-1]]).rstrip() + "\n")
    return EXIT_OK


def _when(row: OutboxMessage, zone: tzinfo) -> str:
    if row.status == outbox.SENT and row.sent_at is not None:
        return "sent " + _time(row.sent_at, zone)
    if row.status == outbox.DEAD:
        return "never (dead)"
    if row.status == outbox.SENDING and row.claimed_until is not None:
        return "sending until " + _time(row.claimed_until, zone)
    return _time(row.next_attempt_at, zone)


def _time(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _error(text: str | None) -> str:
    if not text:
        return "-"
    line = " ".join(text.split())
    return line if len(line) <= ERROR_WIDTH else line[:ERROR_WIDTH - 1] + "…"


def outbox_retry(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services
    ids = list(dict.fromkeys(args.ids))
    # One transaction: an unknown or unretryable id leaves every message as it was.
    try:
        with transaction(services.sessions) as session:
            for message_id in ids:
                if outbox.revive(session, message_id, services.clock.now()) is None:
                    raise LookupError(message_id)
    except LookupError as exc:
        return cli.fail(f"outbox retry: no message {exc.args[0]} (see `switchboard outbox`); "
                        "nothing was changed", EXIT_USAGE)
    except outbox.NotRetryable as exc:
        return cli.fail(f"outbox retry: {exc}; nothing was changed")
    for message_id in ids:
        cli.out.write(f"message {message_id} will be sent again at the next delivery pass\n")
    return EXIT_OK


def outbox_deliver(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = cli.runtime.services

    def show(target: str, reply: Reply) -> None:  # console-mode messages land here
        cli.out.write(f"[to {target}]\n{render_text(reply)}\n")

    worker = build_worker(cli.runtime.settings, services.sessions, services.clock,
                          console_sink=show)
    try:
        stats = worker.deliver_due()
    finally:
        worker.stop()
    with transaction(services.sessions) as session:
        counts = outbox.status_counts(session)
    cli.out.write(f"delivery pass: {stats.claimed} due, {stats.sent} sent, "
                  f"{stats.retrying} to retry, {stats.dead} dead, {stats.deferred} deferred"
                  + (f", {stats.lost} taken over by another worker" if stats.lost else "")
                  + "\n")
    cli.out.write(f"outbox now: {counts[outbox.PENDING]} pending, {counts[outbox.SENDING]} "
                  f"sending, {counts[outbox.DEAD]} dead, {counts[outbox.SENT]} sent\n")
    return EXIT_OK
