"""The capacity loader: any document is either a plan or a list of problems, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from store.callbacks.capacity_io import Plan, dump_yaml, interval_key, parse_plan
from store.imports import ImportRejected

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 3000), st.text(max_size=8),
                    st.sampled_from(["09:00", "10:30", "mon", "standard", "normal",
                                     "2026-12-24", "closed", "soporte"]))
documents: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["templates", "weekly", "queues", "campaigns",
                                         "overrides", "standard", "normal", "soporte",
                                         "schedule", "date", "queue", "closed", "template",
                                         "mon", "09:00"]), inner, max_size=5)),
    max_leaves=20)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(documents)
def test_any_document_is_a_plan_or_problems(data: Any) -> None:
    try:
        plan = parse_plan(dump_yaml(data))
    except ImportRejected as exc:
        assert exc.problems and all(p.why for p in exc.problems)
        return
    assert isinstance(plan, Plan)
    for slots in plan.templates.values():
        assert all(interval_key(k) == k for k in slots)


def test_interval_keys() -> None:
    assert interval_key("9:30") == "09:30" and interval_key(630) == "10:30"
    assert interval_key("09:15") is None and interval_key(True) is None
    assert interval_key("24:00") is None
