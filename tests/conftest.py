"""Shared fixtures: one database per test, on SQLite and (when configured) PostgreSQL.

``TEST_DATABASE_URL`` names a PostgreSQL server; every test that uses a database then
runs twice, ``[sqlite]`` and ``[postgresql]``, each PostgreSQL run in a schema of its
own. If the variable is set and the server cannot be reached the run fails: it never
quietly skips. With ``CI=true`` the variable is required.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.delivery.notifier import OutboxNotifier
from bot.render.text import render_text
from bot.settings import Settings
from commands import COMMANDS
from commands.core import Services, Where
from commands.dispatch import Dispatcher, Incoming, Result
from integrations.clock import FixedClock
from integrations.directory.local import LocalDirectory
from integrations.pbx.sim import SimPbx
from store import migrate
from store.db import make_engine, make_sessionmaker, transaction
from store.demo import load_demo

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _shared_data() -> Path:
    """Third-party test data lives beside the checkout in ../shared/data (never copied in).

    SWITCHBOARD_SHARED_DATA overrides it; otherwise the nearest ``shared/data`` above the
    checkout is used, so a clone anywhere under the same workspace finds it."""
    if override := os.environ.get("SWITCHBOARD_SHARED_DATA"):
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return here.parents[2] / "shared" / "data"


SHARED_DATA = _shared_data()
MADRID = ZoneInfo("Europe/Madrid")
# A Monday morning in the team's zone; tests move the clock explicitly.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=MADRID)


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


@dataclass
class Database:
    backend: str
    url: str  # for PostgreSQL it pins the test's schema with ?options=-csearch_path=...
    engine: Engine

    def new_engine(self) -> Engine:
        """Another engine on the same database (a second process, a second replica)."""
        return make_engine(self.url)


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables at all (for migration tests)."""
    with open_database(request.param, tmp_path) as database:
        yield database


@contextmanager
def open_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty database: an SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        yield Database("sqlite", url, engine)
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        yield Database("postgresql", url, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A database migrated to the latest revision, as the application runs it."""
    migrate.upgrade(empty_db.engine)
    return empty_db


@pytest.fixture
def engine(db: Database) -> Engine:
    return db.engine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def make_settings(**env: str) -> Settings:
    return Settings.load(environ={"TIMEZONE": "Europe/Madrid", "BACKGROUND_JOBS": "false", **env},
                         app_yaml=None)


@pytest.fixture
def settings(db: Database) -> Settings:
    return make_settings(DATABASE_URL=db.url)


def make_services(db: Database, settings: Settings, clock: FixedClock) -> Services:
    sessions = make_sessionmaker(db.engine)
    return Services(sessions=sessions, settings=settings, clock=clock,
                    pbx=SimPbx(sessions, settings.pbx_queue, clock),
                    notifier=OutboxNotifier(settings, clock),
                    directory=LocalDirectory(sessions, settings.crm_url))


@pytest.fixture
def services(db: Database, settings: Settings, clock: FixedClock) -> Services:
    return make_services(db, settings, clock)


@pytest.fixture
def demo(services: Services) -> Services:
    with transaction(services.sessions) as session:
        load_demo(session, services.clock.now())
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


@pytest.fixture(autouse=True)
def _logging_levels_restored() -> Iterator[None]:
    """Code under test may set logging levels (the CLI, benchmarks quieting their output);
    each test starts from the levels the previous one found."""
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level
             for name in ("", *logging.root.manager.loggerDict)}
    yield
    for name, level in saved.items():
        (root if name == "" else logging.getLogger(name)).setLevel(level)
