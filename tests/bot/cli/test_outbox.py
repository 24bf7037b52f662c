"""``switchboard outbox``: dead letters are visible, retryable, and nothing is lost."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import outbox as cli_outbox
from bot.cli.base import Cli
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from commands.core import TEAM, Reply, Services
from integrations.clock import FixedClock
from store.db import transaction
from store.demo.team import load_demo
from store.messaging import outbox
from store.messaging.outbox import DEAD, PENDING, SENT
from testing.fake_google_chat import FakeGoogleChat
from tests.conftest import T0, Database, make_services, make_settings


class FixedCli(Cli):
    """The real Cli over a runtime built by the test (its clock is a FixedClock)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.settings, io.StringIO(), io.StringIO())
        self._fixed = runtime

    @property
    def runtime(self) -> Runtime:
        return self._fixed


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="switchboard")
    cli_outbox.add_parsers(root.add_subparsers(dest="command", required=True))
    return root


def run(cli: FixedCli, *argv: str) -> tuple[int, str, str]:
    assert isinstance(cli.out, io.StringIO) and isinstance(cli.err, io.StringIO)
    cli.out.seek(0)
    cli.out.truncate()
    cli.err.seek(0)
    cli.err.truncate()
    args = parser().parse_args(argv)
    status = args.handler(cli, args)
    return status, cli.out.getvalue(), cli.err.getvalue()


@pytest.fixture
def fake() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat() as server:
        yield server


