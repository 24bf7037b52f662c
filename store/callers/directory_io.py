"""Directory import from the common dialer CSV format (each row checked in directory_csv).

A row with a ``company`` is a contact of that company's account (the codes and tax id
are the company's); a row without one is a private customer: an account of its own with
its own phones — or, when its name and codes are a company's, that company's own phones.
By default any bad row rejects the file and nothing is written; with ``skip_bad`` the good
rows are imported and the bad ones reported. An import updates what is already stored
(matched by ERP code, CRM code, tax id, else by company name — and for a private customer
without codes, by name and a shared phone): importing the same file twice changes nothing
the second time. Empty cells leave stored values as they are, except phones, which are
the row's.

How a million rows go in, in bounded memory (times in docs/benchmarks.md):

1. The file is read as a stream. Each row is checked on its own (``clean_row``, else
   ``DirectoryEntry`` for its problems; by forked workers, a block of lines each, on a
   machine with a core to spare: ``directory_csv.entries``) and given its account group
   (the rows that name one account, ``Groups``); good rows go, a few thousand at a time,
   into a temporary table (``directory_import_rows``, keyed by group and place, dropped at
   the end) — only the group index of each identifier stays in memory.
2. The staged rows are read back a slice of groups at a time, in group order. The rows of
   one account are checked against each other (``clashes``), then merged: the slice's
   stored accounts, contacts and phones are read with a handful of ``IN`` queries (every
   one served by an index: tests/store/callers/test_directory_indexes.py; run by
   ``Driver`` on the driver's cursor, rows as plain tuples; only for values a small
   directory holds, ``_Known``; only what was stored before the import), the rows are
   applied in memory in file order (so the counts are those of applying them one by one),
   and what changed is written: new rows by ``directory_bulk.Writer`` (COPY on
   PostgreSQL), updates and deletions as ``executemany``.
3. A bad row found in either step stops the writing; every problem is still collected,
   and ImportRejected leaves the caller to roll back whatever a slice had written.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from store.callers.directory import (
    DirectoryAccount,
    DirectoryContact,
    DirectoryNameWord,
    DirectoryPhone,
    name_key,
)
from store.callers.directory_bulk import Writer, copy_rows
from store.callers.directory_csv import Row, clashes, entries, parse_rows
from store.collector import collector_relaxed
from store.db import one_at_a_time
from store.imports import ImportRejected, Problem, line_number
from store.workers import spare_cores

__all__ = ["DirectoryReport", "import_directory", "parse_rows"]

STAGE_BATCH = 5000  # rows per write into the staging table
SLICE = 2000  # account groups merged at a time
SQLITE_CACHE_KIB = 64 * 1024  # SQLite's page cache during an import (bounded memory)
SQLITE_STAGING_CACHE_KIB = 16 * 1024  # …and the staging table's (SQLite's temp database)
IN_MAX = 900  # values per IN list (SQLite's default limit is 999 variables on old builds)
# New accounts and contacts after which PostgreSQL's statistics are refreshed, and again
# each time the new ones have doubled.
ANALYZE_FROM = 10_000
# pg_advisory_xact_lock key of directory imports ("SWB-DIRI" in ASCII): two at once would
# choose the same new ids.
IMPORT_LOCK = 0x5357_422D_4449_5249


@dataclass
class DirectoryReport:
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"accounts: {self.accounts_created} created, {self.accounts_updated} updated; "
                f"contacts: {self.contacts_created} created, {self.contacts_updated} updated; "
                f"{self.unchanged} rows unchanged")
        if self.skipped:
            lines = sorted({p.entry for p in self.skipped}, key=line_number)
            text += f"; {len(lines)} bad rows skipped ({', '.join(lines)})"
        if self.ignored_columns:
            text += "; columns ignored: " + ", ".join(self.ignored_columns)
        return text


# ------------------------------------------------------------------------- staging

_STAGING = MetaData()
staged = Table(
    "directory_import_rows", _STAGING,
    # Keyed by (group, place in the file): one B-tree, read a range of groups at a time
    # (WITHOUT ROWID on SQLite, so the key is the table itself).
    Column("grp", Integer, primary_key=True, autoincrement=False),  # the row's account group
    Column("seq", Integer, primary_key=True, autoincrement=False),  # its place in the file
    Column("line", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("phones", Text, nullable=False),  # E.164, comma-separated
    Column("email", Text),
    Column("company", Text),
    Column("tax_id", Text),
    Column("crm_code", Text),
    Column("erp_code", Text),
    prefixes=["TEMPORARY"],
    sqlite_with_rowid=False,
)


def staged_slice(low: Any, high: Any) -> Executable:
    """The staged rows of groups [low, high), a group's rows together in file order."""
    return (select(staged).where(staged.c.grp >= low, staged.c.grp < high)
            .order_by(staged.c.grp, staged.c.seq))  # the primary key's order


