"""``switchboard bench load``: the production entrypoint under load from many clients.

gunicorn starts as ``app.yaml``'s entrypoint says (its worker and thread options) on a
database of its own (``bench.database``, migrated, demo team loaded before anything is
timed), with its Google certificates URL pointed at the bench's certificates server and a
Slack signing secret of the bench's. ``bench.loadgen`` then drives each endpoint:

- closed loop, ``--clients`` connections for ``--seconds``: the throughput, and that
  throughput as a share of ``/healthz`` (the floor: a route that touches nothing);
- open loop, ``--rate`` requests per second for ``--seconds``: the latency a steady stream
  of requests sees (measured from each request's scheduled start).

Endpoints: ``/healthz``; ``POST /chat/google`` ``/whoami`` and ``/queue`` (a new message
each time, signed tokens from a pool of distinct ones minted first, valid for an hour);
``POST /slack/events`` ``/switchboard queue`` (a new trigger id each time, signed as the
request is built: an HMAC, microseconds). Each endpoint is warmed up, and its answer
checked, before it is timed. The background scheduler is off: only requests run.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TextIO

from bench import chat
from bench.database import bench_database
from bench.doors import doors_settings
from bench.loadgen import (
    Check,
    Gunicorn,
    Request,
    RequestFactory,
    Run,
    closed_loop,
    constant,
    open_loop,
    print_runs,
    status_ok,
)
from bench.report import footer, header, quiet_logs
from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.runtime import build_runtime
from testing.google_tokens import CertsServer

POOL = 256  # distinct signed Chat tokens, minted before the runs and cycled
WARM_UP = 20  # untimed requests per endpoint (links chat ids, fetches certificates)


@dataclass(frozen=True)
class Endpoint:
    name: str
    factory: RequestFactory
    expect: bytes  # what a warm-up answer must contain
    status: int = 200  # what every answer's status must be to count as a success


class LoadFailed(Exception):
    pass


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("load", help="throughput and latency of the doors under gunicorn "
                                         "(app.yaml entrypoint) with many clients")
    add_load_arguments(parser, seconds=20.0)
    parser.set_defaults(handler=run)


def add_load_arguments(parser: argparse.ArgumentParser, *, seconds: float) -> None:
    """--clients, --seconds, --rate, --workers and --threads (for every gunicorn bench)."""
    parser.add_argument("--clients", type=int, default=50, metavar="N",
                        help="connections in the closed loop (default 50)")
    parser.add_argument("--seconds", type=float, default=seconds, metavar="S",
                        help=f"length of each run, per endpoint and loop (default {seconds:g})")
    parser.add_argument("--rate", type=float, default=100.0, metavar="R",
                        help="arrivals per second in the open loop (default 100)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="gunicorn workers (default: the app.yaml entrypoint's)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="gunicorn threads per worker (default: the entrypoint's)")


def bad_load_arguments(args: argparse.Namespace) -> str | None:
    if args.clients < 1 or args.seconds <= 0 or args.rate <= 0:
        return "--clients, --seconds and --rate must be positive"
    if (args.workers is not None and args.workers < 1) or \
            (args.threads is not None and args.threads < 1):
        return "--workers and --threads must be positive"
    return None


def run(cli: Cli, args: argparse.Namespace) -> int:
    if (problem := bad_load_arguments(args)) is not None:
        return cli.fail(problem, EXIT_USAGE)
    quiet_logs()
    started = time.monotonic()
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        certs = stack.enter_context(CertsServer())
        sink = stack.enter_context(chat.SlackSink())
        settings = doors_settings(cli.settings, db, certs.certs_url, sink.api_url)
        runtime = build_runtime(settings)
        try:
            chat.prepare_team(runtime.services)
        finally:
            runtime.close()
        env = {"DATABASE_URL": db.url, "BACKGROUND_JOBS": "false", "PBX_BACKEND": "sim",
               "SIM_TRAFFIC": "false", "TEAM_SPACE": "", "COORDINATORS_SPACE": "",
               **chat.chat_env(certs.certs_url, sink.api_url)}
        try:
            server = stack.enter_context(Gunicorn(env, workers=args.workers,
                                                  threads=args.threads))
        except (RuntimeError, ValueError, OSError) as exc:  # it did not start: say why
            return cli.fail(f"bench load: {exc}")
        header(cli.out, "switchboard bench load: the doors under gunicorn, many clients",
               db.description,
               f"server:   {' '.join(server.command[2:])} (background jobs off)",
               f"load:     closed loop {args.clients} clients × {args.seconds:g} s, open loop "
               f"{args.rate:g}/s × {args.seconds:g} s, per endpoint; a raw HTTP/1.1 "
               "keep-alive client on asyncio")
        try:
            runs = drive(server, endpoints(sink), args, cli.err)
        except LoadFailed as exc:
            return cli.fail(f"bench load: {exc}\n{server.log_tail()}")
        print_runs(runs, cli.out, floor=runs[0])
        cli.out.write(f"  Slack answers that missed the acknowledgement (sent to response_url): "
                      f"{sink.late_answers}\n")
    footer(cli.out, started)
    return EXIT_OK


def endpoints(sink: chat.SlackSink) -> list[Endpoint]:
    tokens = chat.google_tokens(POOL)

    def google(text: str) -> RequestFactory:
        bodies = chat.google_bodies(text)
        headers = [chat.google_headers(token) for token in tokens]
        return lambda n: Request("POST", "/chat/google", headers[n % POOL], bodies(n))

    return [
        Endpoint("GET /healthz (floor)", constant(Request("GET", "/healthz")), b"ok"),
        Endpoint("POST /chat/google /whoami", google("/whoami"), b"You are "),
        Endpoint("POST /chat/google /queue", google("/queue"), b"Queue "),
        Endpoint("POST /slack/events /switchboard queue",
                 slack_requests(chat.slack_bodies("queue", sink.response_url)), b"Queue "),
    ]


def slack_requests(bodies: Callable[[int], bytes]) -> RequestFactory:
    """Slash command number N, each with its own trigger id, signed as it is built (one
    HMAC, microseconds: Slack's five-minute window rules out signing them all first)."""
    def request(number: int) -> Request:
        body = bodies(number)
        return Request("POST", "/slack/events", chat.slack_headers(body), body)

    return request


def drive(server: Gunicorn, targets: list[Endpoint], args: argparse.Namespace,
          progress: TextIO) -> list[Run]:
    runs: list[Run] = []
    for endpoint in targets:
        factory = renumbered(endpoint.factory)
        # A person's first message arrives alone (it links their chat id and DM); the
        # rest of the warm-up comes in parallel.
        warm = [closed_loop(server.address, factory, clients=clients, seconds=30, limit=count,
                            check=expecting(endpoint.expect, endpoint.status))
                for clients, count in ((1, 1), (min(args.clients, 4), WARM_UP - 1))]
        failed = [run for run in warm if run.failed]
        if failed:
            reason, count = failed[0].errors.most_common(1)[0]
            raise LoadFailed(f"{endpoint.name}: {count} warm-up requests failed ({reason})")
        for loop in (closed_run, open_run):
            progress.write(f"  … {endpoint.name}, {loop.__name__.replace('_run', '')} loop\n")
            progress.flush()
            runs.append(loop(server, endpoint, factory, args))
    return runs


def expecting(text: bytes, status: int = 200) -> Check:
    return lambda got, body: got == status and text in body


def status_is(status: int) -> Check:
    return status_ok if status == 200 else lambda got, _body: got == status


def closed_run(server: Gunicorn, endpoint: Endpoint, factory: RequestFactory,
               args: argparse.Namespace) -> Run:
    return closed_loop(server.address, factory, clients=args.clients, seconds=args.seconds,
                       name=endpoint.name, check=status_is(endpoint.status),
                       server_pid=server.pid)


def open_run(server: Gunicorn, endpoint: Endpoint, factory: RequestFactory,
             args: argparse.Namespace) -> Run:
    return open_loop(server.address, factory, rate=args.rate, seconds=args.seconds,
                     name=endpoint.name, check=status_is(endpoint.status),
                     server_pid=server.pid)


def renumbered(factory: RequestFactory) -> RequestFactory:
    """``factory`` numbered on across the warm-up and both runs (each loop counts from
    zero): every Chat message stays a new one."""
    numbers = itertools.count()
    return lambda _: factory(next(numbers))
