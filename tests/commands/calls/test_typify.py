"""/typify on the demo: alice's calls demo-1 (Ana, typified "Invoice copy") and
demo-2 (an unknown number, not typified); categories Billing › Invoice copy / Payment,
Contract › New contract / Cancellation, Outage, Other."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commands.calls.typify import match
from commands.core import Services
from store.callers.directory import fold
from store.calls import registry
from store.calls.categories_io import import_categories
from store.calls.registry import CallTypification, TypificationCategory
from store.db import transaction
from tests.conftest import Chat


def typified(services: Services, call_id: str) -> list[tuple[str, str | None]]:
    with transaction(services.sessions) as session:
        call = registry.by_call_id(session, call_id)
        assert call is not None
        rows = registry.typifications_of(session, [call.id]).get(call.id, [])
        return [(category.code, t.comment) for t, category in rows]


def test_typify_the_last_call_by_keyword_with_a_comment(chat: Chat, demo: Services) -> None:
    assert chat.say("alice", "/typify avería sin luz en casa") == (
        "Call demo-2 (unidentified caller, 08:00) typified as Outage (sin luz en casa).")
    assert typified(demo, "demo-2") == [("outage", "sin luz en casa")]
    assert chat.say("alice", "/typify last outage luz ya vuelve") == (
        "Call demo-2 (unidentified caller, 08:00) typification updated: Outage "
        "(luz ya vuelve).")
    assert typified(demo, "demo-2") == [("outage", "luz ya vuelve")]


def test_by_code_name_and_a_named_call(chat: Chat, demo: Services) -> None:
    assert chat.say("alice", "/typify demo-1 new contract") == (
        "Call demo-1 (Acme Energía SL, 07:00) typified as Contract › New contract.")
    assert chat.say("alice", "/typify demo-1 PAYMENT") .endswith("Billing › Payment.")
    assert sorted(typified(demo, "demo-1")) == [
        ("invoice-copy", "sent by email"), ("new-contract", None), ("payment", None)]


def test_several_matches_and_no_category_give_buttons(chat: Chat) -> None:
    choices = chat.say("alice", "/typify con cliente enfadado")
    assert choices == (
        "Call demo-2 (unidentified caller, 08:00): 2 categories match; choose one.\n\n"
        "  [Contract: /typify demo-2 contract cliente enfadado]  "
        "[Contract › New contract: /typify demo-2 new-contract cliente enfadado]")
    menu = chat.say("alice", "/typify")
    assert "[Billing › Invoice copy: /typify demo-2 invoice-copy]" in menu
    assert "[Outage: /typify demo-2 outage]" in menu and "[Billing: " not in menu
    assert chat.say("alice", "/typify zzz").startswith("No category matches 'zzz'.")


def test_only_coordinators_typify_others_calls(chat: Chat, demo: Services) -> None:
    assert chat.say("bruno", "/typify demo-1 other").startswith(
        "That call was not yours; only coordinators typify others' calls.")
    assert chat.say("bruno", "/typify other").startswith(
        "You have no registered calls to typify")
    assert chat.say("carla", "/typify demo-1 other").endswith("typified as Other.")


def test_disabled_categories_are_not_offered(chat: Chat, demo: Services) -> None:
    with transaction(demo.sessions) as session:
        report = import_categories(session, "- {code: other, name: Other}\n")
    assert len(report.disabled) == 7
    assert chat.say("alice", "/typify outage").startswith("No category matches 'outage'.")
    with transaction(demo.sessions) as session:
        assert session.scalars(select(CallTypification)).all()  # history kept


def _match_by_brute_force(categories: list[TypificationCategory], words: list[str]
                          ) -> tuple[list[TypificationCategory], str]:
    """What /typify matched before it folded each word once: every run of first words,
    longest first, folded whole and compared with every category's folded terms."""
    for length in range(len(words), 0, -1):
        wanted = fold(" ".join(words[:length]))
        if not wanted:
            continue
        exact = [c for c in categories
                 if wanted in (fold(c.code), fold(c.name), *(fold(k) for k in c.keywords))]
        if exact:
            return exact, " ".join(words[length:])
    first = fold(words[0]) if words else ""
    if not first:
        return [], ""
    return ([c for c in categories if first in fold(c.name)
             or any(fold(k).startswith(first) for k in c.keywords)], " ".join(words[1:]))


_WORDS = st.text(alphabet=st.sampled_from("abcÁé -·,.ñÑ\u0301ﬁ"), min_size=0, max_size=8)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(terms=st.lists(st.tuples(_WORDS, _WORDS, st.lists(_WORDS, max_size=3)), min_size=1,
                      max_size=5),
       words=st.lists(_WORDS, max_size=8))
def test_matching_folds_each_word_once_and_finds_the_same_categories(
        terms: list[tuple[str, str, list[str]]], words: list[str]) -> None:
    categories = [TypificationCategory(id=n, code=code or f"c{n}", name=name or f"n{n}",
                                       keywords=keywords)
                  for n, (code, name, keywords) in enumerate(terms, start=1)]
    found, comment = match(categories, words)
    expected, expected_comment = _match_by_brute_force(categories, words)
    assert [c.id for c in found] == [c.id for c in expected]
    assert comment == expected_comment
