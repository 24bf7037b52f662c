"""Query plans for the EXPLAIN tests: every query a command runs on a growing table must be
served by an index, on SQLite and on PostgreSQL.

``full_scans(session, stmt)`` runs the database's own EXPLAIN on the statement exactly as
SQLAlchemy compiles it and returns the tables read in full. On PostgreSQL sequential scans
are priced out for the EXPLAIN (``enable_seqscan = off``): on a test-sized table the
planner would rightly prefer one, so the question asked is "is there an index that can
serve this?", which is what matters once the table has grown. On SQLite any ``SCAN`` (of
the table, or of a whole index) is a full scan unless ``limited`` says the statement stops
early (``ORDER BY id DESC LIMIT n``); only ``SEARCH`` reads a range.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from store.models import Base


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


# "SCAN t", "SCAN t USING INDEX i", "SCAN t USING COVERING INDEX i": every row or every
# index entry is read. Only "SEARCH" reads a range.
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)\b(?! CONSTANT ROWS)")
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
            if match and not limited and match.group(1) in Base.metadata.tables:
                found.append(match.group(1))
        else:
            found += _PG_SEQ.findall(line)
    return found


def assert_indexed(session: Session, stmt: Executable, *, limited: bool = False) -> None:
    scans = full_scans(session, stmt, limited=limited)
    assert not scans, (f"full scan of {', '.join(scans)}:\n  "
                       + "\n  ".join(plan(session, stmt)))


# ----------------------------------------------------------------------- whole functions


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any


def captured(session: Session, run: Callable[[], object]) -> list[Query]:
    """Every SELECT, UPDATE and DELETE ``run`` sends through the session's connection."""
    conn = session.connection()
    seen: list[Query] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               executemany: bool) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "UPDATE", "DELETE"):
            seen.append(Query(statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", record)
    return seen


def plan_sql(session: Session, query: Query) -> list[str]:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query.sql, query.params).all()
        return [str(row[3]) for row in rows]
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        rows = conn.exec_driver_sql("EXPLAIN " + query.sql, query.params).all()
    finally:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return [str(row[0]) for row in rows]


def assert_served(session: Session, run: Callable[[], object], *,
                  limited: bool = False) -> int:
    """Run ``run`` and check every query it sent reaches its rows through an index;
    returns how many queries were checked (a test asserts it is not zero)."""
    queries = captured(session, run)
    sqlite = session.connection().dialect.name == "sqlite"
    for query in queries:
        lines = plan_sql(session, query)
        scans = []
        for line in lines:
            if sqlite:
                match = _SQLITE_SCAN.match(line.strip())
                # A scan of a subquery's or CTE's own rows is not a table read.
                if match and not limited and match.group(1) in Base.metadata.tables:
                    scans.append(match.group(1))
            else:
                scans += _PG_SEQ.findall(line)
        assert not scans, (f"full scan of {', '.join(scans)} in\n  {query.sql}\nplan:\n  "
                           + "\n  ".join(lines))
    return len(queries)
