from commands.core import Command, Context, Reply, Services
from commands.parse import Parser, split_args


def _noop(ctx: Context, services: Services) -> Reply:
    return Reply("")


PAUSE = Command("pause", _noop, "Pause", "/pause [reason]",
                aliases=("pause me", "pausa", "i'm on a break"))
ONSHIFT = Command("onshift", _noop, "Who is on shift", "/onshift", aliases=("who is on shift",))
PARSER = Parser([PAUSE, ONSHIFT])


def test_slash_names_and_plain_phrases_resolve_to_the_same_command() -> None:
    for text in ("/pause lunch", "pause lunch", "Pause me lunch", "pausa lunch",
                 "I’m on a break lunch"):
        parsed = PARSER.parse(text)
        assert parsed is not None, text
        assert parsed.command is PAUSE
        assert parsed.arg_text == "lunch"


def test_the_longest_phrase_wins_and_keeps_the_rest_verbatim() -> None:
    parsed = PARSER.parse("pause me  Doctor's appointment")
    assert parsed is not None and parsed.arg_text == "Doctor's appointment"
    assert split_args(parsed.arg_text) == ("Doctor's", "appointment")


def test_punctuation_around_a_phrase_is_ignored() -> None:
    parsed = PARSER.parse("Who is on shift?")
    assert parsed is not None and parsed.command is ONSHIFT and parsed.arg_text == ""


def test_unknown_text_and_suggestions() -> None:
    assert PARSER.parse("/paws") is None
    assert PARSER.suggestions("/paws", [PAUSE, ONSHIFT]) == ["pause"]
    assert PARSER.suggestions("/paws", [ONSHIFT]) == []


def test_two_commands_cannot_claim_the_same_phrase() -> None:
    import pytest

    other = Command("break", _noop, "", "", aliases=("pausa",))
    with pytest.raises(ValueError, match="pausa"):
        Parser([PAUSE, other])
