"""Pause reasons YAML: validated as a whole, replacing the set, leaving the log alone."""

from __future__ import annotations

import pytest
import yaml

from commands.core import Services
from store.db import transaction
from store.queue import activity
from store.queue.activity import PAUSE
from store.queue.pause_reasons_io import ImportRejected, export_reasons, import_reasons
from store.team import people
from tests.conftest import T0

GOOD = """\
- {code: break, label: Short break, max_minutes: 10, aliases: [Descanso, cafe]}
- {code: lunch, label: Lunch, max_minutes: 45, aliases: [comida]}
- {code: backoffice, label: Back office, max_minutes: null, aliases: [emails]}
- {code: other}
"""

BAD = """\
- {code: Break, max_minutes: 10}
- {code: lunch, max_minutes: 0, aliases: [comida]}
- {code: lunch, label: Dinner, aliases: [cena]}
- {code: nap, max_minutes: "20", aliases: [Comida], colour: blue}
- {code: snack, max_minutes: true, aliases: snack time}
- just a word
- {label: No code}
"""


def stored(services: Services) -> list[tuple[str, str, int | None, list[str], int]]:
    with transaction(services.sessions) as session:
        return [(r.code, r.label, r.max_minutes, r.aliases, r.position)
                for r in activity.reasons(session)]


def test_a_good_file_replaces_the_set_and_keeps_the_log(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        activity.start(session, alice.id, PAUSE, T0, reason="training", by_id=alice.id)
    with transaction(demo.sessions) as session:
        report = import_reasons(session, GOOD)
    assert (report.created, report.updated, report.unchanged, report.removed) == (
        ["backoffice"], ["break", "lunch", "other"], [], ["training", "meeting"])
    assert stored(demo) == [
        ("break", "Short break", 10, ["descanso", "cafe"], 1),
        ("lunch", "Lunch", 45, ["comida"], 2),
        ("backoffice", "Back office", None, ["emails"], 3),
        ("other", "Other", None, [], 4),
    ]
    with transaction(demo.sessions) as session:
        (row,) = activity.open_activities(session, PAUSE)
        assert row.reason == "training"  # the log still says what it said
        assert activity.find_reason(session, "CAFE") is not None
        assert activity.find_reason(session, "coffee") is None


def test_export_round_trips(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        exported = export_reasons(session)
    assert yaml.safe_load(exported)[1] == {"code": "lunch", "label": "Lunch", "max_minutes": 60,
                                           "aliases": ["comida", "almuerzo", "dinar", "comer",
                                                       "almoço", "almoçar", "almoco"]}
    with transaction(demo.sessions) as session:
        report = import_reasons(session, exported)
        assert export_reasons(session) == exported
    assert len(report.unchanged) == 5 and not (report.created or report.updated or report.removed)


def test_every_mistake_is_named_and_nothing_changes(demo: Services) -> None:
    before = stored(demo)
    with pytest.raises(ImportRejected) as caught, transaction(demo.sessions) as session:
        import_reasons(session, BAD)
    problems = [str(p) for p in caught.value.problems]
    expected = [
        "entry 1 (Break): code: 'Break' is missing or malformed",
        "entry 2 (lunch): max_minutes: 0 is not allowed",
        "entry 4 (nap): colour: unknown field",
        "entry 4 (nap): max_minutes: '20' is not allowed",
        "entry 5 (snack): max_minutes: True is not allowed",
        "entry 5 (snack): aliases: expected a list of words",
        "entry 6: entry: expected a mapping of fields",
        "entry 7: code: None is missing or malformed",
        "entry 3 (lunch): code: duplicate 'lunch', also used by entry 2 (lunch)",
        "entry 4 (nap): aliases: 'comida' already names entry 2 (lunch)",
    ]
    for fragment in expected:
        assert any(p.startswith(fragment) for p in problems), (fragment, problems)
    assert len(problems) == len(expected)
    assert stored(demo) == before


@pytest.mark.parametrize(("text", "why"), [
    ("[]", "at least one pause reason"),
    ("{code: break}", "expected a list of pause reasons"),
    ("- {code: [unclosed", "not valid YAML"),
])
def test_the_file_itself_must_be_a_list(demo: Services, text: str, why: str) -> None:
    with pytest.raises(ImportRejected) as caught, transaction(demo.sessions) as session:
        import_reasons(session, text)
    assert why in str(caught.value.problems[0])
