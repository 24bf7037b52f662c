"""switchboard bench lookup on a few contacts: every case timed through the real command
(by phone, and by name over the words of distinct names), the generated contacts removed
afterwards (the figures are measured by running it, not here)."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from bot.cli.main import main
from store.callers.directory import DirectoryAccount
from store.db import make_sessionmaker, transaction
from tests.conftest import Database

CASE = re.compile(r"^(/lookup [^\n]+?) +n=3 +median +[\d.]+ ms  p95 +[\d.]+ ms  max +[\d.]+ ms",
                  re.M)


def test_every_lookup_is_timed_and_the_contacts_are_removed(db: Database) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bench", "lookup", "--contacts", "400", "--rounds", "3"],
                  environ={"DATABASE_URL": db.url, "LOG_LEVEL": "warning"}, out=out, err=err)
    out, err = out.getvalue(), err.getvalue()
    assert status == 0, err + out
    assert CASE.findall(out) == [
        "/lookup PHONE (a contact's mobile)", "/lookup PHONE (an account's landline)",
        "/lookup PHONE (nobody has it)", "/lookup name (a company)",
        "/lookup name (first name and surname)"], out
    with transaction(make_sessionmaker(db.engine)) as session:
        assert session.scalar(select(func.count()).select_from(DirectoryAccount)) == 0
