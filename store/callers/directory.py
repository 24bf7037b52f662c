"""The local directory: accounts (customers), their contacts, and what finds them fast.

An account is a company or a private customer; it may have phones of its own, and
contacts (people at that company) with theirs. Two lookup tables keep searches off full
scans at a million contacts:

- ``directory_phone``: every number in E.164, with the account and (for a contact's
  number) the contact it belongs to — a lookup by phone is one index probe;
- ``directory_name_word``: every word of every distinct name, folded (lowercase, no
  accents), with the name's key (``name_key``, which accounts and contacts carry, each
  indexed) — a lookup by name is an index range scan of its longest word, the names
  found filtered by their other words, then the owners of those names. Names repeat
  across a directory (first names and surnames, whole names), so a name's words are
  stored once however many people bear it: a million-row import writes a fraction of the
  rows it wrote with a word row per owner (migration 0022; docs/benchmarks.md, issue 19).
  A name nobody bears any more keeps its words; they find nobody.

The phones carry the account's id and the contact's without foreign keys (migration
0021): the directory import is all that writes them, with ids it has just allocated or
read in the same transaction, and nothing deletes an account or a contact; their
``(account_id, contact_id)`` index serves every read and delete of one owner's rows.
Checking each of the millions of rows a large import writes against two tables was a
large share of its time on PostgreSQL. Whatever comes to delete an account or a contact
deletes its phones itself.

Tax ids are stored normalized (``store.callers.tax_ids``); CRM and ERP codes as given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    CompoundSelect,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

WORD_MAX = 32  # characters of a name word kept in the index (longer words are cut)
_NOT_WORD = re.compile(r"[^0-9a-z]+")


NAME_KEY_MAX = 200  # the name_key columns' length


class DirectoryAccount(Base):
    __tablename__ = "directory_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    tax_id: Mapped[str | None] = mapped_column(String(40), index=True)
    crm_code: Mapped[str | None] = mapped_column(String(64), index=True)
    erp_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # Folded name: how an import recognises an account that has no code and no tax id.
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirectoryContact(Base):
    __tablename__ = "directory_contact"
    __table_args__ = (Index("ix_directory_contact_account", "account_id", "name_key"),
                      Index("ix_directory_contact_name_key", "name_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("directory_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX))
    email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirectoryPhone(Base):
    """One number of an account (``contact_id`` NULL) or of one of its contacts."""

    __tablename__ = "directory_phone"
    __table_args__ = (
        Index("ix_directory_phone_number", "number", "account_id", "contact_id"),
        Index("ix_directory_phone_account", "account_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    account_id: Mapped[int]  # directory_account.id (no foreign key: see above)
    contact_id: Mapped[int | None]  # directory_contact.id
    position: Mapped[int] = mapped_column(default=1)


class DirectoryNameWord(Base):
    """One folded word of a name, by the name's key (``name_key``). The primary key
    (word, name_key) is the only index: a prefix of a word is a range of it, and an import
    adds a name's words unless they are there."""

    __tablename__ = "directory_name_word"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - the key is the table

    word: Mapped[str] = mapped_column(String(WORD_MAX), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX), primary_key=True)


# ------------------------------------------------------------------------- folding


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase, accents and punctuation gone, words single-spaced: ``Pérez, Ana`` →
    ``perez ana``. (Names repeat: an import folds each once.)"""
    if text.isascii():
        return " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """A name as it is stored and matched (``fold``), cut to its column: folding can
    lengthen a name (``ﬁ`` → ``fi``, ``ß`` → ``ss``, ``½`` → ``1 2``). Cached as ``fold``
    is (an import asks for each name several times)."""
    return fold(name)[:NAME_KEY_MAX].rstrip()


# A name search reads one index range and checks each name found against the other words:
# the first few words narrow it enough, and a pasted paragraph must not become a filter
# of hundreds of patterns.
QUERY_WORDS_MAX = 8


def name_words(key: str) -> tuple[str, ...]:
    """The index words of folded text (a ``name_key``): its distinct words,
    each cut to WORD_MAX."""
    return tuple(dict.fromkeys(word[:WORD_MAX] for word in key.split()))


def words(text: str) -> list[str]:
    """The distinct index words of a name, in order."""
    return list(name_words(fold(text)))


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # what index words are made of, in order


def _prefix_range(word: str) -> tuple[str, str | None]:
    """[low, high) holding every index word that starts with ``word``: ``ana`` → [ana, anb),
    ``az`` → [az, b). The bound is a word of the same alphabet (never punctuation, which
    some collations skip), so the range is right in SQLite's and PostgreSQL's orders."""
    stem = word
    while stem:
        position = _ALPHABET.find(stem[-1])
        if 0 <= position < len(_ALPHABET) - 1:
            return word, stem[:-1] + _ALPHABET[position + 1]
        stem = stem[:-1]
    return word, None


# ------------------------------------------------------------------------- queries


def phone_matches(number: str, limit: int) -> Select[int, int | None]:
    """(account id, contact id or None) pairs holding ``number``; one index probe."""
    return (select(DirectoryPhone.account_id, DirectoryPhone.contact_id)
            .where(DirectoryPhone.number == number)
            .limit(limit))


def name_matches(query_words: Sequence[str], limit: int) -> CompoundSelect[int, int | None]:
    """(account, contact or None) whose name has a word starting with each query word: the
    names holding the longest query word (a range of the word index), those of them
    whose key has a word starting with each other query word, then the accounts and
    contacts bearing them (by their name_key index). Intersecting every word's range read
    each whole: ``sl`` alone is every company's."""
    cut = sorted(dict.fromkeys(word[:WORD_MAX] for word in query_words), key=len,
                 reverse=True)
    low, high = _prefix_range(cut[0])
    names = select(DirectoryNameWord.name_key).where(DirectoryNameWord.word >= low)
    if high is not None:
        names = names.where(DirectoryNameWord.word < high)
    spaced = literal(" ") + DirectoryNameWord.name_key
    for word in cut[1:]:  # folded words: letters and digits only, nothing LIKE reads
        names = names.where(spaced.like(f"% {word}%"))
    return union_all(
        select(DirectoryAccount.id, cast(null(), Integer).label("contact_id")).where(
            DirectoryAccount.name_key.in_(names)),
        select(DirectoryContact.account_id, DirectoryContact.id).where(
            DirectoryContact.name_key.in_(names)),
    ).limit(limit)