class Driver:
    """The import's reads, run on the driver's own cursor: plain tuples back, without
    SQLAlchemy's result rows (a million-row import reads millions of them). Each statement
    is still one of this module's SQLAlchemy builders (the ones the EXPLAIN tests ask
    about), compiled once per shape: an ``IN`` list is padded to a few fixed sizes by
    repeating its last value, which changes nothing it matches. On PostgreSQL the
    statement is compiled with the server's own ``$n`` placeholders and run on psycopg's
    raw cursor, prepared: psycopg would otherwise rewrite the text of a 900-value ``IN``
    on every run."""

    def __init__(self, session: Session, before: Callable[[], None] | None = None) -> None:
        connection = session.connection()
        self.before = before  # called before each statement
        driver: Any = connection.connection.driver_connection
        self.raw = connection.dialect.name == "postgresql"
        if self.raw:
            self.dialect: Any = postgresql.psycopg.dialect(  # type: ignore[no-untyped-call]
                paramstyle="numeric_dollar")
            self.cursor: Any = psycopg.RawCursor(driver)
        else:
            self.dialect = connection.dialect
            self.cursor = driver.cursor()
        self.compiled: dict[tuple[Any, int], tuple[str, tuple[str, ...] | None]] = {}

    def rows(self, builder: Any, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """``builder(values)``'s rows: ``builder`` takes a list of bound parameters."""
        if self.before is not None:
            self.before()
        size = next(size for size in _SIZES if size >= len(values))
        key = (builder, size)
        if key not in self.compiled:
            statement = builder([bindparam(f"v{i}") for i in range(size)])
            compiled = statement.compile(dialect=self.dialect)
            self.compiled[key] = (compiled.string, tuple(compiled.positiontup or ())
                                  if compiled.positional else None)
        sql, order = self.compiled[key]
        padded = [*values, *[values[-1]] * (size - len(values))]
        params: Any = ({f"v{i}": value for i, value in enumerate(padded)} if order is None
                       else tuple(padded[int(name[1:])] for name in order))
        if self.raw:
            self.cursor.execute(sql, params, prepare=True)
        else:
            self.cursor.execute(sql, params)
        return list(self.cursor.fetchall())


_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900)  # the IN lists' sizes (IN_MAX last)


class Groups:
    """Which account each row belongs to, found the way the store finds one: the first of
    its ERP code, CRM code, tax id and company name that an earlier row already gave a
    group, else a new group; every identifier of the row then names that group too. A
    private customer without codes is grouped by name and first number. (The same rule as
    ``directory_csv.account_keys``, one row at a time, keeping an int per identifier.)"""

    def __init__(self) -> None:
        # One map per kind of identifier: ERP code, CRM code, tax id, company name.
        self.known: tuple[dict[str, int], ...] = ({}, {}, {}, {})
        self.people: dict[tuple[str, str], int] = {}
        self.count = 0

    def of(self, row: Row) -> int:
        values = (row.erp_code, row.crm_code, row.tax_id,
                  name_key(row.company) if row.company else None)
        if not any(values):
            key = (name_key(row.name), row.phones[0] if row.phones else "")
            group = self.people.get(key)
            if group is None:
                group = self.people[key] = self.count
                self.count += 1
            return group
        group = None
        for known, value in zip(self.known, values, strict=True):
            if value and group is None:
                group = known.get(value)
        if group is None:
            group = self.count
            self.count += 1
        for known, value in zip(self.known, values, strict=True):
            if value:
                known.setdefault(value, group)
        return group


