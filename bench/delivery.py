"""``switchboard bench delivery``: the outbox at a 1,000-agent contact centre, against local
fake Google Chat and Slack APIs that enforce the platforms' documented limits (429 with
Retry-After) and take ``--latency`` to answer.

Prints:

- ring to DM: from a signed ``call.ringing`` POST (the app's WSGI call) to the DM arriving
  at the fake Chat API, p50 and p99, at 1, 10 and 50 rings a second; then the same while
  a 200-person shift notice (a team message and 200 DMs) is being delivered;
- broadcasts: 201 Google Chat messages where the fake allows 50 writes a second, and 200
  Slack DMs, each from commit to the last arrival;
- the calls the fakes received while a Retry-After they had given was running (must be 0);
- /queue and /onshift at 1,000 agents (the dispatcher, p50/p95/max; target: max 50 ms),
  measured first, once the set-up's garbage is collected and the start-up heap frozen as
  a serving process does (``freeze_startup``).

Set-up (untimed): the team, its DMs opened ahead (the ``dm-open`` job), the PBX queue,
a 1,000-line turn. The delivery loop runs as in production: woken by each commit
(and LISTEN/NOTIFY on PostgreSQL), ``OUTBOX_THREADS`` senders per platform.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bench.database import BenchDatabase, bench_database, bench_settings
from bench.doors import call, environ
from bench.report import footer, header, latency_line, percentile, quiet_logs, timed
from bot.app import create_app, freeze_startup
from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.delivery.limits import PER_SECOND, Rate, google_limits, slack_limits
from bot.delivery.notifier import OutboxNotifier, halves
from bot.delivery.senders import build_senders
from bot.delivery.worker import OutboxWorker, build_worker
from bot.doors.console import say
from bot.doors.pbx_events import signed_headers
from bot.runtime import build_runtime
from bot.settings import Settings
from commands.core import BROADCAST, TEAM, Mention, Reply, person_target
from store.db import transaction
from store.messaging.outbox import PENDING, OutboxMessage, enqueue
from store.shifts import timetable
from store.shifts.timetable import PERSON, TimetableCell, TimetableWeek
from testing.big_team import BigTeam, troubled_team
from testing.fake_google_chat import FakeGoogleChat
from testing.fake_slack import FakeSlack
from testing.rate_limits import Enforcer

SECRET = "whsec-bench-delivery"
TEAM_SPACE = "spaces/TEAM"
RATES = (1, 10, 50)
BROADCAST_PEOPLE = 200
# Google Chat's documented quotas: 3,000 message writes a minute per project, about one
# write a second per space; 3,000 reads a minute. Slack: Tier 3 (50 a minute) for opening
# DMs, about one post a second per channel.
GOOGLE_DOCUMENTED = {"writes": (3000, 60.0), "reads": (3000, 60.0), "space:": (1, 1.0)}
GOOGLE_50_PER_SECOND = {"writes": (50, 1.0), "reads": (3000, 60.0), "space:": (1, 1.0)}
SLACK_DOCUMENTED = {"method:conversations.open": (50, 60.0),
                    "method:conversations.history": (50, 60.0), "channel:": (1, 1.0)}


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("delivery", help="ring-to-DM latency and broadcasts at 1,000 "
                                             "agents against rate-limited fake chat APIs")
    parser.add_argument("--agents", type=int, default=1000, metavar="N",
                        help="agents in the team (default 1000)")
    parser.add_argument("--seconds", type=float, default=10.0, metavar="S",
                        help="how long each ring rate runs (default 10)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="S",
                        help="seconds each fake API call takes to answer (default 0)")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.agents < 2 * BROADCAST_PEOPLE + BROADCAST_PEOPLE or args.seconds <= 0 \
            or args.latency < 0:
        # Agents 0–399 get the two Google notices, 400–599 the Slack DMs; rings go to the
        # agents from the 300th on.
        return cli.fail(f"--agents must be at least {3 * BROADCAST_PEOPLE}, --seconds and "
                        "--latency positive", EXIT_USAGE)
    started = time.monotonic()
    quiet_logs()
    out = cli.out
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        google_rules = Enforcer(dict(GOOGLE_DOCUMENTED))
        slack_rules = Enforcer(dict(SLACK_DOCUMENTED))
        dms = {f"users/{10**11 + n}": f"spaces/DM{n:04d}" for n in range(args.agents)}
        dms["users/99"] = "spaces/DM-BOSS"
        google = stack.enter_context(FakeGoogleChat(dms, limits=google_rules,
                                                    latency=args.latency))
        slack = stack.enter_context(FakeSlack(token=None, limits=slack_rules,
                                              latency=args.latency))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-delivery-")))
        settings = delivery_settings(cli.settings, db, google, slack, tmp)
        runtime = build_runtime(settings)
        stack.callback(runtime.close)
        services = runtime.services
        team, _trouble = troubled_team(services, args.agents)
        one_turn(services, team)
        app = create_app(settings, services)
        worker = build_worker(settings, services.sessions, services.clock)
        stack.callback(worker.stop)
        notifier = services.notifier
        assert isinstance(notifier, OutboxNotifier)
        header(out, "switchboard bench delivery: ring to DM and broadcasts at "
                    f"{args.agents} agents (fake Google Chat and Slack enforcing their limits)",
               db.description,
               f"team time zone {settings.timezone.key} (the turn runs now); "
               f"fake API latency {args.latency * 1000:.0f} ms; OUTBOX_THREADS "
               f"{settings.outbox_threads}; Google limits: 3,000 writes/min per project, "
               "1 write/s per space; Slack: Tier 3 50/min for conversations.open, "
               "1 post/s per channel")
        opened_at = time.monotonic()
        with transaction(services.sessions) as session:
            platforms = notifier.dm_platforms(session)
        opened = worker.open_dms(platforms)
        out.write(f"{'DMs opened ahead (dm-open job)':<46} {opened.opened} in "
                  f"{time.monotonic() - opened_at:.1f} s ({opened})\n")
        freeze_startup()  # as a serving process does once it is up
        # The boards first, while the process holds what a serving one holds: the fake
        # APIs below live in this process and keep every message they are sent, a heap
        # that a serving process does not have and the garbage collector would walk.
        boards(out, runtime.dispatcher, team)
        worker.start(runtime.engine)
        ring = Ringer(app, google, args.agents)
        for rate in RATES:
            samples = ring.at(rate, args.seconds)
            out.write(ring_line(f"ring to DM at {rate} rings/s", samples, rate) + "\n")
        for rate in RATES:
            done = broadcast(services, notifier, team, google, first=0)
            samples = ring.at(rate, args.seconds)
            took = done()
            out.write(ring_line(f"ring to DM at {rate}/s, 200-person notice", samples, rate)
                      + f"  (notice done in {took:.1f} s)\n")
        worker.stop()
        # 201 Google DMs where the fake allows 50 writes a second (the client told so).
        google.limits = Enforcer(dict(GOOGLE_50_PER_SECOND))
        fast = OutboxWorker(services.sessions, services.clock,
                            lambda: build_senders(settings, services.clock), max_attempts=8,
                            threads=settings.outbox_threads, halve=halves(settings),
                            limits={"google": google_limits(
                                project_writes=Rate(50, PER_SECOND)), "slack": slack_limits()})
        stack.callback(fast.stop)
        fast.start(runtime.engine)
        seconds = broadcast(services, notifier, team, google, first=BROADCAST_PEOPLE)()
        out.write(f"{'broadcast: 201 Google messages at 50 writes/s':<46} {seconds:6.2f} s "
                  f"{'ok' if seconds <= 10 else 'OVER'} (target 10 s)\n")
        seconds = slack_broadcast(services, team, slack)
        out.write(f"{'broadcast: 200 Slack DMs (DMs opened ahead)':<46} {seconds:6.2f} s\n")
        fast.stop()
        inside = google_rules.inside_retry_after + slack_rules.inside_retry_after + \
            (google.limits.inside_retry_after if google.limits else 0)
        refused = google_rules.refused + slack_rules.refused + \
            (google.limits.refused if google.limits else 0)
        where = sum((e.refused_in for e in (google_rules, slack_rules, google.limits) if e),
                    Counter[str]())
        out.write(f"{'calls inside a Retry-After':<46} {inside} "
                  f"{'ok' if inside == 0 else 'OVER'} (target 0; {refused} answered 429"
                  + (f": {', '.join(f'{k} {n}' for k, n in sorted(where.items()))}"
                     if where else "") + ")\n")
    footer(out, started)
    return EXIT_OK


def midday_zone(now: datetime) -> ZoneInfo:
    """A fixed-offset zone where ``now`` is between 08:00 and 16:00, so the bench's turn
    (00:00–23:59 of the team's day) runs now, with hours to spare, whenever it is run."""
    for hours in range(-12, 15):
        name = f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT"  # POSIX sign: GMT-2 is UTC+2
        if 8 <= now.astimezone(ZoneInfo(name)).hour < 16:
            return ZoneInfo(name)
    raise AssertionError("some offset from UTC-12 to UTC+14 is between 08:00 and 16:00")


def delivery_settings(base: Settings, db: BenchDatabase, google: FakeGoogleChat,
                      slack: FakeSlack, tmp: Path) -> Settings:
    return bench_settings(base, db).replace(
        timezone=midday_zone(datetime.now(UTC)),
        google_chat_service_account_file=str(google.write_service_account(tmp)),
        google_chat_api_endpoint=google.url, slack_bot_token="xoxb-bench",
        slack_api_url=slack.api_url, team_space=f"google:{TEAM_SPACE}",
        pbx_webhook_secret=SECRET)


def one_turn(services: Any, team: BigTeam) -> None:
    """Everyone on one turn that runs now (for /onshift)."""
    tz = services.settings.timezone
    now = services.clock.now().astimezone(tz)
    monday = now.date() - timedelta(days=now.weekday())
    start = clock_time(0, 0)
    end = clock_time(23, 59)
    lines = [f"L{n}" for n in range(len(team.agents))]
    code = ("dl", "dm", "dc", "dj", "dv", "ds", "dg")[now.weekday()]
    with transaction(services.sessions) as session:
        timetable.replace_week(session, TimetableWeek(
            monday=monday, days=[code], hours=["00:00", "23:59"], lines=lines,
            imported_at=services.clock.now()), [
            TimetableCell(day=now.date(), start=start, end=end, line=lines[n], position=n,
                          status=PERSON, person_id=p.id) for n, p in enumerate(team.agents)])


class Ringer:
    """Signed call.ringing POSTs at a steady rate, each to the next agent (from the 300th:
    the notices go to the first 200), timed until the fake Chat API holds the DM."""

    def __init__(self, app: Any, google: FakeGoogleChat, agents: int) -> None:
        self.app = app
        self.google = google
        self.agents = agents
        self.next_agent = 300
        self.calls = 0
        self._expect: dict[str, int] = {}  # space → DMs it held before this ring

    def at(self, rate: int, seconds: float) -> list[float]:
        count = max(1, int(rate * seconds))
        sent: dict[str, float] = {}
        threads: list[threading.Thread] = []
        begin = time.monotonic()
        for n in range(count):
            agent = self.next_agent
            self.next_agent = 300 + (self.next_agent - 300 + 1) % (self.agents - 300)
            self.calls += 1
            body = json.dumps({"event": "call.ringing", "call_id": f"bench-{self.calls}",
                               "caller": "600112233", "extension": str(3000 + agent),
                               "queue": "support"}).encode()
            space = f"spaces/DM{agent:04d}"
            already = len(self.google.arrivals.get(space, []))
            wait = begin + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            headers = signed_headers(SECRET, body, int(time.time()))
            request = environ("/pbx/events", body, headers)
            sent[space] = time.monotonic()
            thread = threading.Thread(target=self._post, args=(request,), daemon=True)
            thread.start()
            threads.append(thread)
            self._expect[space] = already
        for thread in threads:
            thread.join(30)
        return self._wait(sent)

    def _post(self, request: dict[str, Any]) -> None:
        status, body = call(self.app, request)
        if status != 200:
            raise RuntimeError(f"call.ringing answered {status}: {body[:200]!r}")

    def _wait(self, sent: dict[str, float], timeout: float = 120.0) -> list[float]:
        deadline = time.monotonic() + timeout
        latencies: dict[str, float] = {}
        while len(latencies) < len(sent) and time.monotonic() < deadline:
            for space, at in sent.items():
                if space in latencies:
                    continue
                arrived = self.google.arrivals.get(space, [])
                if len(arrived) > self._expect.get(space, 0):
                    latencies[space] = arrived[self._expect[space]] - at
            time.sleep(0.01)
        if len(latencies) < len(sent):
            raise RuntimeError(f"{len(sent) - len(latencies)} screen pops never arrived")
        return list(latencies.values())


def ring_line(name: str, samples: list[float], rate: int) -> str:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    verdict = ""
    if rate == 1:
        verdict = "ok" if p50 <= 0.3 else "OVER"
        verdict += " (target p50 300 ms)"
    elif rate == 50:
        verdict = "ok" if p99 <= 1.0 else "OVER"
        verdict += " (target p99 1 s)"
    return (f"{name:<46} n={len(samples):<4} p50 {p50 * 1000:7.1f} ms  "
            f"p99 {p99 * 1000:7.1f} ms  max {max(samples) * 1000:7.1f} ms  {verdict}")


def broadcast(services: Any, notifier: OutboxNotifier, team: BigTeam,
              google: FakeGoogleChat, *, first: int) -> Callable[[], float]:
    """A 200-person shift notice, as commands.shifts.change writes it: the team message
    mentioning everyone coming in, and a DM to each. Returns a function that waits for
    the last DM and gives the seconds it took."""
    coming = team.agents[first:first + BROADCAST_PEOPLE]
    stamp = f"{time.monotonic_ns()}"
    spaces = [f"spaces/DM{first + n:04d}" for n in range(len(coming))] + [TEAM_SPACE]
    counts = {s: len(google.arrivals.get(s, [])) for s in spaces}
    begin = time.monotonic()
    with transaction(services.sessions) as session:
        notifier.send(session, TEAM, Reply(
            "Turn 2 starts at 10:15.\nComing in: " + ", ".join(
                Mention.of(p).token for p in coming) + ".",
            mentions=tuple(Mention.of(p) for p in coming)),
            key=f"bench-notice:{stamp}:team", priority=BROADCAST)
        for person in coming:
            notifier.send(session, person_target(person), Reply(
                f"{person.name}, your turn starts at 10:15.", private=True),
                key=f"bench-notice:{stamp}:{person.key}", priority=BROADCAST)

    def done() -> float:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all(len(google.arrivals.get(s, [])) > counts[s] for s in spaces):
                last = max(google.arrivals[s][-1] for s in spaces)
                return last - begin
            time.sleep(0.02)
        raise RuntimeError("the notice's DMs never all arrived")

    return done


def slack_broadcast(services: Any, team: BigTeam, slack: FakeSlack) -> float:
    """200 Slack DMs whose channels are known (opened ahead), commit to last arrival."""
    now = services.clock.now()
    people = team.agents[400:400 + BROADCAST_PEOPLE]
    begin = time.monotonic()
    with transaction(services.sessions) as session:
        for person in people:
            enqueue(session, OutboxMessage(
                key=f"bench-slack:{time.monotonic_ns()}:{person.key}", target=f"person:"
                f"{person.key}", platform="slack", space=f"D{person.key}", person_id=person.id,
                body={"text": "Your turn starts at 10:15."}, status=PENDING, attempts=0,
                priority=BROADCAST, next_attempt_at=now, created_at=now))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if all(slack.arrivals.get(f"D{p.key}") for p in people):
            return max(slack.arrivals[f"D{p.key}"][0] for p in people) - begin
        time.sleep(0.02)
    raise RuntimeError("the Slack DMs never all arrived")


def boards(out: TextIO, dispatcher: Any, team: BigTeam) -> None:
    for command in ("/queue", "/onshift"):
        result = say(dispatcher, "boss", command)
        if not result.ok:
            raise RuntimeError(f"{command}: {result.outcome}: {result.reply.text}")
        samples = timed(partial(say, dispatcher, "boss", command), 30)
        out.write(latency_line(f"{command} at {len(team.agents)} agents", samples, 0.050)
                  + "\n")

