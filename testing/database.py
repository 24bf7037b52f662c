"""Databases for the tests: SQLite always, PostgreSQL when ``TEST_DATABASE_URL`` names one.

A test that needs a migrated database gets one in a few milliseconds: each process
migrates once (the real Alembic chain) and loads the demo team once per clock reading,
then hands every test a fresh copy.

- SQLite: the migrated (or demo) database is a template file; a test gets its own copy.
- PostgreSQL: each process owns one migrated schema. Between tests its tables are
  truncated (identities restarted), and a demo test gets the demo rows copied back from a
  snapshot schema made once.

Migration tests still start from an empty database (``open_database``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

from bot.delivery.notifier import OutboxNotifier
from bot.settings import Settings
from commands.core import Services
from integrations.clock import FixedClock
from integrations.directory.local import LocalDirectory
from integrations.pbx.sim.backend import SimPbx
from store import migrate
from store.base import Base
from store.db import make_engine, make_sessionmaker, transaction
from store.demo.team import load_demo

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
KEEP = frozenset({"alembic_version"})  # what truncation leaves alone


@dataclass
class Database:
    backend: str
    url: str  # for PostgreSQL it pins the test's schema with ?options=-csearch_path=...
    engine: Engine
    engines: list[Engine] = field(default_factory=list)  # new_engine's, closed with it
    closed: bool = False

    def __post_init__(self) -> None:
        self._guard(self.engine)

    def new_engine(self) -> Engine:
        """Another engine on the same database (a second process, a second replica)."""
        engine = make_engine(self.url)
        self._guard(engine)
        self.engines.append(engine)
        return engine

    def _guard(self, engine: Engine) -> None:
        """Once the test is over its engines connect no more: a thread the test left behind
        cannot write into the next test's database (on PostgreSQL they share a schema)."""
        def refuse(*_: object) -> None:
            if self.closed:
                raise RuntimeError("this test's database is closed")
        event.listen(engine, "do_connect", refuse)

    def close(self) -> None:
        self.closed = True
        for engine in (self.engine, *self.engines):
            engine.dispose()


def _schema_url(schema: str, application: str = "switchboard-tests") -> str:
    joiner = "&" if "?" in PG_URL else "?"
    return (f"{PG_URL}{joiner}options=-csearch_path%3D{schema}"
            f"&application_name={application}")


@contextmanager
def _admin() -> Iterator[Engine]:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        yield admin
    finally:
        admin.dispose()


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
    with _admin() as admin:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _schema_url(schema)
        engine = make_engine(url)
        try:
            yield Database("postgresql", url, engine)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@dataclass
