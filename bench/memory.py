"""``switchboard bench memory``: how much memory a gunicorn worker holds.

gunicorn starts as ``app.yaml``'s entrypoint says (``--workers`` overrides it), with the
background scheduler on as in production (simulated callers off), on a database of its
own (``bench.database``) with the demo team. The resident set (``VmRSS``) and the
proportional share (``Pss``: pages shared with the master or other workers counted
fractionally) of the master and each worker are read from ``/proc`` at three moments:

1. just after the first ``/healthz`` answered (started);
2. idle after ``--requests`` requests of every kind a worker serves often (``/healthz``,
   ``/readyz``, signed Slack commands ``/switchboard queue`` and ``whoami``, ``/metrics``);
3. after the day's chart was drawn (``/charts/…png``: matplotlib loaded on first use).

The issue's target: an idle worker at most 150 MB RSS (App Engine's F1 class has 384 MB).
The planner's peak (a plan of 200 people) is not measured: the planner is not in this
build. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import chat
from bench.database import bench_database
from bench.report import footer, header, quiet_logs
from bench.server import Gunicorn
from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.runtime import build_runtime
from commands import links
from commands.stats.card import CHART_PURPOSE
from integrations.clock import SystemClock

IDLE_TARGET_MB = 150.0
SECRET = "bench-memory-key-" + "x" * 24


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("memory", help="resident memory of idle gunicorn workers (app.yaml "
                                           "entrypoint), before and after use")
    parser.add_argument("--requests", type=int, default=300, metavar="N",
                        help="requests sent before the idle reading (default 300)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="gunicorn workers (default: the app.yaml entrypoint's)")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Memory:
    pid: int
    rss_mb: float
    pss_mb: float | None


def read_memory(pid: int) -> Memory | None:
    """VmRSS and Pss of a process, in MB (Pss None where smaps_rollup is missing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmRSS:")), None)
    if rss is None:
        return None
    pss: float | None = None
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        pss = next(int(line.split()[1]) / 1024 for line in rollup.splitlines()
                   if line.startswith("Pss:"))
    except (OSError, StopIteration):
        pss = None
    return Memory(pid, rss / 1024, pss)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def reading(server: Gunicorn, moment: str) -> list[str]:
    assert server.pid is not None
    lines = []
    for role, pid in [("master", server.pid)] + [("worker", p) for p in children(server.pid)]:
        memory = read_memory(pid)
        if memory is None:
            continue
        pss = f"  PSS {memory.pss_mb:6.1f} MB" if memory.pss_mb is not None else ""
        lines.append(f"  {moment:<22} {role:<6} {pid:>7}: RSS {memory.rss_mb:6.1f} MB{pss}")
    return lines


def worker_rss(server: Gunicorn) -> list[float]:
    assert server.pid is not None
    return [m.rss_mb for p in children(server.pid) if (m := read_memory(p)) is not None]


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.requests < 0 or (args.workers is not None and args.workers < 1):
        return cli.fail("--requests must be 0 or more and --workers at least 1", EXIT_USAGE)
    if not Path("/proc/self/status").exists():
        return cli.fail("bench memory reads /proc: Linux only")
    quiet_logs()
    started = time.monotonic()
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        sink = stack.enter_context(chat.SlackSink())
        settings = cli.settings.replace(database_url=db.url, secret_key=SECRET)
        runtime = build_runtime(settings)
        try:
            chat.prepare_team(runtime.services)
        finally:
            runtime.close()
        env = {"DATABASE_URL": db.url, "BACKGROUND_JOBS": "true", "PBX_BACKEND": "sim",
               "SIM_TRAFFIC": "false", "TEAM_SPACE": "", "COORDINATORS_SPACE": "",
               "SECRET_KEY": SECRET, "METRICS_TOKEN": "bench-metrics",
               **chat.chat_env("http://127.0.0.1:1/certs", sink.api_url)}
        try:
            server = stack.enter_context(Gunicorn(env, workers=args.workers))
        except (RuntimeError, ValueError, OSError) as exc:
            return cli.fail(f"bench memory: {exc}")
        header(cli.out, "switchboard bench memory: resident memory of gunicorn workers",
               db.description,
               f"server:   {' '.join(server.command[2:])} (background jobs on)",
               f"use:      {args.requests} requests (/healthz, /readyz, /metrics, Slack "
               "/switchboard queue and whoami), then the day's chart")
        lines = reading(server, "started")
        with httpx.Client(base_url=server.url, timeout=30) as client:
            bodies = {text: chat.slack_bodies(text, sink.response_url)
                      for text in ("queue", "whoami")}
            for number in range(args.requests):
                kind = number % 5
                if kind == 0:
                    answer = client.get("/healthz")
                elif kind == 1:
                    answer = client.get("/readyz")
                elif kind == 2:
                    answer = client.get("/metrics",
                                        headers={"Authorization": "Bearer bench-metrics"})
                else:
                    body = bodies["queue" if kind == 3 else "whoami"](number)
                    answer = client.post("/slack/events", content=body,
                                         headers=chat.slack_headers(body))
                if answer.status_code != 200:
                    return cli.fail(f"bench memory: {answer.request.url.path} answered "
                                    f"{answer.status_code}\n{server.log_tail()}")
            lines += reading(server, f"idle, {args.requests} requests")
            idle = worker_rss(server)
            today = SystemClock(settings.timezone).now().date()
            token = links.token(settings, CHART_PURPOSE, {"d": today.isoformat()})
            workers = len(idle) or 1
            for _ in range(workers * 3):  # each worker likely draws one
                chart = client.get(f"/charts/{token}.png")
                if chart.status_code != 200:
                    return cli.fail(f"bench memory: the chart answered {chart.status_code}\n"
                                    f"{server.log_tail()}")
            lines += reading(server, "after a chart")
        cli.out.write("\n".join(lines) + "\n")
        top = max(idle, default=0.0)
        verdict = "met" if idle and top <= IDLE_TARGET_MB else "MISSED"
        cli.out.write(f"  target: idle worker ≤ {IDLE_TARGET_MB:g} MB RSS: {verdict} "
                      f"(largest idle worker {top:.1f} MB)\n")
        cli.out.write("  planner peak (a plan of 200 people) ≤ 350 MB: not measured, the "
                      "planner is not in this build\n")
    footer(cli.out, started)
    return EXIT_OK if verdict == "met" else EXIT_FAILED
