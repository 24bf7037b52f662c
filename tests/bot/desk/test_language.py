"""The desk speaks its reader's language: the signed-in person's, else the browser's
Accept-Language (the best match among the languages Switchboard speaks), else the team's;
``<html lang>`` says which, and dates are written as that language writes them."""

from __future__ import annotations

import re

import pytest

from commands.core import Services
from store import i18n
from store.db import transaction
from store.team import people
from tests.bot.desk.conftest import Desk


def html_lang(text: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', text)
    assert found, text[:200]
    return found.group(1)


def speaks(demo: Services, key: str, language: str | None, *,
           chat_locale: str | None = None) -> None:
    with transaction(demo.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language
        person.chat_locale = chat_locale


def test_a_catalan_persons_week_page_is_catalan(desk: Desk, demo: Services) -> None:
    speaks(demo, "carla", "ca")
    desk.sign_in("carla")
    page = desk.client.get("/desk/week?start=2026-11-23",
                           headers={"Accept-Language": "es, en;q=0.5"}).text
    assert html_lang(page) == "ca"  # their own choice wins over the browser's
    assert "<h1>Setmana del dl. 23 de nov. 2026</h1>" in page
    assert ">Setmana següent →</a>" in page and ">Tanca la sessió</button>" in page
    assert ">Torn</th>" in page and "dt. 24 de nov." in page
    assert "Week of" not in page and "Sign out" not in page


def test_a_chat_locale_counts_when_the_person_chose_nothing(desk: Desk,
                                                            demo: Services) -> None:
    speaks(demo, "carla", None, chat_locale="pt-BR")
    desk.sign_in("carla")
    page = desk.client.get("/desk/week?start=2026-11-23").text
    assert html_lang(page) == "pt"
    assert "<h1>Semana de seg., 23 de nov. de 2026</h1>" in page


def test_the_browser_chooses_before_anyone_signs_in(desk: Desk) -> None:
    page = desk.client.get("/desk/signin", headers={"Accept-Language": "fr, es-ES;q=0.8"})
    assert html_lang(page.text) == "es"
    assert "<h1>Inicia sesión en el mostrador</h1>" in page.text
    refused = desk.client.get("/desk/board/live", headers={"Accept-Language": "pt-BR"})
    assert refused.status_code == 401
    assert "Você não entrou" in refused.text


@pytest.mark.parametrize("accept", ["", "fr, de;q=0.5"])
def test_otherwise_the_page_is_in_the_teams_language(desk: Desk, accept: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    english = desk.client.get("/desk/signin", headers=headers).text
    assert html_lang(english) == "en" and "<h1>Sign in to the desk</h1>" in english
    i18n.set_team_language("ca")
    catalan = desk.client.get("/desk/signin", headers=headers).text
    assert html_lang(catalan) == "ca" and "<h1>Inicia la sessió al taulell</h1>" in catalan


def test_an_english_reader_gets_the_pages_as_they_were(desk: Desk, demo: Services) -> None:
    speaks(demo, "carla", "en")
    desk.sign_in("carla")
    page = desk.client.get("/desk/week?start=2026-11-23",
                           headers={"Accept-Language": "ca"}).text
    assert html_lang(page) == "en"
    assert "<h1>Week of Mon 23 Nov 2026</h1>" in page and "Tue 24 Nov" in page


def test_what_a_command_answers_on_the_page_is_in_the_readers_language(
        desk: Desk, demo: Services) -> None:
    speaks(demo, "carla", "ca")
    desk.sign_in("carla")
    answer = desk.post("/desk/do", {"command": "nosuch", "args": "", "back": "/desk/board"})
    assert html_lang(answer.text) == "ca"  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "<h1>No s'ha fet</h1>" in text and ">Torna</a>" in text
    assert "No sé què vol dir &#39;nosuch&#39;" in text  # the dispatcher's answer, escaped
