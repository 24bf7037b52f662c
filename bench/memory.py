"""``switchboard bench memory``: how much memory a gunicorn worker holds.

gunicorn starts as ``app.yaml``'s entrypoint says (``--workers`` overrides it), with the
background scheduler on as in production (simulated callers off), on a database of its
own (``bench.database``) with the demo team. The resident set (``VmRSS``) and the
proportional share (``Pss``: pages shared with the master or other workers counted
fractionally) of the master and each worker are read from ``/proc`` at three moments:

1. just after the first ``/healthz`` answered (started);
2. idle after ``--requests`` requests of every kind a worker serves often (``/healthz``,
   ``/readyz``, signed Slack commands ``/switchboard queue`` and ``whoami``, ``/metrics``);
3. after the day's chart was drawn (``/charts/…png``: matplotlib loaded on first use);
4. while a worker plans a week of 200 people (``--plan-people``) on 20 lines: bench plan's
   generated week is written into the database (its turns, people, loads, tables, rules,
   days off and fixed turns; the demo people keep no load), each worker's peak is reset
   (``clear_refs``), and a coordinator sends the signed Slack command ``/switchboard plan
   WEEK``: the worker that takes it solves in its background thread, as in production,
   until the draft is stored. The peak is the worker's ``VmHWM`` (the kernel's high-water
   mark of its resident set) from the reset to the draft, cross-checked by sampling
   ``VmRSS`` every 20 ms; with PLAN_APART (the default) the solve runs in a child of a
   fork server the worker starts, so the worker's children are sampled too, and the peak
   checked against the target is the worker's resident set plus its children's at the
   same moment, counted as proportional set sizes (PSS: a page shared by the fork server
   and its child counts once, split between them); then the planner's series is read back
   from ``/metrics``.

The issue's targets: an idle worker at most 150 MB RSS (App Engine's F1 class has 384 MB)
and at most 350 MB at the peak of a plan of 200 people. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import chat
from bench.database import bench_database
from bench.plan import generate, store_week
from bench.report import footer, header, quiet_logs
from bench.server import Gunicorn
from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.runtime import build_runtime
from bot.settings import Settings
from commands import links
from commands.stats.card import CHART_PURPOSE
from integrations.clock import SystemClock
from store.db import reading as read_store
from store.db import transaction
from store.shifts import planning
from store.team import people
from testing.processes import children_of

IDLE_TARGET_MB = 150.0
PEAK_TARGET_MB = 350.0
SECRET = "bench-memory-key-" + "x" * 24
PLAN_LINES = 20
PLAN_WEEK = date(2030, 2, 4)  # a Monday, five days without a holiday
PLAN_WAIT = 300.0  # seconds: the solver's 30 s limit (60 s wall backstop) and the rest
COORDINATOR, COORDINATOR_SLACK = "carla", "U0BENCHCARLA"
METRICS_TOKEN = "bench-metrics"


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("memory", help="resident memory of idle gunicorn workers (app.yaml "
                                           "entrypoint), before and after use")
    parser.add_argument("--requests", type=int, default=300, metavar="N",
                        help="requests sent before the idle reading (default 300)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="gunicorn workers (default: the app.yaml entrypoint's)")
    parser.add_argument("--plan-people", type=int, default=200, metavar="N",
                        help="people in the planned week (default 200; 0: no plan)")
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


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, …)."""
    found, frontier = [], [pid]
    while frontier:
        below = [c for p in frontier for c in children(p)]
        found += below
        frontier = below
    return found


def children(pid: int) -> list[int]:
    return sorted(children_of(pid))


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


def peak_mb(pid: int) -> float | None:
    """The process's resident high-water mark (VmHWM), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                 if line.startswith("VmHWM:")), None)


def reset_peak(pid: int) -> bool:
    """Start the process's VmHWM again from its current resident set (Linux ≥ 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def worker_rss(server: Gunicorn) -> list[float]:
    assert server.pid is not None
    return [m.rss_mb for p in children(server.pid) if (m := read_memory(p)) is not None]


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.requests < 0 or (args.workers is not None and args.workers < 1) \
            or args.plan_people < 0:
        return cli.fail("--requests and --plan-people must be 0 or more and --workers at "
                        "least 1", EXIT_USAGE)
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
               "SECRET_KEY": SECRET, "METRICS_TOKEN": METRICS_TOKEN,
               **chat.chat_env("http://127.0.0.1:1/certs", sink.api_url)}
        try:
            server = stack.enter_context(Gunicorn(env, workers=args.workers))
        except (RuntimeError, ValueError, OSError) as exc:
            return cli.fail(f"bench memory: {exc}")
        header(cli.out, "switchboard bench memory: resident memory of gunicorn workers",
               db.description,
               f"server:   {' '.join(server.command[2:])} (background jobs on)",
               f"use:      {args.requests} requests (/healthz, /readyz, /metrics, Slack "
               "/switchboard queue and whoami), then the day's chart"
               + (f", then a coordinator's /plan of {args.plan_people} people × "
                  f"{PLAN_LINES} lines" if args.plan_people else ""))
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
                                        headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
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
            plan: list[str] = []
            peak: float | None = None
            if args.plan_people:
                failed, plan, peak = plan_week(cli, server, client, sink, settings,
                                               args.plan_people)
                if failed:
                    return cli.fail(failed)
                lines += reading(server, "after the plan")
        cli.out.write("\n".join(lines) + "\n")
        if plan:
            cli.out.write("\n".join(plan) + "\n")
        top = max(idle, default=0.0)
        verdict = "met" if idle and top <= IDLE_TARGET_MB else "MISSED"
        cli.out.write(f"  target: idle worker ≤ {IDLE_TARGET_MB:g} MB RSS: {verdict} "
                      f"(largest idle worker {top:.1f} MB)\n")
        peak_verdict = "met"
        if peak is not None:
            peak_verdict = "met" if peak <= PEAK_TARGET_MB else "MISSED"
            cli.out.write(f"  target: a worker's peak (with its children) during a plan of "
                          f"{args.plan_people} "
                          f"people ≤ {PEAK_TARGET_MB:g} MB (its RSS; with its children, "
                          f"their PSS together): {peak_verdict} "
                          f"(peak {peak:.1f} MB)\n")
        else:
            cli.out.write("  planner peak: not measured (--plan-people 0)\n")
    footer(cli.out, started)
    return EXIT_OK if verdict == peak_verdict == "met" else EXIT_FAILED


