"""``switchboard bench lookup``: /lookup by phone and by name among a million contacts.

On the configured database (DATABASE_URL — point it at a scratch database): generates
``--contacts`` contacts (default 1,000,000; four per account, each account with a phone of
its own too) with the bulk writer the first directory import uses, refreshes the planner's
statistics, then times ``--rounds`` lookups through the real command — the dispatcher with
its identity check and audit row, the field guessing, the local directory, the card. Only
the lookups are timed. The generated accounts are deleted afterwards unless ``--keep``
(a later run with the same size reuses them).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers
from commands.core import Services, Where
from commands.dispatch import Dispatcher, Incoming
from commands.registry import COMMANDS
from integrations.directory.local import LocalDirectory
from store.callers.directory import (
    DirectoryAccount,
    DirectoryContact,
    DirectoryPhone,
)
from store.callers.directory_bulk import NewAccount, NewContact, bulk_insert
from store.db import transaction
from store.team.people import Person, Role

CONTACTS_PER_ACCOUNT = 4
TARGET_MS = 20.0
MARK = "BENCH-"  # ERP code prefix of the generated accounts
FIRST = ("Ana", "Luis", "Marta", "Pablo", "Carmen", "Jordi", "Lucía", "Hugo", "Elena", "Iker",
         "Sofía", "Mateo", "Nuria", "Raúl", "Aitana", "Bruno", "Paula", "Diego", "Noa", "Álex")
LAST = ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez",
        "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
        "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano")
KINDS = ("Energía", "Logística", "Servicios", "Comercial", "Instalaciones", "Consultores")


def contact_phone(i: int) -> str:
    return f"+346{i:08d}"  # 6xx xxx xxx: Spanish mobiles, one per contact


def account_phone(i: int) -> str:
    return f"+3491{i:07d}"  # 91x xxx xxx: Madrid landlines, one per account


def generate(accounts: int, seed: int = 13) -> Iterator[NewAccount]:
    rng = random.Random(seed)
    contact = 0
    for i in range(accounts):
        people = []
        for _ in range(CONTACTS_PER_ACCOUNT):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
            people.append(NewContact(name, [contact_phone(contact)]))
            contact += 1
        yield NewAccount(name=f"{rng.choice(LAST)} {rng.choice(KINDS)} {i} SL",
                         phones=[account_phone(i)], crm_code=f"C{i}", erp_code=f"{MARK}{i}",
                         contacts=people)


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("lookup", help="/lookup by phone among a million contacts "
                                           "(generated on DATABASE_URL)")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--keep", action="store_true",
                        help="leave the generated contacts for the next run")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if reason := cli.require_migrated():
        return cli.fail(reason)
    services = dataclasses.replace(cli.runtime.services,
                                   directory=LocalDirectory(cli.runtime.services.sessions))
    accounts = max(1, args.contacts // CONTACTS_PER_ACCOUNT)
    engine = cli.runtime.engine
    out = cli.out
    span, reused = _existing(services, accounts), True
    if span is None:
        reused = False
        _remove(services)
        started = time.perf_counter()
        with transaction(services.sessions) as session:
            bulk_insert(session, generate(accounts), services.clock.now())
        out.write(f"generated {accounts * CONTACTS_PER_ACCOUNT:,} contacts in {accounts:,} "
                  f"accounts in {time.perf_counter() - started:.1f} s (not timed below)\n")
        with engine.connect() as conn:  # fresh planner statistics, as production keeps them
            conn.execute(text("ANALYZE"))
            conn.commit()
        span = _existing(services, accounts)
        assert span is not None
    out.write(f"lookup bench on {engine.dialect.name}: {accounts * CONTACTS_PER_ACCOUNT:,} "
              f"contacts{' (reused)' if reused else ''}\n")
    person = _asker(services)
    dispatcher = Dispatcher(COMMANDS, services)
    rng = random.Random(7)
    total = accounts * CONTACTS_PER_ACCOUNT

    def ask(typed: str, check: Check) -> Callable[[], None]:
        def once() -> None:
            result = dispatcher.handle(Incoming("console", person, typed,
                                                Where("console", "console", is_dm=True)))
            if not check(result.outcome, result.reply.text):
                raise RuntimeError(f"{typed!r} answered {result.reply.text[:120]!r}")
        return once

    def starting(expect: str) -> Check:
        return lambda outcome, text: outcome == "ok" and text.startswith(expect)

    def national(number: str) -> str:
        digits = number.removeprefix("+34")
        return f"{digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"

    def mobile() -> tuple[str, Check]:
        return national(contact_phone(rng.randrange(total))), starting("1 account for phone")

    def landline() -> tuple[str, Check]:
        return national(account_phone(rng.randrange(accounts))), starting("1 account for phone")

    def unknown() -> tuple[str, Check]:
        return national(contact_phone(total + rng.randrange(10**6))), starting("Nobody found")

    def found(outcome: str, text: str) -> bool:
        return outcome == "ok" and FOUND_BY_NAME.match(text) is not None

    def company() -> tuple[str, Check]:  # a stored company by its whole name
        account, _contact = _stored(services, span, rng)
        return f"name {account}", found

    def crowd() -> tuple[str, Check]:
        """A contact's first name and first surname: at a million contacts, thousands
        share them (too many results, found by reading past the limit)."""
        _account, contact = _stored(services, span, rng)
        return f"name {' '.join(contact.split()[:2])}", lambda outcome, text: (
            (outcome, text[:16]) == ("failed", "Too many results") or found(outcome, text))

    cases: list[tuple[str, Callable[[], tuple[str, Check]], float | None]] = [
        ("/lookup PHONE (a contact's mobile)", mobile, TARGET_MS),
        ("/lookup PHONE (an account's landline)", landline, None),
        ("/lookup PHONE (nobody has it)", unknown, None),
        ("/lookup name (a company)", company, None),
        ("/lookup name (first name and surname)", crowd, None),
    ]
    failures = 0
    for label, query, target in cases:
        samples = []
        for _ in range(args.rounds):
            typed, check = query()  # (reading a stored name is not timed)
            samples.append(_timed(ask(f"/lookup {typed}", check)))
        failures += _report(out, label, samples, target)
    if not args.keep:
        _remove(services)
    return EXIT_FAILED if failures else EXIT_OK


Check = Callable[[str, str], bool]  # (outcome, reply text): the answer expected
FOUND_BY_NAME = re.compile(r"[1-9][0-9]* accounts? for name ")


def _stored(services: Services, span: tuple[int, int], rng: random.Random) -> tuple[str, str]:
    """A generated account's name and one of its contacts' names."""
    with transaction(services.sessions) as session:
        account_id = rng.randint(*span)
        account = session.get(DirectoryAccount, account_id)
        contact = session.scalar(select(DirectoryContact.name).where(
            DirectoryContact.account_id == account_id).limit(1))
        assert account is not None and contact is not None
        return account.name, contact


def _timed(once: Callable[[], None]) -> float:
    started = time.perf_counter()
    once()
    return (time.perf_counter() - started) * 1000


def _report(out: TextIO, label: str, samples: list[float], target: float | None) -> int:
    ms = sorted(samples)
    median = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    verdict = "" if target is None else \
        f"  target median < {target:.0f} ms: {'met' if median < target else 'MISSED'}"
    line = (f"{label:<40} n={len(ms):<5} median {median:7.2f} ms  p95 {p95:7.2f} ms  "
            f"max {ms[-1]:7.2f} ms{verdict}\n")
    out.write(line)
    return 1 if target is not None and median >= target else 0


def _existing(services: Services, accounts: int) -> tuple[int, int] | None:
    """The id span of the generated accounts, when a previous run left this many."""
    with transaction(services.sessions) as session:
        first = _by_erp(session, f"{MARK}0")
        last = _by_erp(session, f"{MARK}{accounts - 1}")
        beyond = _by_erp(session, f"{MARK}{accounts}")
    if first is None or last is None or beyond is not None:
        return None
    return first, last


def _by_erp(session: Session, code: str) -> int | None:
    return session.scalar(select(DirectoryAccount.id).where(DirectoryAccount.erp_code == code))


def _remove(services: Services) -> None:
    """Delete what a previous run generated (its ids are one contiguous span)."""
    with transaction(services.sessions) as session:
        first = _by_erp(session, f"{MARK}0")
        if first is None:
            return
        step = 1
        while _by_erp(session, f"{MARK}{step}") is not None:
            step *= 2
        low, high = step // 2, step  # the last index is in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            if _by_erp(session, f"{MARK}{middle}") is not None:
                low = middle
            else:
                high = middle
        last = _by_erp(session, f"{MARK}{low}") or first
        for model in (DirectoryPhone, DirectoryContact):  # (names' words stay: shared)
            session.execute(delete(model).where(model.account_id.between(first, last)))
        session.execute(delete(DirectoryAccount).where(DirectoryAccount.id.between(first, last)))


def _asker(services: Services) -> str:
    """An active agent to look up as (one is created when the store has nobody)."""
    with transaction(services.sessions) as session:
        person = session.scalar(select(Person).where(Person.active.is_(True))
                                .order_by(Person.id).limit(1))
        if person is None:
            person = Person(key="bench-agent", name="Bench Agent", role=Role.AGENT.value,
                            groups=[], created_at=services.clock.now())
            session.add(person)
        return person.key