class _Stage:
    """The temporary table of checked rows (this connection's own, gone at the end)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        connection = session.connection()
        staged.drop(connection, checkfirst=True)
        staged.create(connection)
        self.pending: list[tuple[Any, ...]] = []

    def add(self, seq: int, group: int, row: Row) -> None:
        self.pending.append((group, seq, int(row.line[5:]), row.name, ",".join(row.phones),
                             row.email, row.company, row.tax_id, row.crm_code, row.erp_code))
        if len(self.pending) >= STAGE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            copy_rows(self.session, staged.name, [c.name for c in staged.columns],
                      self.pending)
            self.pending = []

    def slices(self, groups: int) -> Iterator[list[tuple[int, list[Row]]]]:
        """(group, its rows in file order) for every group, ``SLICE`` groups at a time."""
        self.flush()
        driver = Driver(self.session)
        for low in range(0, groups, SLICE):
            result = driver.rows(_slice_of, [low, low + SLICE])
            yield [(group, [_row(r) for r in rows])
                   for group, rows in groupby(result, key=itemgetter(0))]

    def drop(self) -> None:
        staged.drop(self.session.connection(), checkfirst=True)


def _slice_of(bounds: Sequence[Any]) -> Executable:
    return staged_slice(*bounds)


def _row(r: tuple[Any, ...]) -> Row:
    """A staged row (grp, seq, line, name, phones, email, company, tax_id, crm_code,
    erp_code) as the ``Row`` it was."""
    return Row(f"line {r[2]}", r[3], tuple(r[4].split(",")) if r[4] else (), *r[5:])


# ------------------------------------------------------------------------- applying


def import_directory(session: Session, source: str | Iterable[str], now: datetime,
                     region: str, *, skip_bad: bool = False,
                     workers: int | None = None) -> DirectoryReport:
    """Check every row, then add and update. ``source`` is the file's text or its lines
    as they are read (a text file opened with ``newline=""``). ImportRejected lists every
    problem; the caller owns the transaction and rolls it back then. ``workers``: the
    processes that read and check a large file's rows while this one stages them
    (default: one per core, none on one core). One import runs at a time: another waits
    until this one's transaction ends."""
    lines = io.StringIO(source, newline="") if isinstance(source, str) else source
    one_at_a_time(session, IMPORT_LOCK)  # new ids start after the highest stored
    if workers is None:
        spare = spare_cores()
        workers = spare + 1 if spare else 0
    with _roomy_cache(session), collector_relaxed():
        return _import(session, lines, now, region, skip_bad, workers)


@contextmanager
def _roomy_cache(session: Session) -> Iterator[None]:
    """On SQLite, a page cache of ``SQLITE_CACHE_KIB`` for the import: with the default
    2 MB, a transaction that writes hundreds of megabytes of indexes spills and rewrites
    the same pages to the WAL over and over. PostgreSQL has its own shared buffers."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    temporary = connection.exec_driver_sql("PRAGMA temp.cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    connection.exec_driver_sql(f"PRAGMA temp.cache_size=-{SQLITE_STAGING_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")
        connection.exec_driver_sql(f"PRAGMA temp.cache_size={int(temporary or -2000)}")


def _import(session: Session, lines: Iterable[str], now: datetime, region: str,
            skip_bad: bool, workers: int) -> DirectoryReport:
    report = DirectoryReport()
    stage = _Stage(session)
    problems: list[Problem] = []
    groups = Groups()
    for seq, (_label, row, found) in enumerate(entries(lines, region, report.ignored_columns,
                                                       workers=workers)):
        if row is None:
            problems += found
            continue
        stage.add(seq, groups.of(row), row)
    writing = skip_bad or not problems
    merge = _Merge(session, now, report) if writing else None
    clashed: list[Problem] = []
    for chunk in stage.slices(groups.count):
        rows = [row for _, group_rows in chunk for row in group_rows]
        keys = [group for group, group_rows in chunk for _ in group_rows]
        kept, found = clashes(rows, keys)
        clashed += found
        if found and not skip_bad:
            writing = False
        if writing and merge is not None:
            if found:  # only the rows that clash with none before them
                good = {row.line for row in kept}
                chunk = [(group, [r for r in group_rows if r.line in good])
                         for group, group_rows in chunk]
            merge.apply(chunk)
    stage.drop()
    problems += sorted(clashed, key=lambda p: line_number(p.entry))
    if problems and not skip_bad:
        raise ImportRejected(problems)
    if merge is not None:
        merge.finish()
    report.skipped = problems
    return report


@dataclass(eq=False, slots=True)
class _Contact:
    id: int
    name: str
    name_key: str
    email: str | None
    phones: list[str]
    new: bool = False
    dirty: bool = False
    renamed: bool = False
    phones_changed: bool = False


@dataclass(eq=False, slots=True)
class _Account:
    id: int
    name: str
    email: str | None
    tax_id: str | None
    crm_code: str | None
    erp_code: str | None
    name_key: str
    phones: list[str]
    contacts: dict[str, _Contact] = field(default_factory=dict)
    new: bool = False
    dirty: bool = False
    renamed: bool = False
    phones_changed: bool = False


_ACCOUNT_COLUMNS = ("id", "name", "email", "tax_id", "crm_code", "erp_code", "name_key")


def accounts_with(column: str, values: Sequence[str]) -> Executable:
    """Stored accounts whose ``column`` (erp_code, crm_code, tax_id, name_key) is one of
    ``values``."""
    table = DirectoryAccount.__table__
    return select(*(table.c[name] for name in _ACCOUNT_COLUMNS)).where(
        table.c[column].in_(values))


_KEY_COLUMNS = ("erp_code", "crm_code", "tax_id", "name_key")
_ACCOUNTS_WITH = {column: partial(accounts_with, column) for column in _KEY_COLUMNS}


def _key_of(row: Row, place: int) -> str | None:
    """The row's identifier of kind ``_KEY_COLUMNS[place]``."""
    if place == 0:
        return row.erp_code
    if place == 1:
        return row.crm_code
    if place == 2:
        return row.tax_id
    return name_key(row.company) if row.company else None