def plan_week(cli: Cli, server: Gunicorn, client: httpx.Client, sink: chat.SlackSink,
              settings: Settings, size: int) -> tuple[str, list[str], float | None]:
    """A coordinator's chat ``/plan`` of a generated week of ``size`` people, taken by a
    worker: (a failure or "", the report's lines, the largest worker's peak RSS in MB)."""
    week = generate(size, PLAN_LINES)
    runtime = build_runtime(settings)
    sessions = runtime.services.sessions
    try:
        with transaction(sessions) as session:
            store_week(session, week, PLAN_WEEK, runtime.services.clock.now())
            coordinator = people.by_key(session, COORDINATOR)
            assert coordinator is not None, f"the demo team has no {COORDINATOR}"
            people.link_chat_id(session, coordinator, "slack", COORDINATOR_SLACK)
        assert server.pid is not None
        workers = children(server.pid)
        before = {pid: m.rss_mb for pid in workers if (m := read_memory(pid)) is not None}
        reset = all([reset_peak(pid) for pid in workers])
        body = chat.slack_bodies(f"plan {PLAN_WEEK:%Y-%m-%d}", sink.response_url,
                                 user_id=COORDINATOR_SLACK, user_name=COORDINATOR)(0)
        asked = time.monotonic()
        answer = client.post("/slack/events", content=body, headers=chat.slack_headers(body))
        if answer.status_code != 200 or "background" not in answer.text:
            return (f"bench memory: /plan answered {answer.status_code}: {answer.text[:200]}"
                    f"\n{server.log_tail()}", [], None)
        sampled = dict.fromkeys(workers, 0.0)
        together = dict.fromkeys(workers, 0.0)  # the worker plus its children, at once
        below = dict.fromkeys(workers, 0.0)  # its children alone (fork server, solver)
        summary = None
        checked = 0.0
        while summary is None and time.monotonic() - asked < PLAN_WAIT:
            for pid in workers:
                memory = read_memory(pid)
                if memory is not None:
                    sampled[pid] = max(sampled[pid], memory.rss_mb)
                    kids = sum(m.pss_mb if m.pss_mb is not None else m.rss_mb
                               for c in descendants(pid) if (m := read_memory(c)) is not None)
                    own = memory.pss_mb if memory.pss_mb is not None else memory.rss_mb
                    below[pid] = max(below[pid], kids)
                    together[pid] = max(together[pid], own + kids)
            if time.monotonic() - checked >= 0.2:
                checked = time.monotonic()
                with read_store(sessions) as session:
                    row = planning.draft(session, PLAN_WEEK)
                    summary = dict(row.summary) if row is not None else None
            time.sleep(0.02)
        waited = time.monotonic() - asked
        if summary is None:
            return (f"bench memory: no draft of the week of {PLAN_WEEK} after {PLAN_WAIT:g} s"
                    f"\n{server.log_tail()}", [], None)
    finally:
        runtime.close()
    peaks = {pid: peak_mb(pid) for pid in workers}
    lines = [f"  {'planning':<22} worker {pid:>7}: peak RSS {(peaks[pid] or 0):6.1f} MB "
             f"(VmHWM{' since the plan was asked' if reset else ', since the worker began'}"
             f"; sampled every 20 ms: {sampled[pid]:.1f} MB; {before.get(pid, 0):.1f} MB "
             "before the ask)" for pid in workers]
    lines += [f"  {'planning':<22} worker {pid:>7} with its children: peak PSS "
              f"{together[pid]:6.1f} MB (its children alone, the fork server and the "
              f"solver: {below[pid]:.1f} MB; sampled every 20 ms)" for pid in workers]
    peak = max([p for p in peaks.values() if p is not None] + list(together.values()))
    lines.append(f"  plan: {size} people × {PLAN_LINES} lines, week of {PLAN_WEEK}, "
                 f"{summary['cells']} cells, asked as /switchboard plan by a coordinator "
                 f"over Slack: {summary['status']}, {summary['filled']} cells filled, solve "
                 f"{summary['seconds']:.1f} s, draft stored {waited:.1f} s after the ask")
    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    counts = {s.labels.get("status"): s.value
              for family in text_string_to_metric_families(scrape.text)
              for s in family.samples if s.name == "switchboard_planner_solve_seconds_count"}
    lines.append("  /metrics: switchboard_planner_solve_seconds_count "
                 + (", ".join(f"{k}={v:g}" for k, v in sorted(counts.items()) if v)
                    or "nothing counted"))
    return "", lines, peak
