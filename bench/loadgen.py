"""A load generator for the production entrypoint: gunicorn as ``app.yaml`` starts it,
driven over raw HTTP/1.1 keep-alive connections from one asyncio loop.

    with Gunicorn({"DATABASE_URL": url}) as server:
        health = closed_loop(server.address, constant(Request("GET", "/healthz")),
                             clients=50, seconds=20, name="/healthz")
        slots = open_loop(server.address, lambda i: Request("GET", f"/slots?n={i}"),
                          rate=100, seconds=20, name="GET /slots")
    print_runs([health, slots], floor=health, out=sys.stdout)

- ``Gunicorn`` (``bench.server``) starts the entrypoint of ``app.yaml`` with its worker
  and thread options, on a socket of its own on 127.0.0.1, and waits for ``/healthz``.
- Requests go out over ``bench.http_client``: prebuilt bytes on keep-alive connections.
- ``closed_loop``: N clients, each sending its next request when the last one is answered
  (throughput). ``open_loop``: requests start at a fixed arrival rate whatever the server
  does (latency); each latency counts from the request's scheduled start, so a server that
  falls behind is not flattered by requests that were sent late.
- A request factory gets the request's number and returns a ``Request``; it must be cheap
  (build tokens and signatures before the run, vary only ids). ``check`` decides whether
  an answer counts as a success (default: status 200).
- Each ``Run`` also records the CPU the load generator itself used, and, on Linux, the CPU
  of the server's processes, so a reader can see which side was the bottleneck.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from bench.http_client import (
    Check,
    Connection,
    ConnectionLost,
    Request,
    RequestFactory,
    constant,
    status_ok,
)
from bench.report import percentile
from bench.server import Gunicorn, entrypoint, gunicorn_arguments, process_tree_cpu

__all__ = ["Check", "Gunicorn", "Request", "RequestFactory", "Run", "closed_loop", "constant",
           "entrypoint", "gunicorn_arguments", "open_loop", "print_runs", "status_ok"]

REQUEST_TIMEOUT = 30.0  # seconds before a request counts as an error


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    """One endpoint under one kind of load."""

    name: str
    mode: str
    elapsed: float = 0.0  # seconds, first request sent → last answer read
    latencies: list[float] = field(default_factory=list)  # seconds, successes only
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0  # CPU seconds the load generator used
    server_cpu: float | None = None  # CPU seconds of the server's processes, when known

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in seconds (nearest rank)."""
        return percentile(self.latencies, p) if self.latencies else float("nan")

    def record(self, started: float, finished: float, outcome: tuple[int, bytes] | str,
               check: Check) -> None:
        if isinstance(outcome, str):
            self.errors[outcome] += 1
        elif check(*outcome):
            self.latencies.append(finished - started)
        else:
            status = outcome[0]
            self.errors[f"HTTP {status}" + (", unexpected body" if status == 200 else "")] += 1


