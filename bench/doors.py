"""``switchboard bench doors``: the server-side latency of each door and command, in-process.

On a database of its own (``bench.database``) with the demo team, through the real
code paths:

- the console door: ``/queue`` (8 members), and ``/pause lunch`` + ``/resume`` on the sim PBX;
- ``POST /chat/google`` ``/whoami`` and ``/queue``, each with its own genuinely signed token
  (verified for real against the bench's certificates server);
- ``POST /slack/events`` ``/switchboard whoami`` and ``queue``, signed as Slack signs;
- ``/pause`` against an Areavoip PBX that never answers (target: PBX_TIMEOUT + 1 s);
- outbox delivery of console messages.

Tokens, signatures and WSGI environments are all made before the clock starts; the clock
covers only the app's WSGI call (what gunicorn calls) or the dispatcher (the console).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any, TextIO

from flask import Flask
from werkzeug.test import EnvironBuilder

from bench import chat
from bench.database import BenchDatabase, bench_database, bench_settings
from bench.report import footer, header, latency_line, quiet_logs, timed
from bot.app import create_app
from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.delivery.worker import build_worker
from bot.doors.console import say
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from integrations.pbx.areavoip.backend import AreavoipPbx
from testing.google_tokens import CertsServer
from testing.local_server import LocalServer

WARM_UP = 3  # untimed requests per door first: links chat ids, fetches the certificates


class BenchFailed(Exception):
    """The product did not answer as it should; figures would mean nothing."""


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("doors", help="server-side latency of each door and command "
                                          "(in-process, p50/p95/max)")
    parser.add_argument("--rounds", type=int, default=200, metavar="N",
                        help="timed requests per door and command (default 200)")
    parser.add_argument("--silent-rounds", type=int, default=3, metavar="N",
                        help="/pause rounds against a PBX that never answers; each takes "
                             "about PBX_TIMEOUT (default 3)")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.rounds < 1 or args.silent_rounds < 0:
        return cli.fail("--rounds must be at least 1 and --silent-rounds at least 0",
                        EXIT_USAGE)
    started = time.monotonic()
    quiet_logs()
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        certs = stack.enter_context(CertsServer())
        sink = stack.enter_context(chat.SlackSink())
        settings = doors_settings(cli.settings, db, certs.certs_url, sink.api_url)
        runtime = build_runtime(settings)
        stack.callback(runtime.close)
        chat.prepare_team(runtime.services)
        app = create_app(settings, runtime.services)
        stack.callback(close_slack, app)
        header(cli.out, "switchboard bench doors: server-side latency of each door and "
                        "command (in-process)", db.description,
               f"rounds: {args.rounds} per line; tokens, signatures and requests made before "
               "timing; timed: the app's WSGI call (HTTP) or the dispatcher (console)")
        try:
            measure(cli.out, runtime, app, sink, args.rounds, args.silent_rounds)
        except BenchFailed as exc:
            return cli.fail(f"bench doors: {exc}")
    footer(cli.out, started)
    return EXIT_OK


def doors_settings(base: Settings, database: BenchDatabase, certs_url: str,
                   slack_api_url: str) -> Settings:
    """``bench_settings`` with the doors pointed at the bench's certificates and Slack."""
    env = chat.chat_env(certs_url, slack_api_url)
    return bench_settings(base, database).replace(
        google_chat_auth_mode=env["GOOGLE_CHAT_AUTH_MODE"],
        google_chat_audience=env["GOOGLE_CHAT_AUDIENCE"],
        google_chat_certs_url=env["GOOGLE_CHAT_CERTS_URL"], google_chat_addon_email="",
        slack_signing_secret=env["SLACK_SIGNING_SECRET"],
        slack_bot_token=env["SLACK_BOT_TOKEN"], slack_api_url=env["SLACK_API_URL"])


def close_slack(app: Flask) -> None:
    door = app.extensions.get("switchboard.slack")
    if door is not None:
        door.close(timeout=5)


def measure(out: TextIO, runtime: Runtime, app: Flask, sink: chat.SlackSink, rounds: int,
            silent_rounds: int) -> None:
    dispatcher = runtime.dispatcher
    members = len(runtime.services.pbx.queue_status())

    def console(key: str, text: str) -> None:
        result = say(dispatcher, key, text)
        if not result.ok:
            raise BenchFailed(f"console {text!r} as {key}: {result.outcome}: {result.reply.text}")

    console("carla", "/queue")
    line(out, f"console /queue ({members} members)",
         timed(lambda: console("carla", "/queue"), rounds))

    def pause_resume() -> None:
        console(chat.ALICE, "/pause lunch")
        console(chat.ALICE, "/resume")

    line(out, "console /pause lunch + /resume (sim PBX)", timed(pause_resume, rounds))

    for text, expect in (("/whoami", "You are "), ("/queue", "Queue ")):
        bodies = chat.google_bodies(text)
        tokens = chat.google_tokens(WARM_UP + rounds)
        environs = [environ("/chat/google", bodies(n), chat.google_headers(token))
                    for n, token in enumerate(tokens)]
        forged = environ("/chat/google", bodies(-1), chat.google_headers(forge(tokens[0])))
        line(out, f"POST /chat/google {text} (signed)", http(app, environs, expect, forged))

    for text, expect in (("whoami", "You are "), ("queue", "Queue ")):
        bodies = chat.slack_bodies(text, sink.response_url)
        now = int(time.time())
        environs = [environ("/slack/events", body, chat.slack_headers(body, now))
                    for body in map(bodies, range(WARM_UP + rounds))]
        forged = environ("/slack/events", bodies(-1), {
            **chat.slack_headers(bodies(-1), now), "X-Slack-Signature": "v0=" + "0" * 64})
        late = sink.late_answers
        samples = http(app, environs, expect, forged)
        line(out, f"POST /slack/events /switchboard {text}", samples, target=3.0)
        if sink.late_answers > late:
            out.write(f"  {sink.late_answers - late} answers missed the acknowledgement "
                      "and went through response_url\n")

    if silent_rounds:
        silent_pbx(out, runtime, silent_rounds)
    outbox(out, runtime, rounds)


