"""``switchboard bench ivr``: the IVR API under gunicorn, as app.yaml starts it.

Prepared first (not timed): a database of its own (SQLite in a temporary directory, or
``--database-url``), migrated, with roomy callback capacity for queue ``bench`` and an
IVR key. Then gunicorn serves ``bot.app:create_app()`` with the entrypoint options of
app.yaml (workers, threads) on 127.0.0.1, and ``closed_loop`` drives each endpoint with
``--clients`` concurrent keep-alive connections for ``--seconds``:

- ``GET /healthz``: the bare endpoint of the same app, for reference;
- ``GET /ivr/v1/slots?queue=bench&date=…``: key check, rate count, capacity of 3 days;
- ``POST /ivr/v1/callbacks``: a booking per request (a new number each time).

It prints throughput and p50/p99 latency per endpoint and checks them against the
issue's targets. ``closed_loop`` is a small function of its own so the shared load
generator (``bot/bench`` on the bench branch) can replace it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml

from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers
from bot.settings import APP_YAML, PROJECT_ROOT
from integrations.clock import SystemClock
from store import ivr_keys, migrate
from store.callback_capacity_io import import_capacity
from store.db import make_engine, make_sessionmaker, transaction

# A working day of 20 intervals (09:00–19:00) with room for every booking the run makes.
_ROOMY = ", ".join(f'"{h:02d}:{m:02d}": 10000' for h in range(9, 19) for m in (0, 30))
CAPACITY = f"""\
templates:
  roomy: {{{_ROOMY}}}
weekly:
  always: {{mon: roomy, tue: roomy, wed: roomy, thu: roomy, fri: roomy, sat: roomy, sun: roomy}}
queues:
  bench: {{schedule: always}}
"""
TARGETS = {"slots": 25.0, "callbacks": 50.0}  # p99 in ms
Factory = Callable[[int], bytes]  # request number → the request's bytes


def add_parser(sub: Subparsers) -> None:
    bench = sub.add_parser("ivr", help="IVR API slots and bookings under gunicorn")
    bench.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    bench.add_argument("--seconds", type=float, default=10.0,
                       help="seconds each endpoint is driven (10)")
    bench.add_argument("--database-url", default="",
                       help="a PostgreSQL database to use (default: a temporary SQLite)")
    bench.set_defaults(handler=run)


# --------------------------------------------------------------------------- the load loop


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of the expected answers
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


def _exchange(sock: socket.socket, data: bytes, buffer: bytearray) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection; its status and body."""
    sock.sendall(data)
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        rest += chunk
    buffer[:] = rest[length:]
    return status, rest[:length]


