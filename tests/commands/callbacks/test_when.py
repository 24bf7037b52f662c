"""WHEN as people type it: every accepted form, and nothing else crashes."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.callbacks.when import parse_when, spoken
from commands.core import UsageError
from tests.conftest import MADRID, T0  # Monday 2026-11-23 09:00


@pytest.mark.parametrize("text, expected", [
    ("16:00", datetime(2026, 11, 23, 16, 0, tzinfo=MADRID)),
    ("9:30", datetime(2026, 11, 23, 9, 30, tzinfo=MADRID)),
    ("today 16h30", datetime(2026, 11, 23, 16, 30, tzinfo=MADRID)),
    ("tomorrow 10:30", datetime(2026, 11, 24, 10, 30, tzinfo=MADRID)),
    ("mañana 10.30", datetime(2026, 11, 24, 10, 30, tzinfo=MADRID)),
    ("mon 11:00", datetime(2026, 11, 23, 11, 0, tzinfo=MADRID)),  # still ahead today
    ("mon 08:00", datetime(2026, 11, 30, 8, 0, tzinfo=MADRID)),  # passed: next Monday
    ("fri 11:00", datetime(2026, 11, 27, 11, 0, tzinfo=MADRID)),
    ("viernes 11:00", datetime(2026, 11, 27, 11, 0, tzinfo=MADRID)),
    ("2026-12-01 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=MADRID)),
])
def test_accepted_forms(text: str, expected: datetime) -> None:
    when, used = parse_when(text.split(), T0, MADRID)
    assert when == expected and used == len(text.split())


@pytest.mark.parametrize("text", ["", "someday 10:00", "tomorrow", "25:00", "mon 10",
                                  "2026-02-30 10:00", "tomorrow 10:61"])
def test_refused_forms(text: str) -> None:
    with pytest.raises(UsageError):
        parse_when(text.split(), T0, MADRID)


def test_spoken() -> None:
    assert spoken(T0.replace(hour=16), MADRID, T0) == "today 16:00"
    assert spoken(datetime(2026, 11, 24, 10, 30, tzinfo=MADRID), MADRID, T0) == "tomorrow 10:30"
    assert spoken(datetime(2026, 12, 1, 10, 0, tzinfo=MADRID), MADRID, T0) == "Tue 1 Dec 10:00"


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=3))
def test_anything_else_is_a_usage_error_or_a_time(words: list[str]) -> None:
    try:
        when, used = parse_when(words, T0, MADRID)
    except UsageError:
        return
    assert when.tzinfo is MADRID and 1 <= used <= len(words)
