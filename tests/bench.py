"""`make bench`: latency of the doors and commands, printed as figures (not a test).

What it measures, on SQLite in a temporary directory (or the PostgreSQL schema named by
TEST_DATABASE_URL when set), each through the real code paths:

- console dispatch of /queue and of a /pause + /resume pair on the sim PBX;
- POST /chat/google with a genuinely signed token (keys cached after the first request);
- POST /slack/events with a genuinely signed slash command (target: the 3 s Slack deadline);
- /pause against an Areavoip server that never answers (target: PBX_TIMEOUT + 1 s);
- outbox delivery of console messages.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.delivery.worker import build_worker
from bot.settings import Settings
from commands import COMMANDS
from commands.core import Reply, Services, Where
from commands.dispatch import Dispatcher, Incoming
from integrations.clock import FixedClock
from integrations.pbx.areavoip import AreavoipPbx
from store import migrate
from store.db import transaction
from store.demo import load_demo
from tests.conftest import MADRID, T0, make_services, make_settings, open_database
from tests.integrations.pbx.fake_areavoip import FakeAreavoip
from tests.support.fake_slack import TEAM_ID, FakeSlack
from tests.support.google_tokens import CertsServer, classic_dm, open_door

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))


def report(name: str, samples: list[float], target: float | None = None) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    verdict = "" if target is None else (
        f"  target ≤ {target * 1000:.0f} ms: {'met' if ms[-1] <= target * 1000 else 'MISSED'}")
    print(f"{name:<44} n={len(ms):<4} p50 {statistics.median(ms):8.1f} ms  "
          f"p95 {p95:8.1f} ms  max {ms[-1]:8.1f} ms{verdict}")


def timed(run: Callable[[], object], rounds: int = ROUNDS) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def console(services: Services, key: str, text: str) -> Reply:
    result = Dispatcher(COMMANDS, services).handle(Incoming(
        platform="console", user_id=key, text=text, where=Where(platform="console")))
    assert result.ok, result.reply.text
    return result.reply


def main() -> int:
    logging.basicConfig(level=logging.ERROR)  # the silent-PBX round logs a warning per try
    backend = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    print(f"database: {backend}; rounds: {ROUNDS}")
    with tempfile.TemporaryDirectory() as tmp, open_database(backend, Path(tmp)) as db:
        migrate.upgrade(db.engine)
        clock = FixedClock(T0)
        settings = make_settings(DATABASE_URL=db.url)
        services = make_services(db, settings, clock)
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
        services.pbx.set_members([str(ext) for ext in range(211, 219)])

        report("console /queue (8 members)", timed(lambda: console(services, "carla", "/queue")))

        def pause_resume() -> None:
            console(services, "alice", "/pause lunch")
            console(services, "alice", "/resume")

        report("console /pause lunch + /resume (sim PBX)", timed(pause_resume))

        with CertsServer() as certs:
            door = open_door(db, clock, certs.certs_url, demo=False)
            counter = iter(range(10**9))

            def google() -> None:
                body = classic_dm("/whoami", message=f"spaces/DM1/messages/B{next(counter)}")
                assert door.post(body).status_code == 200

            report("POST /chat/google /whoami (signed)", timed(google))

        with FakeSlack(users={"U0ALICE": "alice@switchboard.example"}) as fake:
            secret = "bench-secret"
            slack = open_door(db, clock, "http://127.0.0.1:1/unused", demo=False,
                              SLACK_SIGNING_SECRET=secret, SLACK_BOT_TOKEN="xoxb-test",
                              SLACK_API_URL=fake.api_url)
            verifier = SignatureVerifier(secret)

            def slash() -> None:
                raw = urlencode({"command": "/switchboard", "text": "queue", "user_id": "U0ALICE",
                                 "channel_id": "C0GENERAL", "team_id": TEAM_ID,
                                 "response_url": fake.response_url("switchboard")})
                ts = str(int(time.time()))
                response = slack.client.post(
                    "/slack/events", data=raw, content_type="application/x-www-form-urlencoded",
                    headers={"X-Slack-Request-Timestamp": ts,
                             "X-Slack-Signature": verifier.generate_signature(
                                 timestamp=ts, body=raw)})
                assert response.status_code == 200

            report("POST /slack/events /switchboard queue", timed(slash), target=3.0)

        with FakeAreavoip() as pbx_server:
            pbx_server.seed(["211"], ["211"])
            pbx_server.silent = True
            timeout = Settings.load(environ={}, app_yaml=None).pbx_timeout
            silent = Services(
                sessions=services.sessions, settings=settings, clock=clock,
                pbx=AreavoipPbx(pbx_server.url, pbx_server.api_key, pbx_server.tenant,
                                pbx_server.queue, timezone=MADRID, timeout=timeout),
                notifier=services.notifier, directory=services.directory)

            def unanswered() -> None:
                result = Dispatcher(COMMANDS, silent).handle(Incoming(
                    platform="console", user_id="bruno", text="/pause lunch",
                    where=Where(platform="console")))
                assert result.outcome == "failed"

            report(f"/pause, PBX silent (PBX_TIMEOUT={timeout:g} s)", timed(unanswered, 3),
                   target=timeout + 1)

        for n in range(ROUNDS):
            console(services, "carla", f"/announce bench {n}")
        worker = build_worker(settings, services.sessions, clock,
                              console_sink=lambda target, reply: None)
        started = time.perf_counter()
        delivered = 0
        while delivered < ROUNDS:
            sent = worker.deliver_due(limit=ROUNDS).sent
            if not sent:
                raise SystemExit("the outbox stopped delivering")
            delivered += sent
        elapsed = time.perf_counter() - started
        print(f"{'outbox: console messages delivered':<44} n={delivered:<4} "
              f"{delivered / elapsed:8.0f} messages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
