"""Writing call records: one upsert for every source, rollups refreshed in the same breath.

``save_calls`` is the only writer of ``call_record``. It takes every source's calls as
``CallInfo``, keeps callers in E.164 (``PHONE_REGION``; ``store.calls.caller_numbers``), links
the answering extension to its person, inserts what is new, updates what changed and
leaves the rest alone, then rebuilds the hourly rollups of every hour a change touched.
Saving the same facts twice therefore changes nothing, not even the rollups.

Writers are serialised (``callstats.lock_writers``): on PostgreSQL two imports of one
new call cannot both insert it, and two refreshes of one hour cannot interleave.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, Table, any_, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from store.calls.caller_numbers import caller_e164
from store.calls.records import (
    CHUNK,
    CallInfo,
    CallRecord,
    SaveReport,
    check,
    check_source,
    hour_of,
)
from store.stats import rollups
from store.team.people import Person

_VALUE_COLUMNS = ("caller", "dialled", "entered_at", "answered_at", "ended_at", "extension",
                  "person_id", "outcome", "wait_seconds", "talk_seconds", "wrapup_seconds")


def save_calls(session: Session, source: str, calls: Iterable[CallInfo], *, region: str,
               existing: dict[tuple[str, str], dict[str, Any]] | None = None) -> SaveReport:
    """Insert or update each call (the last one given wins for a repeated key).

    ``existing``: what ``stored_rows`` returned for these keys in this transaction, when
    the caller looked already (saves a second look)."""
    check_source(source)
    latest: dict[tuple[str, str], CallInfo] = {}
    for call in calls:
        check(call)
        latest[(call.call_id, call.queue)] = call
    report = SaveReport()
    if not latest:
        return report
    rollups.lock_writers(session)
    persons = extension_owners(session)
    if existing is None:
        existing = stored_rows(session, source, latest)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    hours: dict[int, datetime] = {}

    def bucket(queue: str, when: datetime) -> tuple[str, datetime]:
        number = int(when.timestamp()) // 3600  # whole UTC hours since the epoch
        if number not in hours:
            hours[number] = hour_of(when)
        return queue, hours[number]

    for key, call in latest.items():
        values = _values(call, region, persons)
        old = existing.get(key)
        if old is None:
            values["source"], values["call_id"], values["queue"] = source, call.call_id, call.queue
            inserts.append(values)
            report.hours.add(bucket(call.queue, call.entered_at))
        elif any(old[name] != value for name, value in values.items()):
            values["id"] = old["id"]
            updates.append(values)
            report.hours |= {bucket(call.queue, old["entered_at"]),
                             bucket(call.queue, call.entered_at)}
        else:
            report.unchanged += 1
    if inserts:
        _insert_many(session, inserts)
    for start in range(0, len(updates), CHUNK):
        session.execute(update(CallRecord), updates[start:start + CHUNK])
    report.created, report.updated = len(inserts), len(updates)
    rollups.refresh(session, report.hours)
    return report


_INSERT_COLUMNS = ("source", "call_id", "queue", *_VALUE_COLUMNS)


def _insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """New rows in bulk. On PostgreSQL SQLAlchemy's own executemany already batches them
    into multi-row INSERTs. On SQLite its per-row statement handling was a large part of
    an import's time, so the rows go to the driver's ``executemany`` directly; each value
    still goes through its column type's bind processing for the dialect (the same text
    SQLAlchemy writes: microseconds always)."""
    table = CallRecord.__table__
    assert isinstance(table, Table)
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(conn, table, rows)
        return
    if dialect.name != "sqlite":
        for start in range(0, len(rows), CHUNK * 10):
            conn.execute(table.insert(), rows[start:start + CHUNK * 10])
        return
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in _INSERT_COLUMNS]
    prepared = dialect.identifier_preparer
    columns = ", ".join(prepared.quote(name) for name in _INSERT_COLUMNS)
    marks = ", ".join("?" for _ in _INSERT_COLUMNS)
    # Only the model's own quoted names are in the text; every value is a parameter.
    sql = f"INSERT INTO {prepared.format_table(table)} ({columns}) VALUES ({marks})"  # noqa: S608
    converted = [(name, process) for name, process in zip(_INSERT_COLUMNS, processors,
                                                            strict=True) if process is not None]
    values = []
    for row in rows:
        for name, process in converted:
            row[name] = process(row[name])
        values.append(tuple(row[name] for name in _INSERT_COLUMNS))
    conn.exec_driver_sql(sql, values)


def _copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` in the transaction (psycopg adapts the values:
    aware datetimes, None as NULL), several times faster than batched INSERTs."""
    driver = conn.connection.driver_connection
    assert driver is not None
    columns = ", ".join(f'"{name}"' for name in _INSERT_COLUMNS)
    with driver.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[name] for name in _INSERT_COLUMNS))


def extension_owners(session: Session) -> dict[str, int]:
    """extension → person id, for everyone with an extension (a small table)."""
    return {ext: pid for ext, pid in session.execute(
        select(Person.extension, Person.id).where(Person.extension.is_not(None))) if ext}


def _values(call: CallInfo, region: str, persons: dict[str, int]) -> dict[str, Any]:
    dialled = (call.dialled or "").strip()[:32] or None
    extension = (call.extension or "").strip()[:32] or None
    return {
        "caller": caller_e164(call.caller, region),
        "dialled": caller_e164(dialled, region) or dialled,
        "entered_at": call.entered_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "extension": extension,
        "person_id": persons.get(extension) if extension else None,
        "outcome": call.outcome,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "wrapup_seconds": call.wrapup_seconds,
    }


def stored_rows(session: Session, source: str,
                keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored values of these (call id, queue) keys, as plain dicts (missing: absent)."""
    wanted = set(keys)
    call_ids = sorted({call_id for call_id, _ in wanted})
    dialect = session.get_bind().dialect.name
    step = CHUNK * 10 if dialect == "postgresql" else CHUNK
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(call_ids), step):
        rows = session.execute(stored_query(source, call_ids[start:start + step], dialect))
        for row in rows.mappings():
            key = (row["call_id"], row["queue"])
            if key in wanted:
                found[key] = dict(row)
    return found


def stored_query(source: str, call_ids: list[str], dialect: str = "sqlite") -> Select[Any]:
    """By key. PostgreSQL gets the ids as one array (``= ANY``): an IN list of thousands
    of parameters costs more to send and plan than the lookup itself."""
    columns: list[Any] = [CallRecord.id, CallRecord.call_id, CallRecord.queue,
                          *(getattr(CallRecord, name) for name in _VALUE_COLUMNS)]
    if dialect == "postgresql":
        match = CallRecord.call_id == any_(literal(call_ids, ARRAY(String())))
    else:
        match = CallRecord.call_id.in_(call_ids)
    return select(*columns).where(CallRecord.source == source, match)


def as_info(row: dict[str, Any]) -> CallInfo:
    """A stored row (``stored_rows``) as the CallInfo it was saved from."""
    return CallInfo(call_id=row["call_id"], queue=row["queue"],
                    **{name: row[name] for name in _VALUE_COLUMNS if name != "person_id"})