def closed_loop(address: tuple[str, int], factory: Factory, expected: set[int], *,
                clients: int, seconds: float, name: str) -> Run:
    """``clients`` connections, each sending its next request when the last is answered,
    until ``seconds`` have passed. Bounded in time; stops by itself."""
    run = Run(name)
    numbers = itertools.count()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        sock = socket.create_connection(address, timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = bytearray()
        mine: list[float] = []
        failed: dict[str, int] = {}
        start.wait()
        try:
            while time.perf_counter() < deadline[0]:
                with lock:
                    n = next(numbers)
                data = factory(n)
                began = time.perf_counter()
                try:
                    status, _ = _exchange(sock, data, buffer)
                except (OSError, ValueError) as exc:
                    failed[type(exc).__name__] = failed.get(type(exc).__name__, 0) + 1
                    sock.close()
                    sock = socket.create_connection(address, timeout=30)
                    buffer.clear()
                    continue
                if status in expected:
                    mine.append(time.perf_counter() - began)
                else:
                    failed[str(status)] = failed.get(str(status), 0) + 1
        finally:
            sock.close()
            with lock:
                run.latencies += mine
                for key, count in failed.items():
                    run.failures[key] = run.failures.get(key, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    run.seconds = time.perf_counter() - began
    return run


# --------------------------------------------------------------------------- the server


def _request(method: str, path: str, key: str = "", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def gunicorn_command(port: int) -> list[str]:
    """app.yaml's entrypoint, bound to 127.0.0.1:PORT, run by this Python."""
    words = shlex.split((yaml.safe_load(APP_YAML.read_text()) or {})["entrypoint"])
    if Path(words[0]).name != "gunicorn":
        raise SystemExit(f"app.yaml's entrypoint is not gunicorn: {' '.join(words)}")
    args, rest = [], iter(words[1:])
    for word in rest:
        if word in ("-b", "--bind"):
            next(rest, None)
            continue
        if not word.startswith(("-b=", "--bind=")):
            args.append(word)
    return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args]


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = gunicorn_command(port)
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if _exchange(sock, _request("GET", "/healthz"), bytearray())[0] == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start:\n" + log.read_text()[-2000:])
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(url: str) -> str:
    """Migrate, load the capacity, create a key (all before anything is timed)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as session:
            import_capacity(session, CAPACITY)
            return ivr_keys.create(session, f"bench-{int(time.time())}",
                                   SystemClock().now())
    finally:
        engine.dispose()


def run(cli: Cli, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        key = prepare(url)
        env = {**os.environ, "DATABASE_URL": url, "BACKGROUND_JOBS": "false",
               "LOG_LEVEL": "warning", "IVR_RATE_PER_MINUTE": "1000000",
               "CALLBACK_HORIZON_DAYS": "7"}
        day = (SystemClock(cli.settings.timezone).now() + timedelta(days=1)).date()
        dates = "&".join(f"date={day + timedelta(days=n)}" for n in range(3))
        slots = _request("GET", f"/ivr/v1/slots?queue=bench&{dates}", key)
        bare = _request("GET", "/healthz")
        # Spread over 10 intervals, as real callers spread over the day.

        def booking(n: int) -> bytes:
            when = f"{day}T{9 + n % 10:02d}:00:00"
            body = json.dumps({"phone": f"+346{n % 10**8:08d}", "when": when,
                               "queue": "bench"}).encode()
            return _request("POST", "/ivr/v1/callbacks", key, body)

        cli.out.write(f"switchboard bench ivr: gunicorn {' '.join(gunicorn_command(0)[5:])} on "
                      f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, "
                      f"{args.clients} clients, {args.seconds:g} s per endpoint\n")
        cli.out.flush()
        with gunicorn(env, Path(tmp) / "gunicorn.log") as address:
            closed_loop(address, lambda n: bare, {200}, clients=args.clients, seconds=1,
                        name="warm-up")
            runs = [
                closed_loop(address, lambda n: bare, {200}, clients=args.clients,
                            seconds=args.seconds, name="GET /healthz (bare)"),
                closed_loop(address, lambda n: slots, {200}, clients=args.clients,
                            seconds=args.seconds, name="GET /ivr/v1/slots (3 dates)"),
                closed_loop(address, booking, {201}, clients=args.clients,
                            seconds=args.seconds, name="POST /ivr/v1/callbacks"),
            ]
    return report(cli, runs)


def report(cli: Cli, runs: list[Run]) -> int:
    for r in runs:
        failed = ", ".join(f"{k}×{v}" for k, v in sorted(r.failures.items())) or "none"
        cli.out.write(f"{r.name:<30} {len(r.latencies):>6} ok  {r.rate:8.0f} req/s  "
                      f"p50 {r.percentile(0.50):7.1f} ms  p99 {r.percentile(0.99):7.1f} ms  "
                      f"failed: {failed}\n")
    bare, slots, booking = runs
    checks = [
        (f"slots p99 under {TARGETS['slots']:g} ms", slots.percentile(0.99) < TARGETS["slots"]),
        (f"booking p99 under {TARGETS['callbacks']:g} ms",
         booking.percentile(0.99) < TARGETS["callbacks"]),
        ("slots throughput at least half the bare endpoint's", slots.rate >= bare.rate / 2),
    ]
    for label, met in checks:
        cli.out.write(f"target: {label}: {'met' if met else 'MISSED'}\n")
    return EXIT_OK if all(not r.failures for r in runs) else EXIT_FAILED
