"""Shared fixtures: one database per test, on SQLite and (when configured) PostgreSQL.

``TEST_DATABASE_URL`` names a PostgreSQL server; every test that uses a database then
runs twice, ``[sqlite]`` and ``[postgresql]``, each PostgreSQL run in a schema of its
own. If the variable is set and the server cannot be reached the run fails: it never
quietly skips. With ``CI=true`` the variable is required.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.render.text import render_text
from bot.settings import Settings
from commands.core import Services, Where
from commands.dispatch import Dispatcher, Incoming, Result
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from store import i18n
from testing.database import (
    BACKENDS,
    PG_URL,
    Database,
    Templates,
    make_services,
    make_settings,
    open_database,
)
from testing.shared_data import shared_data

__all__ = ["BACKENDS", "MADRID", "PG_URL", "T0", "Database", "make_services", "make_settings",
           "open_database", "shared_data"]

MADRID = ZoneInfo("Europe/Madrid")
# A Monday morning in the team's zone; tests move the clock explicitly.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=MADRID)
TEMPLATES = Templates()


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CI", "").lower() == "true" and not PG_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: "
                                "the store tests must run on PostgreSQL too")
    if PG_URL:
        try:
            probe = create_engine(PG_URL)
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            probe.dispose()
        except Exception as exc:
            raise pytest.UsageError(
                f"TEST_DATABASE_URL={PG_URL} is unreachable: {exc}".splitlines()[0]) from exc


def pytest_report_header(config: pytest.Config) -> str:
    return "database backends: " + ", ".join(BACKENDS)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say how many database tests ran on each backend, so the report shows both."""
    counts: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for backend in BACKENDS:
                if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid \
                        or f"sim-{backend}" in report.nodeid:
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    terminalreporter.section("database backends")
    for backend, by_outcome in counts.items():
        summary = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())) or "no tests"
        terminalreporter.write_line(f"{backend}: {summary}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on: each database test runs once per backend."""
    return str(request.param)


@pytest.fixture
def empty_db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables at all (for migration tests)."""
    with open_database(backend, tmp_path) as database:
        yield database


@pytest.fixture
def db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database migrated to the latest revision, as the application runs it; with the
    demo team already in it when the test asks for ``demo`` (loaded at the test's clock)."""
    demo_at = None
    if "demo" in request.fixturenames:
        demo_at = request.getfixturevalue("clock").now()
    with TEMPLATES.migrated(backend, tmp_path, demo_at) as database:
        yield database


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    TEMPLATES.close()


@pytest.fixture
def engine(db: Database) -> Engine:
    return db.engine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def settings(db: Database) -> Settings:
    return make_settings(DATABASE_URL=db.url)


@pytest.fixture
def services(db: Database, settings: Settings, clock: FixedClock) -> Services:
    return make_services(db, settings, clock)


@pytest.fixture
def demo(services: Services) -> Services:
    """The services on a database holding the demo team (the ``db`` fixture loaded it)."""
    return services


class Chat:
    """A transcript-style harness: ``chat.say("alice", "/pause lunch")`` → rendered reply."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.last: Result | None = None

    def send(self, key: str, text: str) -> Result:
        self.last = self.dispatcher.handle(Incoming(
            platform="console", user_id=key, text=text,
            where=Where(platform="console", space="console")))
        return self.last

    def say(self, key: str, text: str) -> str:
        return render_text(self.send(key, text).reply)


@pytest.fixture
def chat(demo: Services) -> Chat:
    return Chat(Dispatcher(COMMANDS, demo))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A /plan a test started runs in a background thread: it finishes before the test's
    database is torn down (never a thread writing into the next test's database)."""
    yield
    chat = sys.modules.get("commands.shifts.planning.chat")
    if chat is not None:
        assert chat.wait(120), "a background plan was still running two minutes on"


@pytest.fixture(autouse=True)
def _logging_levels_restored() -> Iterator[None]:
    """Code under test may set logging levels (the CLI, benchmarks quieting their output);
    each test starts from the levels the previous one found. A logger made during the test
    goes back to no level of its own: Slack Bolt, for one, gives its app's logger (named
    "switchboard") the root's level of that moment, which a benchmark may have quieted."""
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level
             for name in ("", *logging.root.manager.loggerDict)}
    yield
    for name, level in saved.items():
        (root if name == "" else logging.getLogger(name)).setLevel(level)
    for name, made in list(logging.root.manager.loggerDict.items()):
        if name not in saved and isinstance(made, logging.Logger):
            made.setLevel(logging.NOTSET)


@pytest.fixture(autouse=True)
def _team_language_restored() -> Iterator[None]:
    """Building services sets the team's language (LANGUAGE) for the process; each test
    starts in English, whatever the previous one configured."""
    i18n.set_team_language(i18n.ENGLISH)
    yield
    i18n.set_team_language(i18n.ENGLISH)
