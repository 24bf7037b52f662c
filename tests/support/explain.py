"""Query plans for the EXPLAIN tests: every query a command runs on a growing table must be
served by an index, on SQLite and on PostgreSQL.

``full_scans(session, stmt)`` runs the database's own EXPLAIN on the statement exactly as
SQLAlchemy compiles it and returns the tables read in full. On PostgreSQL sequential scans
are priced out for the EXPLAIN (``enable_seqscan = off``): on a test-sized table the
planner would rightly prefer one, so the question asked is "is there an index that can
serve this?", which is what matters once the table has grown. On SQLite a scan in primary
key order is reported as a full scan unless ``limited`` says the statement stops early
(``ORDER BY id DESC LIMIT n``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


def plan(session: Session, stmt: Executable) -> list[str]:
    conn = session.connection()
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect,  # type: ignore[attr-defined]
                            compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    values: dict[str, Any] = {
        name: processors[name](value) if name in processors else value
        for name, value in compiled.construct_params().items()}
    if dialect.name == "sqlite":
        args = tuple(values[name] for name in compiled.positiontup or ())
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, args).all()
        return [str(row[3]) for row in rows]
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        rows = conn.exec_driver_sql("EXPLAIN " + compiled.string, values).all()
    finally:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return [str(row[0]) for row in rows]


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
_PG_SEQ = re.compile(r"Seq Scan on (\w+)")


def full_scans(session: Session, stmt: Executable, *, limited: bool = False) -> list[str]:
    """Tables the statement reads row by row, whole; [] when every table is reached by an
    index. The plan is attached to the assertion message by ``assert_indexed``."""
    lines = plan(session, stmt)
    found: list[str] = []
    for line in lines:
        line = line.strip()
        if session.connection().dialect.name == "sqlite":
            match = _SQLITE_SCAN.match(line)
            if match and not limited:
                found.append(match.group(1))
        else:
            found += _PG_SEQ.findall(line)
    return found


def assert_indexed(session: Session, stmt: Executable, *, limited: bool = False) -> None:
    scans = full_scans(session, stmt, limited=limited)
    assert not scans, (f"full scan of {', '.join(scans)}:\n  "
                       + "\n  ".join(plan(session, stmt)))