async def _attempt(connection: Connection, raw: bytes) -> tuple[int, bytes] | str:
    try:
        return await asyncio.wait_for(connection.exchange(raw), REQUEST_TIMEOUT)
    except TimeoutError:
        connection.close()
        return "timeout"
    except (ConnectionLost, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        connection.close()
        return type(exc).__name__


def closed_loop(address: tuple[str, int], factory: RequestFactory, *, clients: int,
                seconds: float, name: str = "", check: Check = status_ok,
                server_pid: int | None = None, limit: int | None = None) -> Run:
    """``clients`` connections, each sending its next request as soon as it has the last
    answer, for ``seconds`` (or until ``limit`` requests were sent): the throughput the
    server sustains."""
    return _measure(Run(name, f"closed, {clients} clients"), server_pid, lambda run: _closed(
        run, address, factory, clients, seconds, check, limit))


def open_loop(address: tuple[str, int], factory: RequestFactory, *, rate: float,
              seconds: float, name: str = "", check: Check = status_ok,
              server_pid: int | None = None) -> Run:
    """Requests starting at ``rate`` per second for ``seconds``, whether or not earlier
    ones were answered (new connections are opened when none is idle): the latency a
    steady arrival of requests sees."""
    return _measure(Run(name, f"open, {rate:g}/s"), server_pid, lambda run: _open(
        run, address, factory, rate, seconds, check))


def _measure(run: Run, server_pid: int | None,
             body: Callable[[Run], Coroutine[Any, Any, None]]) -> Run:
    server_before = process_tree_cpu(server_pid) if server_pid else None
    cpu_before = time.process_time()
    asyncio.run(body(run))
    run.client_cpu = time.process_time() - cpu_before
    if server_before is not None and server_pid:
        after = process_tree_cpu(server_pid)
        run.server_cpu = None if after is None else after - server_before
    return run


async def _closed(run: Run, address: tuple[str, int], factory: RequestFactory, clients: int,
                  seconds: float, check: Check, limit: int | None) -> None:
    host = f"{address[0]}:{address[1]}"
    connections = [Connection(*address) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))  # before the clock starts
    numbers = iter(range(sys.maxsize if limit is None else limit))
    started = time.perf_counter()
    deadline = started + seconds

    async def client(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            number = next(numbers, None)
            if number is None:
                break
            raw = factory(number).encode(host)
            sent = time.perf_counter()
            outcome = await _attempt(connection, raw)
            run.record(sent, time.perf_counter(), outcome, check)
        connection.close()

    await asyncio.gather(*(client(c) for c in connections))
    run.elapsed = time.perf_counter() - started


async def _open(run: Run, address: tuple[str, int], factory: RequestFactory, rate: float,
                seconds: float, check: Check) -> None:
    host = f"{address[0]}:{address[1]}"
    idle: list[Connection] = [Connection(*address) for _ in range(4)]
    await asyncio.gather(*(c.open() for c in idle))
    loop = asyncio.get_running_loop()
    total = max(1, round(rate * seconds))

    async def one(number: int, due: float) -> None:
        raw = factory(number).encode(host)
        while idle and not idle[-1].usable:
            idle.pop().close()
        connection = idle.pop() if idle else Connection(*address)
        outcome = await _attempt(connection, raw)
        run.record(due, loop.time(), outcome, check)
        if connection.usable:
            idle.append(connection)  # last in, first out: the warmest connection next

    tasks = []
    start = loop.time() + 0.01
    for number in range(total):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(number, due)))
    await asyncio.gather(*tasks)
    run.elapsed = loop.time() - start
    for connection in idle:
        connection.close()


# --------------------------------------------------------------------------- printing


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def print_runs(runs: Sequence[Run], out: TextIO, *, floor: Run | None = None) -> None:
    """One line per run: rate, share of the floor's rate (closed loop), p50/p99/max, errors,
    and the CPU each side used (as a share of one core)."""
    width = max([len(run.name) for run in runs] + [len("endpoint")])
    out.write(f"{'endpoint':<{width}} {'load':<18} {'req/s':>8} {'of floor':>8} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'client CPU':>10} "
              f"{'server CPU':>10}\n")
    for run in runs:
        share = (f"{run.rate / floor.rate:8.1%}" if floor and floor.rate
                 and run.mode.startswith("closed") else f"{'':>8}")
        top = max(run.latencies) if run.latencies else float("nan")
        server = (f"{run.server_cpu / run.elapsed:10.0%}"
                  if run.server_cpu is not None and run.elapsed else f"{'n/a':>10}")
        client = f"{run.client_cpu / run.elapsed:10.0%}" if run.elapsed else f"{'n/a':>10}"
        out.write(f"{run.name:<{width}} {run.mode:<18} {run.rate:8.1f} {share} "
                  f"{_ms(run.percentile(50))} {_ms(run.percentile(99))} {_ms(top)} "
                  f"{run.failed:7d} {client} {server}\n")
        for reason, count in run.errors.most_common(3):
            out.write(f"{'':<{width}}   error: {reason} × {count}\n")
    out.flush()

