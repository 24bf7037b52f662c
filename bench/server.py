"""The production entrypoint for the benchmarks: gunicorn as ``app.yaml`` starts it.

``Gunicorn`` reads the ``entrypoint`` of app.yaml (its worker and thread options), binds a
socket of its own on 127.0.0.1 port 0 and hands it to gunicorn (``--bind fd://N``), so
there is no race for a free port; it waits for ``/healthz`` before returning and stops the
server (and removes its log) on exit. ``process_tree_cpu`` tells how much CPU a process and
its children used, so a benchmark can say which side was busy.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from bench.http_client import Request
from bot.settings import APP_YAML, PROJECT_ROOT

START_TIMEOUT = 60.0  # seconds gunicorn may take to answer its first /healthz


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
        # A key of its own for this run unless one is given: the app refuses to serve
        # without one (and a bench's links are never followed).
        env = {"SECRET_KEY": secrets.token_urlsafe(32), **os.environ,
               "PORT": str(self.address[1]), **self.env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
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
