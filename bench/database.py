"""A database of its own for one benchmark run, on the kind the configuration names.

``DATABASE_URL`` pointing at SQLite → a new file in a temporary directory (the configured
file is never touched); at PostgreSQL → a new schema in that database, reached through a
URL that pins ``search_path`` to it, and dropped with everything in it afterwards. Either
way the run leaves nothing behind. The database is migrated to the latest revision.
"""

from __future__ import annotations

import secrets
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.settings import Settings
from store import migrate
from store.db import make_engine


@dataclass(frozen=True)
class BenchDatabase:
    backend: str  # sqlite | postgresql
    url: str  # for PostgreSQL it pins the schema (options=-csearch_path=…)
    engine: Engine
    description: str  # what the figures were measured on, e.g. "PostgreSQL 15.2, schema …"


@contextmanager
def bench_database(configured_url: str) -> Iterator[BenchDatabase]:
    """A fresh, migrated database beside the configured one, removed afterwards."""
    backend = make_url(configured_url).get_backend_name()
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = make_engine(url)
            try:
                migrate.upgrade(engine)
                yield BenchDatabase("sqlite", url, engine,
                                    f"SQLite {sqlite3.sqlite_version} (temporary file)")
            finally:
                engine.dispose()
        return
    if backend != "postgresql":
        raise ValueError(f"cannot benchmark on {backend}: SQLite and PostgreSQL only")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(configured_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = schema_url(configured_url, schema)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            yield BenchDatabase("postgresql", url, engine,
                                f"PostgreSQL {version} (schema {schema}, dropped afterwards)")
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def schema_url(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    parsed = make_url(url)
    options = str(parsed.query.get("options") or "")
    pinned = f"{options} -csearch_path={schema}".strip()
    return parsed.update_query_dict({"options": pinned}).render_as_string(hide_password=False)


def bench_settings(base: Settings, database: BenchDatabase) -> Settings:
    """The configuration as given, but on the bench database with the sim PBX, no background
    work and no team spaces: only what is timed runs, and nothing reaches real people. Its
    links are signed with SECRET_KEY, or a key made up for the run (an app refuses to serve
    without one)."""
    return base.replace(database_url=database.url, background_jobs=False, pbx_backend="sim",
                        sim_traffic=False, team_space="", coordinators_space="",
                        secret_key=base.secret_key or secrets.token_urlsafe(32))
