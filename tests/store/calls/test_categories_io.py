"""Typification categories: a hierarchy by parent code, keywords, colours; left-out
categories are disabled, never deleted."""

from __future__ import annotations

import pytest

from commands.core import Services
from store.calls import registry
from store.calls.categories_io import export_categories, import_categories
from store.db import transaction
from store.imports import ImportRejected

GOOD = """\
- {code: billing, name: Billing, keywords: [Factura, invoice], color: "#36c"}
- {code: copy, name: Invoice copy, parent: billing, keywords: [duplicado]}
- {code: other, name: Other}
"""


def load(services: Services, text: str) -> str:
    with transaction(services.sessions) as session:
        return import_categories(session, text).summary()


def test_import_builds_the_hierarchy_and_round_trips(services: Services) -> None:
    assert load(services, GOOD) == "3 created, 0 updated, 0 unchanged, 0 disabled (not in the file)"
    with transaction(services.sessions) as session:
        found = registry.categories(session)
        by_id = {c.id: c for c in found}
        assert [registry.path(c, by_id) for c in found] == [
            "Billing", "Billing › Invoice copy", "Other"]
        assert found[0].keywords == ["factura", "invoice"] and found[0].color == "#36c"
        exported = export_categories(session)
    assert load(services, exported) == "0 created, 0 updated, 3 unchanged, 0 disabled (not in the file)"
    assert load(services, "- {code: other, name: Other}\n") == (
        "0 created, 1 updated, 0 unchanged, 2 disabled (not in the file)")
    with transaction(services.sessions) as session:
        assert [c.code for c in registry.categories(session, enabled_only=True)] == ["other"]


def test_every_problem_is_named_and_nothing_is_written(services: Services) -> None:
    with pytest.raises(ImportRejected) as caught:
        load(services, """
- {code: a, name: A, parent: b}
- {code: b, name: B, parent: a}
- {code: c, name: C, parent: nowhere, color: blue}
- {code: "", name: D}
- {code: e, keywords: oops, enabled: maybe}
- {code: c, name: C again}
""")
    assert [(p.entry, p.field) for p in caught.value.problems] == [
        ("entry 3 (c)", "color"), ("entry 4", "code"), ("entry 5 (e)", "name"),
        ("entry 5 (e)", "keywords"), ("entry 5 (e)", "enabled"), ("entry 6 (c)", "code"),
        ("entry 1 (a)", "parent"), ("entry 2 (b)", "parent"), ("entry 3 (c)", "parent")]
    with transaction(services.sessions) as session:
        assert registry.categories(session) == []
