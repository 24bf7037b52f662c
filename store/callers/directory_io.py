"""Directory import from the common dialer CSV format (read and checked in directory_csv).

A row with a ``company`` is a contact of that company's account (the codes and tax id
are the company's); a row without one is a private customer: an account of its own with
its own phones — or, when its name and codes are a company's, that company's own phones.
The whole file is checked first. By default any bad row rejects the file and nothing is
written; with ``skip_bad`` the good rows are imported and the bad ones reported. The first
import into an empty directory is written in bulk (multi-row INSERTs). An
import updates what is already stored (matched by ERP code, CRM code, tax id, else by
name — and for a private customer without codes, by name and a shared phone): importing
the same file twice changes nothing the second time. Empty cells leave stored values as
they are, except phones, which are the row's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.base import update_fields
from store.callers import directory, directory_bulk
from store.callers.directory import DirectoryAccount, DirectoryContact, DirectoryPhone, name_key
from store.callers.directory_bulk import NewAccount, NewContact
from store.callers.directory_csv import Row, account_keys, parse_rows
from store.imports import ImportRejected, Problem

__all__ = ["DirectoryReport", "import_directory", "parse_rows"]


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
            lines = sorted({p.entry for p in self.skipped}, key=_line_number)
            text += f"; {len(lines)} bad rows skipped ({', '.join(lines)})"
        if self.ignored_columns:
            text += "; columns ignored: " + ", ".join(self.ignored_columns)
        return text


def _line_number(entry: str) -> int:
    digits = entry.removeprefix("line ")
    return int(digits) if digits.isdigit() else 0


# ------------------------------------------------------------------------- applying


def import_directory(session: Session, text: str, now: datetime, region: str, *,
                     skip_bad: bool = False) -> DirectoryReport:
    """Validate the whole file, then upsert. The caller owns the transaction."""
    rows, problems, ignored = parse_rows(text, region)
    if problems and not skip_bad:
        raise ImportRejected(problems)
    report = DirectoryReport(skipped=problems, ignored_columns=ignored)
    if directory_bulk.is_empty(session):
        # Nothing stored to match against: write everything in a few multi-row INSERTs.
        counts = directory_bulk.bulk_insert(session, _grouped(rows), now)
        report.accounts_created, report.contacts_created = counts.accounts, counts.contacts
        return report
    for row in rows:
        _apply(session, row, now, report)
    session.flush()
    return report


def _grouped(rows: list[Row]) -> list[NewAccount]:
    """The rows as new accounts, merged the way ``_apply`` would merge them one by one."""
    accounts: dict[tuple[str, ...], NewAccount] = {}
    for row, key in zip(rows, account_keys(rows), strict=True):
        account = accounts.setdefault(key, NewAccount(name=row.company or row.name))
        account.name = row.company or row.name
        for name in ("tax_id", "crm_code", "erp_code"):
            if getattr(row, name):
                setattr(account, name, getattr(row, name))
        if row.company:
            account.contacts.append(NewContact(row.name, list(row.phones), row.email))
        else:
            account.phones = list(row.phones)
            account.email = row.email or account.email
    return list(accounts.values())


def _apply(session: Session, row: Row, now: datetime, report: DirectoryReport) -> None:
    name = row.company or row.name
    account = _find_account(session, row)
    fields = {k: v for k, v in {"name": name, "tax_id": row.tax_id, "crm_code": row.crm_code,
                                "erp_code": row.erp_code, "name_key": name_key(name)}.items()
              if v}
    if not row.company and row.email:
        fields["email"] = row.email
    changed = False
    if account is None:
        account = DirectoryAccount(updated_at=now, **fields)
        session.add(account)
        session.flush()
        report.accounts_created += 1
        directory.set_words(session, account.id, None, name)
        created = True
    else:
        created = False
        renamed = account.name != name
        if update_fields(account, fields):
            account.updated_at = now
            report.accounts_updated += 1
            changed = True
        if renamed:
            directory.set_words(session, account.id, None, name)
    if not row.company:
        if directory.set_phones(session, account.id, None, row.phones) and not created \
                and not changed:
            account.updated_at = now
            report.accounts_updated += 1
            changed = True
        if not created and not changed:
            report.unchanged += 1
        return
    contact = directory.find_contact(session, account.id, name_key(row.name))
    contact_fields = {"name": row.name, "name_key": name_key(row.name)}
    if row.email:
        contact_fields["email"] = row.email
    if contact is None:
        contact = DirectoryContact(account_id=account.id, updated_at=now, **contact_fields)
        session.add(contact)
        session.flush()
        directory.set_words(session, account.id, contact.id, row.name)
        directory.set_phones(session, account.id, contact.id, row.phones)
        report.contacts_created += 1
        return
    contact_changed = update_fields(contact, contact_fields)
    if contact_changed:
        directory.set_words(session, account.id, contact.id, row.name)
    if directory.set_phones(session, account.id, contact.id, row.phones):
        contact_changed = True
    if contact_changed:
        contact.updated_at = now
        report.contacts_updated += 1
    elif not created and not changed:
        report.unchanged += 1


def _find_account(session: Session, row: Row) -> DirectoryAccount | None:
    if row.company or row.erp_code or row.crm_code or row.tax_id:
        return directory.find_account(session, erp_code=row.erp_code, crm_code=row.crm_code,
                                      tax_id=row.tax_id,
                                      name_key=name_key(row.company) if row.company else None)
    # A private customer without codes: the same name and a number in common.
    return session.scalar(
        select(DirectoryAccount)
        .join(DirectoryPhone, DirectoryPhone.account_id == DirectoryAccount.id)
        .where(DirectoryPhone.number.in_(row.phones), DirectoryPhone.contact_id.is_(None),
               DirectoryAccount.name_key == name_key(row.name))
        .order_by(DirectoryAccount.id).limit(1))