def line(out: TextIO, name: str, samples: list[float], target: float | None = None) -> None:
    out.write(latency_line(name, samples, target) + "\n")
    out.flush()


# --------------------------------------------------------------------------- HTTP doors


def environ(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A WSGI environment for one POST, as a server would hand it to the app."""
    headers = dict(headers)
    content_type = headers.pop("Content-Type")
    builder = EnvironBuilder(path=path, method="POST", data=body, headers=list(headers.items()),
                             content_type=content_type)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def forge(token: str) -> str:
    """The token with the first character of its signature changed."""
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def call(app: Flask, environ: dict[str, Any]) -> tuple[int, bytes]:
    """Run the app on one environment, as gunicorn does: status and whole body."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], Any]:
        statuses.append(status)
        return lambda data: None

    chunks: Iterable[bytes] = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return int(statuses[0].split(" ", 1)[0]), body


def http(app: Flask, environs: list[dict[str, Any]], expect: str,
         forged: dict[str, Any]) -> list[float]:
    """Check that ``forged`` (a bad signature) is refused, warm up, then time each remaining
    environment's call; every answer must be a 200, the warm-up ones saying ``expect``."""
    status, _ = call(app, forged)
    if status != 401:
        raise BenchFailed(f"a forged {forged['PATH_INFO']} request was answered {status}, "
                          "not 401: the door is not verifying its callers")
    for warm in environs[:WARM_UP]:
        status, body = call(app, warm)
        if status != 200 or expect.encode() not in body:
            raise BenchFailed(f"{warm['PATH_INFO']} answered {status}: {body[:300]!r}")
    samples, statuses = [], []
    for env in environs[WARM_UP:]:
        started = time.perf_counter()
        status, _ = call(app, env)
        samples.append(time.perf_counter() - started)
        statuses.append(status)
    wrong = [s for s in statuses if s != 200]
    if wrong:
        raise BenchFailed(f"{len(wrong)} of {len(statuses)} requests were not answered 200 "
                          f"(first: {wrong[0]})")
    return samples


# --------------------------------------------------------------------------- the rest


def silent_pbx(out: TextIO, runtime: Runtime, rounds: int) -> None:
    """/pause against an Areavoip server that accepts the connection and never answers."""
    timeout = runtime.settings.pbx_timeout
    server = LocalServer(lambda request: server.hang())
    with server:
        pbx = AreavoipPbx(server.url + "/pbx/proxyapi.php", "bench-key", "bench", "support",
                          timezone=runtime.settings.timezone, timeout=timeout)
        silent = Dispatcher(COMMANDS, dataclasses.replace(runtime.services, pbx=pbx))

        def unanswered() -> None:
            result = say(silent, "bruno", "/pause lunch")
            if result.outcome != "failed":
                raise BenchFailed(f"/pause with a silent PBX answered {result.outcome}: "
                                  f"{result.reply.text}")

        line(out, f"/pause, PBX silent (PBX_TIMEOUT={timeout:g} s)", timed(unanswered, rounds),
             target=timeout + 1)


def outbox(out: TextIO, runtime: Runtime, count: int) -> None:
    """Deliver ``count`` console announcements (queued first, untimed)."""
    for n in range(count):
        result = say(runtime.dispatcher, "carla", f"/announce bench {n}")
        if not result.ok:
            raise BenchFailed(f"/announce: {result.outcome}: {result.reply.text}")
    services = runtime.services
    worker = build_worker(runtime.settings, services.sessions, services.clock,
                          console_sink=lambda target, reply: None)
    started = time.perf_counter()
    delivered = 0
    try:
        while delivered < count:
            sent = worker.deliver_due(limit=count).sent
            if not sent:
                raise BenchFailed(f"the outbox stopped delivering after {delivered} messages")
            delivered += sent
    finally:
        worker.stop()
    elapsed = time.perf_counter() - started
    out.write(f"{'outbox: console messages delivered':<46} n={delivered:<5} "
              f"{delivered / elapsed:8.0f} messages/s\n")
