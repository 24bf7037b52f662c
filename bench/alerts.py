"""``switchboard bench alerts``: from an AMI event on the wire to the alert at the chat API.

A local Asterisk manager (``testing.fake_ami``) sends ``AgentRingNoAnswer`` events at 10
and at 50 a second, each for an agent of its own, to the product's AMI event session
(``bot.runtime.build_pbx_events``). With ALERT_RING_NO_ANSWER=1 each event makes a
ring-no-answer alert: an outbox row, delivered by the outbox worker as in production
(woken by the commit) to a local fake Google Chat API that enforces Google's documented
limits (3,000 writes a minute per project, one write a second per space).
The time measured is from the moment the event was written to the socket to the moment
the DM reached the fake API. Target: p99 under 1 s at 50 events a second.

Set-up (untimed): a team of agents with Slack ids, their DMs opened ahead (the
``dm-open`` job), the event session connected.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.database import bench_database, bench_settings
from bench.report import footer, header, percentile, quiet_logs
from bot.app import freeze_startup
from bot.cli.base import EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.delivery.notifier import OutboxNotifier
from bot.delivery.worker import build_worker
from bot.runtime import build_pbx_events, build_runtime
from integrations.pbx.asterisk.events import CONNECTED
from store.db import transaction
from testing.big_team import FIRST_EXTENSION, load_big_team
from testing.fake_ami import FakeAmi
from testing.fake_google_chat import FakeGoogleChat
from testing.rate_limits import Enforcer

RATES = (10, 50)
TARGET = 1.0  # seconds, p99 at 50 events a second
GOOGLE_DOCUMENTED = {"writes": (3000, 60.0), "reads": (3000, 60.0), "space:": (1, 1.0)}


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("alerts", help="AMI event on the wire to the alert's DM at a "
                                           "fake chat API, at 10 and 50 events a second")
    parser.add_argument("--seconds", type=float, default=10.0, metavar="S",
                        help="how long each rate runs (default 10)")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        return cli.fail("--seconds must be positive", EXIT_USAGE)
    started = time.monotonic()
    quiet_logs()
    out = cli.out
    events = {rate: int(rate * args.seconds) for rate in RATES}
    agents = sum(events.values())
    with ExitStack() as stack:
        db = stack.enter_context(bench_database(cli.settings.database_url))
        dms = {f"users/{10**11 + n}": f"spaces/DM{n:05d}" for n in range(agents)}
        google = stack.enter_context(FakeGoogleChat(dms, limits=Enforcer(
            dict(GOOGLE_DOCUMENTED))))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-alerts-")))
        ami = FakeAmi(queues=("support",)).start()
        assert isinstance(ami, FakeAmi)
        stack.callback(ami.stop)
        settings = bench_settings(cli.settings, db).replace(
            pbx_backend="asterisk", ami_host="127.0.0.1", ami_port=ami.port,
            ami_user=ami.username, ami_secret=ami.secret, ami_events=True, pbx_timeout=2.0,
            alert_ring_no_answer=1,
            google_chat_service_account_file=str(google.write_service_account(tmp)),
            google_chat_api_endpoint=google.url, slack_bot_token="")
        runtime = build_runtime(settings)
        stack.callback(runtime.close)
        services = runtime.services
        with transaction(services.sessions) as session:
            load_big_team(session, services.clock.now(), agents=agents)
        notifier = services.notifier
        assert isinstance(notifier, OutboxNotifier)
        worker = build_worker(settings, services.sessions, services.clock)
        stack.callback(worker.stop)
        with transaction(services.sessions) as session:
            platforms = notifier.dm_platforms(session)
        opened = worker.open_dms(platforms)
        stream = build_pbx_events(settings, services)
        assert stream is not None
        stream.start()
        stack.callback(stream.stop)
        if not stream.wait_for(CONNECTED, 10.0):
            return cli.fail(f"the AMI event session did not connect: {stream.status.error}")
        header(out, "switchboard bench alerts: AMI AgentRingNoAnswer on the wire to the "
                    "ring-no-answer DM at the chat API", db.description,
               f"{agents} agents (one event each), ALERT_RING_NO_ANSWER=1; DMs opened "
               f"ahead ({opened}); fake Google Chat enforcing 3,000 writes/min per "
               f"project and 1 write/s per space; OUTBOX_THREADS {settings.outbox_threads}")
        freeze_startup()
        worker.start(runtime.engine)
        first = 0
        for rate in RATES:
            sent = _send(ami, first, events[rate], rate)
            latencies = _arrivals(google.arrivals, sent, deadline=time.monotonic() + 30.0)
            out.write(_line(f"event to DM at {rate} events/s", latencies, len(sent),
                            TARGET if rate == 50 else None) + "\n")
            first += events[rate]
    footer(out, started)
    return EXIT_OK


def _send(ami: FakeAmi, first: int, count: int, rate: int) -> dict[str, float]:
    """One AgentRingNoAnswer a 1/rate second apart, each for its own agent; the DM space
    of each agent → when its event was written to the socket."""
    sent: dict[str, float] = {}
    start = time.monotonic()
    for n in range(first, first + count):
        due = start + (n - first) / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        written = time.monotonic()  # before the write: the DM may arrive before it returns
        ami.emit([("Event", "AgentRingNoAnswer"), ("Queue", "support"),
                  ("Uniqueid", f"1700000000.{n}"), ("Channel", f"PJSIP/trunk-{n:08x}"),
                  ("Interface", f"PJSIP/{FIRST_EXTENSION + n}"),
                  ("MemberName", f"Agent {n:04d}"), ("RingTime", "15")], "agent")
        sent[f"spaces/DM{n:05d}"] = written
    return sent


def _arrivals(arrivals: dict[str, list[float]], sent: dict[str, float],
              deadline: float) -> list[float]:
    """Seconds from each event to its DM's arrival; waits until all arrived or deadline."""
    while time.monotonic() < deadline:
        if all(arrivals.get(space) for space in sent):
            break
        time.sleep(0.05)
    return [arrivals[space][0] - at for space, at in sent.items() if arrivals.get(space)]


def _line(name: str, samples: list[float], expected: int, target: float | None) -> str:
    if not samples:
        return f"{name:<34} no DM arrived of {expected}"
    ms = [s * 1000 for s in samples]
    p99 = percentile(ms, 99)
    verdict = "" if target is None else (
        f"  target p99 < {target * 1000:.0f} ms: {'met' if p99 < target * 1000 else 'MISSED'}")
    missing = f"  ({expected - len(ms)} never arrived)" if len(ms) < expected else ""
    return (f"{name:<34} n={len(ms):<5} p50 {statistics.median(ms):8.1f} ms  "
            f"p99 {p99:8.1f} ms  max {max(ms):8.1f} ms{verdict}{missing}")
