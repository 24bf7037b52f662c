"""A load generator for the production entrypoint: gunicorn as ``app.yaml`` starts it,
driven over raw HTTP/1.1 keep-alive connections from one asyncio loop.

    with Gunicorn({"DATABASE_URL": url}) as server:
        health = closed_loop(server.address, constant(Request("GET", "/healthz")),
                             clients=50, seconds=20, name="/healthz")
        slots = open_loop(server.address, lambda i: Request("GET", f"/slots?n={i}"),
                          rate=100, seconds=20, name="GET /slots")
    print_runs([health, slots], floor=health, out=sys.stdout)

- ``Gunicorn`` reads the entrypoint of ``app.yaml`` (its worker and thread options), binds a
  socket of its own on 127.0.0.1 port 0 and hands it to gunicorn (``--bind fd://N``), so
  there is no race for a free port; it waits for ``/healthz`` before returning.
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
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.settings import APP_YAML, PROJECT_ROOT

REQUEST_TIMEOUT = 30.0  # seconds before a request counts as an error
START_TIMEOUT = 60.0  # seconds gunicorn may take to answer its first /healthz


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


RequestFactory = Callable[[int], Request]
Check = Callable[[int, bytes], bool]  # (status, body) → does it count as a success?


def constant(request: Request) -> RequestFactory:
    """The same request every time."""
    return lambda _: request


def status_ok(status: int, _body: bytes) -> bool:
    return status == 200


class ConnectionLost(Exception):
    """The server closed the connection before answering anything."""


class Connection:
    """One HTTP/1.1 keep-alive connection; answers are read by Content-Length or chunks."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @property
    def usable(self) -> bool:
        return self.reader is not None and not self.reader.at_eof()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer; reconnect once if the server had closed
        the idle connection before reading anything of it (what every client does)."""
        reused = self.usable
        if not reused:
            await self.open()
        try:
            return await self._exchange(raw)
        except ConnectionLost:
            if not reused:
                raise
        self.close()
        await self.open()
        return await self._exchange(raw)

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(raw)
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        status_line, _, header_block = head.decode("latin-1").partition("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_block.split("\r\n"):
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks()
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close" or status_line.startswith("HTTP/1.0"):
            self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


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
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * p // 100))  # ceil(n·p/100), at least 1
        return ordered[int(rank) - 1]

    def record(self, started: float, finished: float, outcome: tuple[int, bytes] | str,
               check: Check) -> None:
        if isinstance(outcome, str):
            self.errors[outcome] += 1
        elif check(*outcome):
            self.latencies.append(finished - started)
        else:
            self.errors[f"HTTP {outcome[0]}"] += 1


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
                server_pid: int | None = None) -> Run:
    """``clients`` connections, each sending its next request as soon as it has the last
    answer, for ``seconds``: the throughput the server sustains."""
    return _measure(Run(name, f"closed, {clients} clients"), server_pid, lambda run: _closed(
        run, address, factory, clients, seconds, check))


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
                  seconds: float, check: Check) -> None:
    host = f"{address[0]}:{address[1]}"
    connections = [Connection(*address) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))  # before the clock starts
    numbers = iter(range(sys.maxsize))
    started = time.perf_counter()
    deadline = started + seconds

    async def client(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            raw = factory(next(numbers)).encode(host)
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


def process_tree_cpu(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` and its children (Linux /proc), else None."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}  # pid → (parent, cpu seconds)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    if pid not in stats:
        return None
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, (pp, _) in stats.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(stats[p][1] for p in tree)


# --------------------------------------------------------------------------- the server


def entrypoint(app_yaml: Path = APP_YAML) -> list[str]:
    """The ``entrypoint`` command line of app.yaml, split into words."""
    data = yaml.safe_load(app_yaml.read_text(encoding="utf-8")) or {}
    command = data.get("entrypoint")
    if not isinstance(command, str) or not command.strip():
        raise ValueError(f"{app_yaml} has no entrypoint")
    return shlex.split(command)


def gunicorn_arguments(words: Sequence[str], fd: int, *, workers: int | None = None,
                       threads: int | None = None) -> list[str]:
    """gunicorn's arguments from an entrypoint, bound to an inherited socket instead of
    ``$PORT``; ``workers``/``threads`` replace the entrypoint's own when given."""
    if not words or Path(words[0]).name != "gunicorn":
        raise ValueError(f"the entrypoint is not gunicorn: {' '.join(words)!r}")
    replace = {"--workers": workers, "-w": workers, "--threads": threads}
    args: list[str] = []
    rest = iter(words[1:])
    for word in rest:
        name, eq, _ = word.partition("=")
        if name in ("-b", "--bind"):
            if not eq:
                next(rest, None)
            continue
        if name in replace and replace[name] is not None:
            args += [name, str(replace[name])]
            if not eq:
                next(rest, None)
            continue
        args.append(word)
    present = set(args)
    if workers is not None and not present & {"--workers", "-w"}:
        args[:0] = ["--workers", str(workers)]
    if threads is not None and "--threads" not in present:
        args[:0] = ["--threads", str(threads)]
    return ["--bind", f"fd://{fd}", *args]


