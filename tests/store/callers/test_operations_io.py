"""Operations as data: the defaults can be edited and switched off, never deleted."""

from __future__ import annotations

import pytest

from commands.core import Services
from store.callers import operations
from store.callers.operations import DEFAULTS, fill
from store.callers.operations_io import export_operations, import_operations
from store.db import transaction
from store.imports import ImportRejected


def stored(services: Services) -> list[tuple[str, bool, bool]]:
    with transaction(services.sessions) as session:
        return [(op.code, op.enabled, op.builtin) for op in operations.all_operations(session)]


def load(services: Services, text: str) -> str:
    with transaction(services.sessions) as session:
        return import_operations(session, text).summary()


def test_the_migration_creates_the_default_set(services: Services) -> None:
    with transaction(services.sessions) as session:
        found = [{"code": op.code, "name": op.name, "url": op.url,
                  "asks_detail": op.asks_detail} for op in operations.all_operations(session)]
    assert found == list(DEFAULTS)
    assert [c for c, enabled, builtin in stored(services) if enabled and builtin] == [
        "new-contact", "open-account", "new-ticket", "open-tickets", "new-opportunity",
        "log-note"]


def test_defaults_are_switched_off_not_deleted_and_others_come_and_go(
        services: Services) -> None:
    summary = load(services, """
- {code: log-note, name: Note, url: "/notes/{account_id}", enabled: false}
- {code: invoice, name: Invoice, url: "https://erp.example/i/{detail_code}", asks_detail: true}
""")
    assert summary == ("1 created, 1 updated, 0 unchanged, 0 removed; defaults kept as they "
                       "were: new-contact, open-account, new-ticket, open-tickets, "
                       "new-opportunity")
    assert stored(services)[:2] == [("log-note", False, True), ("invoice", True, False)]
    assert load(services, "- {code: open-account, name: Open, url: \"/a/{account_id}\"}\n") \
        .endswith("1 removed; defaults kept as they were: log-note, new-contact, "
                  "new-ticket, open-tickets, new-opportunity")
    assert [c for c, _, _ in stored(services)] == [
        "open-account", "log-note", "new-contact", "new-ticket", "open-tickets",
        "new-opportunity"]


def test_export_round_trips(services: Services) -> None:
    with transaction(services.sessions) as session:
        exported = export_operations(session)
    assert "builtin: true" in exported
    assert load(services, exported) == "0 created, 0 updated, 6 unchanged, 0 removed"


def test_every_problem_is_named_and_nothing_changes(services: Services) -> None:
    before = stored(services)
    with pytest.raises(ImportRejected) as caught:
        load(services, """
- {code: Bad Code, name: X, url: /x}
- {code: a, url: "ftp://x"}
- {code: b, name: B, url: "/b/{customer}"}
- {code: c, name: C, url: "/c/{detail_code}"}
- {code: d, name: D, url: /d, builtin: true, colour: red}
- {code: a, name: A again, url: /a}
""")
    assert [(p.entry, p.field) for p in caught.value.problems] == [
        ("entry 1 (Bad Code)", "code"), ("entry 2 (a)", "name"), ("entry 2 (a)", "url"),
        ("entry 3 (b)", "url"), ("entry 4 (c)", "asks_detail"), ("entry 5 (d)", "colour"),
        ("entry 5 (d)", "builtin"), ("entry 6 (a)", "code")]
    assert stored(services) == before


def test_fill_quotes_values_and_says_what_is_missing() -> None:
    filled = fill("https://crm/{account_id}?q={detail_code}", {"account_id": "7",
                                                               "detail_code": "a b/c"}, "")
    assert filled.url == "https://crm/7?q=a%20b%2Fc"
    assert fill("/a/{erp_id}", {"erp_id": None}, "https://x").why == (
        "it needs erp_id, which this card does not have")
    assert fill("/a", {}, "https://crm.example/").url == "https://crm.example/a"
    assert "relative" in fill("/a", {}, "").why
