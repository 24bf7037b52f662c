"""Mentions in replies: native on each platform, the name where the person has no linked
account there, and everything else still escaped."""

from __future__ import annotations

from bot.render.google import render_message as google
from bot.render.slack import render_message as slack
from bot.render.text import render_text
from commands.core import Mention, Reply, Section

ANA = Mention("ana", "Ana Puig", google_id="users/111", slack_id="U0ANA")
BOB = Mention("bob", "Bob <b>Ruiz</b>")  # no linked account anywhere


def reply() -> Reply:
    text = f"Coming in: {ANA.token} & {BOB.token} <@UEVIL> <!channel> <users/all>"
    return Reply(text, (Section(title=f"Line of {ANA.token}", rows=((BOB.token, "T1"),)),),
                 mentions=(ANA, BOB))


def test_google_chat_mentions_users_and_defuses_the_rest() -> None:
    message = google(reply())
    assert message["text"] == ("Coming in: <users/111> & Bob <b>Ruiz</b> <@UEVIL> <!channel> "
                               "<\u200busers/all>")
    section = message["cardsV2"][0]["card"]["sections"][0]
    assert section["header"] == "Line of Ana Puig"  # cards cannot mention: the name
    row = section["widgets"][0]["decoratedText"]
    assert row["topLabel"] == "Bob &lt;b&gt;Ruiz&lt;/b&gt;"


def test_slack_mentions_users_and_escapes_the_rest() -> None:
    message = slack(reply())
    assert message["text"] == ("Coming in: <@U0ANA> &amp; Bob &lt;b&gt;Ruiz&lt;/b&gt; "
                               "&lt;@UEVIL&gt; &lt;!channel&gt; &lt;users/all&gt;")
    assert message["blocks"][0]["text"]["text"] == message["text"]
    assert message["blocks"][1]["text"]["text"] == "Line of Ana Puig"
    assert message["blocks"][2]["fields"][0]["text"] == "*Bob &lt;b&gt;Ruiz&lt;/b&gt;*\nT1"


def test_the_console_shows_keys() -> None:
    assert render_text(reply()).splitlines()[0] == (
        "Coming in: @ana & @bob <@UEVIL> <!channel> <users/all>")


def test_a_token_for_someone_unlisted_and_stray_sentinels() -> None:
    odd = Reply("Hi \ue000zoe\ue001, \ue000 and \ue001 are dropped")
    assert render_text(odd) == "Hi @zoe,  and  are dropped"
    assert Reply.from_dict(reply().to_dict()) == reply()
