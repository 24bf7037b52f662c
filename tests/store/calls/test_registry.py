"""The registry's queries: the seam for "/stats … by category" counts in SQL."""

from __future__ import annotations

from datetime import timedelta

from commands.core import Services
from store.calls import registry
from store.calls.categories_io import import_categories
from store.calls.registry import CallTypification, RegisteredCall
from store.db import transaction
from tests.conftest import T0


def test_calls_per_category_in_a_period(services: Services) -> None:
    with transaction(services.sessions) as session:
        import_categories(session, "- {code: billing, name: Billing}\n"
                                   "- {code: outage, name: Outage}\n"
                                   "- {code: other, name: Other}\n")
        ids = {c.code: c.id for c in registry.categories(session)}
        for n, (hours, codes) in enumerate([(1, ["billing"]), (2, ["billing", "outage"]),
                                            (3, ["outage"]), (30, ["billing"])]):
            call = RegisteredCall(call_id=f"c{n}", rang_at=T0 + timedelta(hours=hours))
            session.add(call)
            session.flush()
            session.add_all(CallTypification(call_id=call.id, category_id=ids[code], at=T0)
                            for code in codes)
    with transaction(services.sessions) as session:
        counts = registry.counts_by_category(session, T0, T0 + timedelta(days=1))
        assert [(c.code, n) for c, n in counts] == [("billing", 2), ("outage", 2)]
        assert registry.counts_by_category(session, T0 - timedelta(days=2), T0) == []
