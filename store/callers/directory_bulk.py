"""Writing many accounts at once, with the ids chosen here: ``executemany`` of plain
tuples on SQLite, COPY on PostgreSQL, a few statements per thousand accounts with their
contacts, phones and the words of names not stored before.

``Writer`` is what every directory import writes new rows with; ``bulk_insert`` writes
whole accounts with it (``switchboard bench lookup`` generates a million contacts so). The
caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from store.callers.directory import (
    DirectoryAccount,
    DirectoryContact,
    name_key,
    name_words,
)

BATCH = 5000  # accounts per round of INSERTs


@dataclass
class NewContact:
    name: str
    phones: list[str]  # E.164
    email: str | None = None


@dataclass
class NewAccount:
    name: str
    phones: list[str] = field(default_factory=list)  # the account's own, E.164
    email: str | None = None
    tax_id: str | None = None  # normalized (store.callers.tax_ids)
    crm_code: str | None = None
    erp_code: str | None = None
    contacts: list[NewContact] = field(default_factory=list)


@dataclass
class BulkCounts:
    accounts: int = 0
    contacts: int = 0


def bulk_insert(session: Session, accounts: Iterable[NewAccount], now: datetime,
                batch: int = BATCH) -> BulkCounts:
    counts = BulkCounts()
    writer = Writer(session, now)
    iterator = iter(accounts)
    while chunk := list(islice(iterator, batch)):
        for account in chunk:
            aid = writer.account(account.name, account.email, account.tax_id,
                                 account.crm_code, account.erp_code)
            writer.phones(account.phones, aid, None)
            for contact in account.contacts:
                cid = writer.contact(aid, contact.name, contact.email)
                writer.phones(contact.phones, aid, cid)
        counts.accounts += len(writer.rows["directory_account"])
        counts.contacts += len(writer.rows["directory_contact"])
        writer.flush()
    writer.finish()
    return counts


_COLUMNS = {
    "directory_account": ("id", "name", "email", "tax_id", "crm_code", "erp_code", "name_key",
                          "updated_at"),
    "directory_contact": ("id", "account_id", "name", "name_key", "email", "updated_at"),
    "directory_phone": ("number", "account_id", "contact_id", "position"),
}


class Writer:
    """New accounts, contacts and phones, buffered as plain tuples and written with the
    driver's fastest bulk path: ``executemany`` on SQLite, ``COPY`` on PostgreSQL (both in
    the session's own transaction); and the words of each name key written for the first
    time (``name``), added unless stored. The ids of new accounts and contacts are chosen
    here, after the highest stored; ``finish`` moves PostgreSQL's sequences past them."""

    def __init__(self, session: Session, now: datetime,
                 stored_names: frozenset[str] | None = None) -> None:
        self.session = session
        connection = session.connection()
        processor = DirectoryAccount.__table__.c.updated_at.type.bind_processor(
            connection.dialect)
        self.now = processor(now) if processor else now
        self.next_account = (session.scalar(select(func.max(DirectoryAccount.id))) or 0) + 1
        self.next_contact = (session.scalar(select(func.max(DirectoryContact.id))) or 0) + 1
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _COLUMNS}
        # Name keys whose words are stored or added. Given every stored one
        # (``stored_names``), the words of others are copied without asking.
        self.named: set[str] = set(stored_names or ())
        self.names_known = stored_names is not None
        self.name_words: list[tuple[str, str]] = []

    def account(self, name: str, email: str | None, tax_id: str | None,
                crm_code: str | None, erp_code: str | None) -> int:
        aid = self.next_account
        self.next_account += 1
        key = name_key(name)
        self.rows["directory_account"].append(
            (aid, name, email, tax_id, crm_code, erp_code, key, self.now))
        self.name(key)
        return aid

    def contact(self, account_id: int, name: str, email: str | None) -> int:
        cid = self.next_contact
        self.next_contact += 1
        key = name_key(name)
        self.rows["directory_contact"].append(
            (cid, account_id, name, key, email, self.now))
        self.name(key)
        return cid

    def name(self, key: str) -> None:
        """The words of a name key an account or contact now bears (added at the next
        flush unless stored already)."""
        if key not in self.named:
            self.named.add(key)
            self.name_words += [(word, key) for word in name_words(key)]

    def phones(self, numbers: Iterable[str], account_id: int, contact_id: int | None) -> None:
        self.rows["directory_phone"] += [(number, account_id, contact_id, position)
                                         for position, number in enumerate(numbers, start=1)]

    def flush(self) -> None:
        """Write what is buffered: accounts first, then what refers to them."""
        for table, columns in _COLUMNS.items():
            if self.rows[table]:
                copy_rows(self.session, table, columns, self.rows[table])
                self.rows[table].clear()
        if self.name_words:
            if self.names_known:
                copy_rows(self.session, "directory_name_word", ("word", "name_key"),
                          self.name_words)
            else:
                _add_name_words(self.session, self.name_words)
            self.name_words = []

    def finish(self) -> None:
        self.flush()
        _advance_sequences(self.session)


def copy_rows(session: Session, table: str, columns: Sequence[str],
              rows: list[tuple[Any, ...]]) -> None:
    """Plain tuples (values as the driver takes them) into ``table``, in the session's
    transaction: COPY on PostgreSQL, ``executemany`` on SQLite."""
    driver: Any = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with driver.cursor() as cursor, \
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    driver.cursor().executemany(
        f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _add_name_words(session: Session, pairs: list[tuple[str, str]]) -> None:
    """(word, name key) pairs into directory_name_word, those stored already left alone:
    one statement of two arrays on PostgreSQL, ``INSERT OR IGNORE`` on SQLite."""
    driver: Any = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        words, keys = zip(*pairs, strict=True)
        with driver.cursor() as cursor:
            cursor.execute(
                "INSERT INTO directory_name_word (word, name_key) "
                "SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING",
                (list(words), list(keys)))
        return
    driver.cursor().executemany(
        "INSERT OR IGNORE INTO directory_name_word (word, name_key) VALUES (?, ?)", pairs)


def _advance_sequences(session: Session) -> None:
    """Ids were chosen here; PostgreSQL's sequences must move past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("directory_account", "directory_contact"):
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
