"""Text from any door: cleaned once, split in one pass."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.text import clean, split_args, whole_number


def test_clean_drops_nul_controls_and_lone_surrogates_and_normalises() -> None:
    assert clean("hello \ud800 te\x00am\x07") == "hello  team"
    assert clean("Cafe\u0301\r\nok\tgo") == "Café\nok\tgo"


def test_split_args_keeps_quoted_phrases_and_apostrophes() -> None:
    assert split_args('"Team meeting" at 12') == ("Team meeting", "at", "12")
    assert split_args("Doctor's appointment") == ("Doctor's", "appointment")
    assert split_args("'two words' x") == ("two words", "x")
    assert split_args('say "unbalanced') == ("say", '"unbalanced')
    assert split_args("   ") == ()


def test_split_args_on_hostile_input_finishes_and_is_right() -> None:
    """500 kB with a quote took shlex 11–14 s; many unbalanced quotes are the worst case of
    a naive rescan. One pass gives the words."""
    words = split_args("'a " * 170_000)  # quotes pair up: 'a ' + a → "a a"
    assert words == ("a a",) * 85_000
    assert split_args('"' + "x" * 500_000) == ('"' + "x" * 500_000,)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc"),
                                               blacklist_characters="\"'\\"),
                        min_size=1, max_size=8), max_size=8))
def test_split_args_agrees_with_shlex_on_plain_words(words: list[str]) -> None:
    text = " ".join(words)
    assert split_args(text) == tuple(shlex.split(text))


def test_whole_number_means_ascii_digits() -> None:
    assert whole_number("42") == 42
    for odd in ("²", "①", "٣", "-1", "", "9" * 5000, "4 2"):
        assert whole_number(odd) is None