class Gunicorn:
    """The app under gunicorn in a child process, on 127.0.0.1 and a port of its own."""

    def __init__(self, env: Mapping[str, str], *, workers: int | None = None,
                 threads: int | None = None, app_yaml: Path = APP_YAML) -> None:
        self.env = dict(env)
        self.workers, self.threads = workers, threads
        self.app_yaml = app_yaml
        self.process: subprocess.Popen[bytes] | None = None
        self.address = ("127.0.0.1", 0)
        self.command: list[str] = []
        self._logdir = tempfile.TemporaryDirectory(prefix="switchboard-bench-")
        self.log_path = Path(self._logdir.name) / "gunicorn.log"

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> Gunicorn:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(2048)
        self.address = ("127.0.0.1", int(listener.getsockname()[1]))
        fd = listener.fileno()
        os.set_inheritable(fd, True)
        args = gunicorn_arguments(entrypoint(self.app_yaml), fd, workers=self.workers,
                                  threads=self.threads)
        self.command = [sys.executable, "-m", "gunicorn", *args]
        env = {**os.environ, "PORT": str(self.address[1]), **self.env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and args
                self.command, cwd=PROJECT_ROOT, env=env, pass_fds=(fd,),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        listener.close()  # gunicorn holds its own copy
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                with socket.create_connection(self.address, timeout=1) as probe:
                    probe.sendall(Request("GET", "/healthz", {"Connection": "close"})
                                  .encode(f"{self.address[0]}:{self.address[1]}"))
                    if probe.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT:g} s:\n"
                           + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._logdir.cleanup()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- printing


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def print_runs(runs: Sequence[Run], out: TextIO, *, floor: Run | None = None) -> None:
    """One line per run: rate, share of the floor's rate (closed loop), p50/p99/max, errors,
    and the CPU each side used (as a share of one core)."""
    out.write(f"{'endpoint':<34} {'load':<18} {'req/s':>8} {'of floor':>8} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'client CPU':>10} "
              f"{'server CPU':>10}\n")
    for run in runs:
        share = (f"{run.rate / floor.rate:8.1%}" if floor and floor.rate
                 and run.mode.startswith("closed") else f"{'':>8}")
        top = max(run.latencies) if run.latencies else float("nan")
        server = (f"{run.server_cpu / run.elapsed:10.0%}"
                  if run.server_cpu is not None and run.elapsed else f"{'n/a':>10}")
        client = f"{run.client_cpu / run.elapsed:10.0%}" if run.elapsed else f"{'n/a':>10}"
        out.write(f"{run.name:<34} {run.mode:<18} {run.rate:8.1f} {share} "
                  f"{_ms(run.percentile(50))} {_ms(run.percentile(99))} {_ms(top)} "
                  f"{run.failed:7d} {client} {server}\n")
        for reason, count in run.errors.most_common(3):
            out.write(f"{'':<34}   error: {reason} × {count}\n")
    out.flush()