def make_cli(db: Database, clock: FixedClock, **env: str) -> tuple[FixedCli, Services]:
    settings = make_settings(DATABASE_URL=db.url, **env)
    services = make_services(db, settings, clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
    return FixedCli(build_runtime(settings, services)), services


def test_the_parsers_route_to_the_handlers() -> None:
    p = parser()
    listing = p.parse_args(["outbox"])
    assert listing.handler is cli_outbox.outbox_list and not listing.failed
    assert listing.limit == 50
    failed = p.parse_args(["outbox", "--failed", "--limit", "5"])
    assert failed.handler is cli_outbox.outbox_list and failed.failed and failed.limit == 5
    retry = p.parse_args(["outbox", "retry", "3", "4"])
    assert retry.handler is cli_outbox.outbox_retry and retry.ids == [3, 4]
    assert p.parse_args(["outbox", "deliver"]).handler is cli_outbox.outbox_deliver
    for bad in (["outbox", "--limit", "0"], ["outbox", "retry"], ["outbox", "retry", "x"]):
        with pytest.raises(SystemExit) as usage:
            p.parse_args(bad)
        assert usage.value.code == 2


def test_an_api_down_for_good_ends_dead_then_retry_delivers_it(
        db: Database, fake: FakeGoogleChat, tmp_path: Path) -> None:
    clock = FixedClock(T0)
    cli, services = make_cli(
        db, clock, TEAM_SPACE="google:spaces/TEAM", OUTBOX_MAX_ATTEMPTS="3",
        GOOGLE_CHAT_SERVICE_ACCOUNT_FILE=str(fake.write_service_account(tmp_path)),
        GOOGLE_CHAT_API_ENDPOINT=fake.url)
    fake.fail_with(503)
    with transaction(services.sessions) as session:
        services.notifier.send(session, TEAM, Reply("Closing in 10 minutes"), key="close:1")
        row = outbox.by_key(session, "close:1")
        assert row is not None
        mid = row.id

    outputs = []
    for _ in range(3):
        status, out, _ = run(cli, "outbox", "deliver")
        assert status == 0
        outputs.append(out)
        clock.advance(timedelta(hours=1))
    assert "1 to retry" in outputs[0] and "1 to retry" in outputs[1]
    assert "1 dead" in outputs[2] and "outbox now: 0 pending, 0 sending, 1 dead" in outputs[2]
    assert [c.status for c in fake.create_calls] == [503, 503, 503]

    status, failed, _ = run(cli, "outbox", "--failed")
    assert status == 0
    header, line = failed.splitlines()
    assert header.split()[:5] == ["ID", "STATUS", "TARGET", "WHERE", "TRIES"]
    assert line.split()[:5] == [str(mid), DEAD, "team", "google:spaces/TEAM", "3/3"]
    assert "never (dead)" in line and "gave up after 3 attempts" in line and "HTTP 503" in line

    status, out, _ = run(cli, "outbox", "retry", str(mid))
    assert status == 0 and f"message {mid} will be sent again" in out
    with transaction(services.sessions) as session:
        revived = outbox.get(session, mid)
        assert revived is not None and (revived.status, revived.attempts) == (PENDING, 0)
    assert run(cli, "outbox", "--failed")[1] == "No failed messages.\n"

    fake.fail_with(None)  # the API is back
    status, out, _ = run(cli, "outbox", "deliver")
    assert status == 0 and "1 sent" in out
    assert fake.texts("spaces/TEAM") == ["Closing in 10 minutes"]
    status, listing, _ = run(cli, "outbox")
    row_line = listing.splitlines()[1]
    assert row_line.split()[:2] == [str(mid), SENT] and "sent 2026-11-23 12:00:00" in row_line


def test_retry_refuses_unknown_and_sent_ids_and_changes_nothing(db: Database) -> None:
    clock = FixedClock(T0)
    cli, services = make_cli(db, clock)
    with transaction(services.sessions) as session:
        services.notifier.send(session, TEAM, Reply("one"), key="k1")
    status, out, _ = run(cli, "outbox", "deliver")
    assert "[to team]\none" in out and "1 sent" in out  # console mode prints it
    [sent] = [r.id for r in _rows(services)]

    status, _, err = run(cli, "outbox", "retry", "999")
    assert status == 2 and "no message 999" in err and "nothing was changed" in err
    status, _, err = run(cli, "outbox", "retry", str(sent))
    assert status == 1 and "sent already" in err and "post it twice" in err

    with transaction(services.sessions) as session:
        services.notifier.send(session, TEAM, Reply("two"), key="k2")
        row = outbox.by_key(session, "k2")
        assert row is not None
        row.status, row.attempts, row.last_error = DEAD, 8, "HTTP 403"
        dead = row.id
    status, _, err = run(cli, "outbox", "retry", str(dead), "999")
    assert status == 2
    with transaction(services.sessions) as session:
        still = outbox.get(session, dead)
        assert still is not None and still.status == DEAD and still.attempts == 8


def test_listing_an_empty_outbox_and_a_dm_still_to_open(db: Database) -> None:
    clock = FixedClock(T0)
    cli, services = make_cli(db, clock)
    assert run(cli, "outbox") == (0, "The outbox is empty.\n", "")
    with transaction(services.sessions) as session:
        services.notifier.send(session, TEAM, Reply("x"), key="k")
        row = outbox.by_key(session, "k")
        assert row is not None
        row.platform, row.space, row.attempts = "slack", None, 2
        row.last_error = "Slack conversations.open: HTTP 503 " + "x" * 200
    status, out, _ = run(cli, "outbox", "--failed", "--limit", "1")
    assert status == 0
    line = out.splitlines()[1]
    assert "slack:(DM to open)" in line and "2/8" in line and "2026-11-23 09:00:00" in line
    assert line.endswith("…") and len(line.split("Slack conversations.open")[1]) < 160


def test_a_database_not_migrated_is_reported(empty_db: Database) -> None:
    settings: Settings = make_settings(DATABASE_URL=empty_db.url)
    cli = FixedCli(build_runtime(settings, make_services(empty_db, settings, FixedClock(T0))))
    for argv in (["outbox"], ["outbox", "retry", "1"], ["outbox", "deliver"]):
        status, _, err = run(cli, *argv)
        assert status == 1 and "switchboard db upgrade" in err


def _rows(services: Services) -> list[outbox.OutboxMessage]:
    with transaction(services.sessions) as session:
        return outbox.listing(session)