def accounts_where(column: str, value: str, limit: int) -> Select[int]:
    """Ids of accounts whose ``column`` (tax_id, crm_code or erp_code) equals ``value``."""
    attribute = {"tax_id": DirectoryAccount.tax_id, "crm_code": DirectoryAccount.crm_code,
                 "erp_code": DirectoryAccount.erp_code}[column]
    return select(DirectoryAccount.id).where(attribute == value).order_by(
        DirectoryAccount.id).limit(limit)


def accounts_by_id(session: Session, ids: Iterable[int]) -> dict[int, DirectoryAccount]:
    rows = session.scalars(select(DirectoryAccount).where(DirectoryAccount.id.in_(list(ids))))
    return {row.id: row for row in rows}


def first_contacts(account_id: int, limit: int) -> Select[DirectoryContact]:
    """A page of an account's contacts in name order (ix_directory_contact_account)."""
    return (select(DirectoryContact).where(DirectoryContact.account_id == account_id)
            .order_by(DirectoryContact.name_key).limit(limit))


def contacts_by_id(session: Session, ids: Iterable[int]) -> list[DirectoryContact]:
    return list(session.scalars(select(DirectoryContact).where(
        DirectoryContact.id.in_(list(ids)))))


def contact_counts(account_ids: Iterable[int]) -> Select[int, int]:
    return (select(DirectoryContact.account_id, func.count())
            .where(DirectoryContact.account_id.in_(list(account_ids)))
            .group_by(DirectoryContact.account_id))


def own_phones(account_ids: Iterable[int]) -> Select[DirectoryPhone]:
    """The accounts' own numbers (not their contacts'), by ix_directory_phone_account."""
    return (select(DirectoryPhone).where(DirectoryPhone.account_id.in_(list(account_ids)),
                                         DirectoryPhone.contact_id.is_(None))
            .order_by(DirectoryPhone.account_id, DirectoryPhone.position))


def contact_phones(account_ids: Iterable[int], contact_ids: Iterable[int]
                   ) -> Select[DirectoryPhone]:
    """The numbers of these contacts of these accounts, by ix_directory_phone_account."""
    return (select(DirectoryPhone).where(DirectoryPhone.account_id.in_(list(account_ids)),
                                         DirectoryPhone.contact_id.in_(list(contact_ids)))
            .order_by(DirectoryPhone.contact_id, DirectoryPhone.position))


def count_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DirectoryAccount)) or 0


# ------------------------------------------------------------------------- matching


def find_account(session: Session, *, erp_code: str | None, crm_code: str | None,
                 tax_id: str | None, name_key: str | None) -> DirectoryAccount | None:
    """The stored account an import row means: by ERP code, CRM code, tax id, else (when
    ``name_key`` is given) by name."""
    for column, value in ((DirectoryAccount.erp_code, erp_code),
                          (DirectoryAccount.crm_code, crm_code),
                          (DirectoryAccount.tax_id, tax_id)):
        if value:
            found = session.scalar(select(DirectoryAccount).where(column == value).limit(1))
            if found is not None:
                return found
    if name_key is None:
        return None
    return session.scalar(select(DirectoryAccount).where(
        DirectoryAccount.name_key == name_key).order_by(DirectoryAccount.id).limit(1))