def holders_of(numbers: Sequence[str]) -> Executable:
    """The accounts whose own numbers (not their contacts') are among ``numbers``, each
    with the number: an index probe per number, then one per account."""
    table = DirectoryAccount.__table__
    return (select(*(table.c[name] for name in _ACCOUNT_COLUMNS), DirectoryPhone.number)
            .join_from(DirectoryPhone, table, table.c.id == DirectoryPhone.account_id)
            .where(DirectoryPhone.number.in_(numbers),
                   DirectoryPhone.contact_id.is_(None)))


def own_phones_of(account_ids: Sequence[int]) -> Executable:
    return (select(DirectoryPhone.account_id, DirectoryPhone.number)
            .where(DirectoryPhone.account_id.in_(account_ids),
                   DirectoryPhone.contact_id.is_(None))
            .order_by(DirectoryPhone.account_id, DirectoryPhone.position))


def contacts_of(account_ids: Sequence[int]) -> Executable:
    """The contacts of these accounts, each with its numbers in order (one row per number,
    one with a NULL number for a contact without any). A group's rows are all in one
    slice, so an account's contacts are read once however many rows name them."""
    contact, phone = DirectoryContact, DirectoryPhone
    return (select(contact.id, contact.account_id, contact.name, contact.name_key,
                   contact.email, phone.number)
            .outerjoin(phone, (phone.account_id == contact.account_id)
                       & (phone.contact_id == contact.id))
            .where(contact.account_id.in_(account_ids))
            .order_by(contact.id, phone.position))


# Statements run once per changed account or contact (executemany, on the Core tables).
_A, _C = cast(Table, DirectoryAccount.__table__), cast(Table, DirectoryContact.__table__)
_P = cast(Table, DirectoryPhone.__table__)
_N = cast(Table, DirectoryNameWord.__table__)
UPDATE_ACCOUNT = (update(_A).where(_A.c.id == bindparam("b_id"))
                  .values(name=bindparam("b_name"), email=bindparam("b_email"),
                          tax_id=bindparam("b_tax_id"), crm_code=bindparam("b_crm_code"),
                          erp_code=bindparam("b_erp_code"), name_key=bindparam("b_name_key"),
                          updated_at=bindparam("b_now")))
UPDATE_CONTACT = (update(_C).where(_C.c.id == bindparam("b_id"))
                  .values(name=bindparam("b_name"), name_key=bindparam("b_name_key"),
                          email=bindparam("b_email"), updated_at=bindparam("b_now")))