class _SqliteTemplates:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sb-templates-")))
    files: dict[str, Path] = field(default_factory=dict)

    def file(self, demo_at: datetime | None) -> Path:
        key = "migrated" if demo_at is None else f"demo-{demo_at.isoformat()}"
        if key not in self.files:
            path = self.folder / f"{uuid.uuid4().hex}.db"
            if demo_at is None:
                engine = make_engine(f"sqlite:///{path}")
                migrate.upgrade(engine)
            else:
                shutil.copyfile(self.file(None), path)
                engine = make_engine(f"sqlite:///{path}")
                with transaction(make_sessionmaker(engine)) as session:
                    load_demo(session, demo_at)
            engine.dispose()  # the last connection closed checkpoints the WAL into the file
            assert not Path(f"{path}-wal").exists(), "the template's WAL was not checkpointed"
            self.files[key] = path
        return self.files[key]

    @contextmanager
    def database(self, tmp_path: Path, demo_at: datetime | None) -> Iterator[Database]:
        path = tmp_path / "test.db"
        shutil.copyfile(self.file(demo_at), path)
        url = f"sqlite:///{path}"
        database = Database("sqlite", url, make_engine(url))
        try:
            yield database
        finally:
            database.close()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class _PostgresTemplates:
    """One migrated schema per process, reset between tests from snapshot schemas: the
    rows the migrations seed, and the demo team's at each clock reading asked for."""

    schema: str = field(default_factory=lambda: f"w_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    snapshots: dict[str, str] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    restore_sql: dict[str, str] = field(default_factory=dict)
    admin: Engine | None = None
    identities: list[tuple[str, str]] = field(default_factory=list)

    @property
    def application(self) -> str:
        return f"sbtest-{self.schema}"

    @property
    def url(self) -> str:
        return _schema_url(self.schema, self.application)

    def _prepare(self, admin: Engine) -> None:
        if self.tables:
            return
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        engine = make_engine(self.url)
        migrate.upgrade(engine)
        engine.dispose()
        with admin.connect() as conn:
            found = {row[0] for row in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": self.schema})}
            # parents before children; cache_version last, after the triggers that bump it
            ordered = [t.name for t in Base.metadata.sorted_tables if t.name in found]
            rest = sorted(found - set(ordered) - KEEP)
            self.tables = sorted(ordered + rest, key=lambda t: t == "cache_version")
            self.identities = [(table, column) for table, column in conn.execute(text(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "WHERE c.table_schema = :s AND pg_get_serial_sequence("
                "format('%I.%I', c.table_schema, c.table_name), c.column_name) IS NOT NULL"),
                {"s": self.schema}).all()]
        self.snapshots["migrated"] = self._copy(admin, "migrated")

    def _copy(self, admin: Engine, key: str) -> str:
        """The schema's rows, copied into a snapshot schema of their own; returns the SQL
        that puts the schema back to them (one round trip, no TRUNCATE: emptying a few
        small tables row by row is much cheaper than replacing their files)."""
        snapshot = f"{self.schema}_s{len(self.snapshots)}"
        statements = [f'SET search_path TO "{self.schema}"']
        statements += [f'DELETE FROM "{t}"' for t in reversed(self.tables)]
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{snapshot}"'))
            for table in self.tables:
                conn.execute(text(f'CREATE TABLE "{snapshot}"."{table}" AS '
                                  f'SELECT * FROM "{self.schema}"."{table}"'))
                if conn.execute(text(f'SELECT 1 FROM "{snapshot}"."{table}" LIMIT 1')).first():
                    statements.append(f'INSERT INTO "{table}" SELECT * FROM "{snapshot}"."{table}"')
            # identities continue after the snapshot's rows, as after the real inserts
            restarts = []
            for table, column in self.identities:
                top = conn.execute(text(
                    f'SELECT coalesce(max("{column}"), 0) FROM "{snapshot}"."{table}"')).scalar()
                restarts.append(f"setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                                f"{int(top or 0) + 1}, false)")
            if restarts:
                statements.append("SELECT " + ", ".join(restarts))
        self.restore_sql[snapshot] = ";\n".join(statements)
        return snapshot

    def _restore(self, admin: Engine, snapshot: str) -> None:
        """Close what the last test left connected, then put the rows back."""
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :a AND pid <> pg_backend_pid()"),
                {"a": self.application})
            conn.exec_driver_sql(self.restore_sql[snapshot])

    def _snapshot(self, admin: Engine, demo_at: datetime | None) -> str:
        key = "migrated" if demo_at is None else demo_at.isoformat()
        if key not in self.snapshots:
            self._restore(admin, self.snapshots["migrated"])
            engine = make_engine(self.url)
            with transaction(make_sessionmaker(engine)) as session:
                load_demo(session, demo_at)  # type: ignore[arg-type]
            engine.dispose()
            self.snapshots[key] = self._copy(admin, key)
        return self.snapshots[key]

    @contextmanager
    def database(self, demo_at: datetime | None) -> Iterator[Database]:
        if self.admin is None:
            self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_size=1)
        self._prepare(self.admin)
        self._restore(self.admin, self._snapshot(self.admin, demo_at))
        database = Database("postgresql", self.url, make_engine(self.url))
        try:
            yield database
        finally:
            database.close()

    def close(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :a"), {"a": self.application})
            for schema in (self.schema, *self.snapshots.values()):
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()


class Templates:
    """This process's migrated databases, one kind per backend, made on first use."""

    def __init__(self) -> None:
        self._sqlite: _SqliteTemplates | None = None
        self._postgres: _PostgresTemplates | None = None

    @contextmanager
    def migrated(self, backend: str, tmp_path: Path,
                 demo_at: datetime | None = None) -> Iterator[Database]:
        """A migrated database of its own for one test, holding the demo team loaded at
        ``demo_at`` when one is given."""
        if backend == "sqlite":
            self._sqlite = self._sqlite or _SqliteTemplates()
            with self._sqlite.database(tmp_path, demo_at) as database:
                yield database
        else:
            self._postgres = self._postgres or _PostgresTemplates()
            with self._postgres.database(demo_at) as database:
                yield database

    def close(self) -> None:
        for templates in (self._sqlite, self._postgres):
            if templates is not None:
                templates.close()


def make_settings(**env: str) -> Settings:
    """Settings as a deployment has them (a SECRET_KEY of its own: an app can be made),
    with ``env`` over them."""
    return Settings.load(environ={"TIMEZONE": "Europe/Madrid", "BACKGROUND_JOBS": "false",
                                  "SECRET_KEY": "testing-secret-key", **env},
                         app_yaml=None)


def make_services(db: Database, settings: Settings, clock: FixedClock) -> Services:
    sessions = make_sessionmaker(db.engine)
    return Services(sessions=sessions, settings=settings, clock=clock,
                    pbx=SimPbx(sessions, settings.pbx_queue, clock),
                    notifier=OutboxNotifier(settings, clock),
                    directory=LocalDirectory(sessions, settings.crm_url))