DELETE_OWN_PHONES = delete(_P).where(_P.c.account_id == bindparam("b_account"),
                                     _P.c.contact_id.is_(None))
DELETE_CONTACT_PHONES = delete(_P).where(_P.c.account_id == bindparam("b_account"),
                                         _P.c.contact_id == bindparam("b_contact"))


KNOWN_MAX = 100_000  # accounts, phones, name words up to which ``_Known`` reads them whole


def larger_than_known() -> tuple[Executable, ...]:
    """Whether the directory holds more accounts, phones or name words than KNOWN_MAX: each
    a walk of at most that many primary key entries."""
    return tuple(select(*key).order_by(*key).offset(KNOWN_MAX).limit(1)
                 for key in ((_A.c.id,), (_P.c.id,), (_N.c.word, _N.c.name_key)))


def _batches(values: Iterable[Any]) -> Iterator[list[Any]]:
    pending = list(dict.fromkeys(values))
    for start in range(0, len(pending), IN_MAX):
        yield pending[start:start + IN_MAX]


class _Merge:
    """Applies slices of grouped rows to the store, as ``_apply_row`` says row by row."""

    def __init__(self, session: Session, now: datetime, report: DirectoryReport) -> None:
        self.session = session
        self.now = now
        self.report = report
        self.known = _Known.read(session)
        self.driver = Driver(session, self._fresh_statistics)
        self.writer = Writer(session, now, None if self.known is None else self.known.names)
        self.first_ids = self.writer.next_account + self.writer.next_contact
        self.stored_below = self.writer.next_account  # accounts from this id on are new
        self.stale = False  # the tables have doubled since the statistics were refreshed
        self.written = 0  # accounts and contacts created so far
        self.analyzed = ANALYZE_FROM // 2  # …when the statistics were last refreshed

    def apply(self, chunk: list[tuple[int, list[Row]]]) -> None:
        groups = [rows for _, rows in chunk if rows]
        accounts = self._look_up(groups)
        self._load_contacts([(account, rows) for account, rows in zip(
            accounts, groups, strict=True) if account is not None])
        touched: list[_Account] = []
        for found, rows in zip(accounts, groups, strict=True):
            account = found
            for row in rows:
                account = self._apply_row(account, row)
            if account is not None:
                touched.append(account)
        self._write(touched)

    def finish(self) -> None:
        self.writer.finish()
        if self.written >= ANALYZE_FROM:
            self._analyze()

    def _fresh_statistics(self) -> None:
        """Before a look-up: the statistics refreshed if the tables have doubled since
        (an import whose look-ups ask nothing does not stop to refresh them)."""
        if self.stale:
            self.stale = False
            self._analyze()

    def _analyze(self) -> None:
        """Fresh planner statistics on PostgreSQL, whose planner otherwise judges a table
        that grew from a few rows to a million by the few (a generic plan for an ``IN`` of
        900 values then reads the whole table). SQLite's planner takes the indexes
        without statistics."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("ANALYZE directory_account, directory_contact, "
                                      "directory_phone, directory_name_word"))

    # --------------------------------------------------------------------- reading

    def _look_up(self, groups: list[list[Row]]) -> list[_Account | None]:
        """The account stored before the import that each group's rows mean, with its own
        phones: the first found by ERP code, then CRM code, tax id, company name (in the
        rows' order each); a private customer without codes by its name and one of its
        numbers. Each kind of identifier is asked only for the groups still without an
        account, and only for values the directory may hold (``_Known``). Accounts this
        import created are not matched: the rows of one account are one group already, so
        what a row is matched with does not depend on where slices begin."""
        rows = self.driver.rows
        known = self.known
        accounts: dict[int, _Account] = {}
        found: list[_Account | None] = [None] * len(groups)

        def keep(r: tuple[Any, ...]) -> _Account | None:
            if r[0] >= self.stored_below:
                return None
            account = accounts.get(r[0])
            if account is None:
                account = accounts[r[0]] = _Account(r[0], r[1], r[2], r[3], r[4], r[5],
                                                    r[6], [])
            return account

        for place, column in enumerate(_KEY_COLUMNS):
            open_groups = [i for i, account in enumerate(found) if account is None]
            values = [value for i in open_groups for r in groups[i]
                      if (value := _key_of(r, place))]
            if known is not None:
                values = [value for value in values if value in known.keys[place]]
            index: dict[str, _Account] = {}
            at = _ACCOUNT_COLUMNS.index(column)
            for batch in _batches(values):
                for r in rows(_ACCOUNTS_WITH[column], batch):
                    if (account := keep(r)) is not None:
                        _first(index, r[at], account)
            if not index:
                continue
            for i in open_groups:
                found[i] = next((index[value] for r in groups[i]
                                 if (value := _key_of(r, place)) and value in index), None)
        people = [i for i, account in enumerate(found) if account is None and not any(
            r.company or r.erp_code or r.crm_code or r.tax_id for r in groups[i])]
        numbers = [number for i in people for r in groups[i] for number in r.phones
                   if known is None or number in known.numbers]
        by_person: dict[tuple[str, str], _Account] = {}
        for batch in _batches(numbers):
            for r in rows(holders_of, batch):
                if (account := keep(r)) is not None:
                    _first(by_person, (account.name_key, r[7]), account)
        if by_person:
            for i in people:
                found[i] = next((by_person[(name_key(r.name), number)] for r in groups[i]
                                 for number in r.phones
                                 if (name_key(r.name), number) in by_person), None)
        chosen = {account.id: account for account in found if account is not None}
        for batch in _batches(chosen):
            for account_id, number in rows(own_phones_of, batch):
                chosen[account_id].phones.append(number)
        return found

    def _load_contacts(self, resolved: list[tuple[_Account, list[Row]]]) -> None:
        """The stored contacts the rows name, each under the account its group means."""
        wanted = {(account.id, name_key(row.name)) for account, rows in resolved
                  for row in rows if row.company}
        by_account = {account.id: account for account, _ in resolved}
        contacts: dict[int, _Contact] = {}
        rows = self.driver.rows
        for batch in _batches(account_id for account_id, _ in wanted):
            for contact_id, account_id, name, key, email, number in rows(contacts_of, batch):
                contact = contacts.get(contact_id)
                if contact is None:
                    if (account_id, key) not in wanted:
                        continue
                    contact = contacts[contact_id] = _Contact(contact_id, name, key, email, [])
                    by_account[account_id].contacts.setdefault(key, contact)
                if number is not None:
                    contact.phones.append(number)

    # --------------------------------------------------------------------- applying

    def _apply_row(self, account: _Account | None, row: Row) -> _Account:
        """One row, counted as the row-by-row import always counted it."""
        report = self.report
        name = row.company or row.name
        key = name_key(name)
        email = None if row.company else row.email  # a contact's email is the contact's
        changed = created = False
        if account is None:
            account = _Account(0, name, email, row.tax_id, row.crm_code, row.erp_code, key,
                               [], new=True)
            report.accounts_created += 1
            created = True
        else:
            # The row's non-empty values over the stored ones (empty cells keep them).
            renamed = account.name != name
            if renamed:
                account.name = name
                account.renamed = True
            if row.tax_id and account.tax_id != row.tax_id:
                account.tax_id = row.tax_id
                changed = True
            if row.crm_code and account.crm_code != row.crm_code:
                account.crm_code = row.crm_code
                changed = True
            if row.erp_code and account.erp_code != row.erp_code:
                account.erp_code = row.erp_code
                changed = True
            if key and account.name_key != key:
                account.name_key = key
                changed = True
            if email and account.email != email:
                account.email = email
                changed = True
            if changed or renamed:
                account.dirty = True
                report.accounts_updated += 1
                changed = True
        if not row.company:
            if account.phones != list(row.phones):
                account.phones = list(row.phones)
                account.phones_changed = True
                if not created and not changed:
                    account.dirty = True
                    report.accounts_updated += 1
                    changed = True
            if not created and not changed:
                report.unchanged += 1
            return account
        key = name_key(row.name)
        contact = account.contacts.get(key)
        if contact is None:
            account.contacts[key] = _Contact(0, row.name, key, row.email, list(row.phones),
                                             new=True)
            report.contacts_created += 1
            return account
        contact_changed = False
        if contact.name != row.name:
            contact.name = row.name
            contact.renamed = contact_changed = True
        if contact.name_key != key:
            contact.name_key = key
            contact_changed = True
        if row.email and contact.email != row.email:
            contact.email = row.email
            contact_changed = True
        if contact.phones != list(row.phones):
            contact.phones = list(row.phones)
            contact.phones_changed = True
            contact_changed = True
        if contact_changed:
            contact.dirty = True
            report.contacts_updated += 1
        elif not created and not changed:
            report.unchanged += 1
        return account

    # --------------------------------------------------------------------- writing

    def _write(self, accounts: list[_Account]) -> None:
        writer = self.writer
        account_updates: list[dict[str, Any]] = []
        contact_updates: list[dict[str, Any]] = []
        own_phones: list[dict[str, Any]] = []
        contact_phones: list[dict[str, Any]] = []
        for account in dict.fromkeys(accounts):  # an account two groups found: once
            if account.new:
                account.id = writer.account(account.name, account.email, account.tax_id,
                                            account.crm_code, account.erp_code)
                account.new = False
                writer.phones(account.phones, account.id, None)
            else:
                if account.dirty:
                    account_updates.append({
                        "b_id": account.id, "b_name": account.name, "b_email": account.email,
                        "b_tax_id": account.tax_id, "b_crm_code": account.crm_code,
                        "b_erp_code": account.erp_code, "b_name_key": account.name_key,
                        "b_now": self.now})
                if account.phones_changed:
                    own_phones.append({"b_account": account.id})
                    writer.phones(account.phones, account.id, None)
                if account.renamed:
                    writer.name(account.name_key)
            account.dirty = account.phones_changed = account.renamed = False
            for contact in account.contacts.values():
                if contact.new:
                    contact.id = writer.contact(account.id, contact.name, contact.email)
                    contact.new = False
                    writer.phones(contact.phones, account.id, contact.id)
                elif contact.dirty:
                    contact_updates.append({
                        "b_id": contact.id, "b_name": contact.name,
                        "b_name_key": contact.name_key, "b_email": contact.email,
                        "b_now": self.now})
                    if contact.phones_changed:
                        contact_phones.append({"b_account": account.id,
                                               "b_contact": contact.id})
                        writer.phones(contact.phones, account.id, contact.id)
                    if contact.renamed:
                        writer.name(contact.name_key)
                contact.dirty = contact.phones_changed = contact.renamed = False
        session = self.session
        for statement, params in ((UPDATE_ACCOUNT, account_updates),
                                  (UPDATE_CONTACT, contact_updates),
                                  (DELETE_OWN_PHONES, own_phones),
                                  (DELETE_CONTACT_PHONES, contact_phones)):
            if params:
                session.execute(statement, params)
        writer.flush()
        self.written = writer.next_account + writer.next_contact - self.first_ids
        if self.written >= 2 * self.analyzed:  # the tables doubled: look again
            self.stale = True
            self.analyzed = self.written


@dataclass(frozen=True, slots=True)
class _Known:
    """What a small directory held before the import: every account's ERP code, CRM code,
    tax id and name key (``keys``, in ``_KEY_COLUMNS`` order), every account's own number
    and every name whose words are stored. With them the look-ups ask the database only
    for values it holds (a first import into an empty or small directory asks nothing),
    and the words of other names are written without asking whether they are there. A
    larger directory is not read whole (``read`` gives None, and every value is asked)."""

    keys: tuple[frozenset[str], ...]
    numbers: frozenset[str]
    names: frozenset[str]

    @classmethod
    def read(cls, session: Session) -> _Known | None:
        if any(session.scalar(probe) is not None for probe in larger_than_known()):
            return None
        accounts = session.execute(select(*(_A.c[column] for column in _KEY_COLUMNS))).all()
        numbers = session.scalars(select(_P.c.number).where(_P.c.contact_id.is_(None)))
        names = session.scalars(select(_N.c.name_key).distinct())
        return cls(tuple(frozenset(v for v in values if v) for values in zip(
            *accounts, strict=True)) if accounts else (frozenset(),) * len(_KEY_COLUMNS),
            frozenset(numbers), frozenset(names))


def _first(index: dict[Any, _Account], key: Any, account: _Account) -> None:
    """Keep the lowest id for a key (the row-by-row import took the first stored)."""
    current = index.get(key)
    if current is None or account.id < current.id:
        index[key] = account
