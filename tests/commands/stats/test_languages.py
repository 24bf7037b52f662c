"""/stats, /calls and /typify in the reader's language: the card's sentences, figure
labels and dates, the chart's labels (which travel in its signed link), the daily report
in the team's language, and the CSV header a person reads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commands.core import Reply, Services
from commands.links import read
from commands.stats.card import CHART_PURPOSE, report_for
from commands.stats.chart import draw
from commands.stats.daily import send_daily_stats
from commands.stats.export import READABLE, csv_rows
from commands.stats.metrics import HEADLINE
from commands.stats.period import parse_period
from integrations.clock import FixedClock
from store import i18n
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.team import people
from tests.conftest import MADRID, T0, Chat


def speaks(services: Services, key: str, language: str) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


def chart_language(reply: Reply, services: Services) -> str | None:
    url = reply.sections[-1].image_url
    assert url is not None
    payload = read(services.settings, CHART_PURPOSE, url.rsplit("/", 1)[1][:-4],
                   services.clock.now())
    assert isinstance(payload, dict)
    language = payload["l"]
    assert language is None or isinstance(language, str)
    return language


# (language, what carla types, the card's first line, figure rows, an agent row,
#  the chart's section title)
CARDS = [
    ("en", "/stats today",
     "Calls today (Mon 23 Nov): 5 offered, 4 answered (80.0 %), 1 abandoned.",
     ["  Answered                                      4 · 80.0 % of offered",
      "  Service level 20 s (of answered)              75.0 %",
      "  ASA (mean wait, answered)                     0:18"],
     "Bruno Agent (212)  1 answered · talk 5 min · AHT 5:00 · paused 45 min (lunch 45 min)"
     " · logged in 0 min",
     "== Calls per hour =="),
    ("ca", "estadístiques avui",
     "Trucades avui (dl. 23 de nov.): 5 ofertes, 4 ateses (80,0 %), 1 abandonada.",
     ["  Ateses                                               4 · 80,0 % de les ofertes",
      "  Nivell de servei 20 s (de les ateses)                75,0 %",
      "  ASA (espera mitjana, ateses)                         0:18"],
     "Bruno Agent (212)  1 atesa · conversa 5 min · AHT 5:00 · en pausa 45 min (dinar 45 min)"
     " · connexió 0 min",
     "== Trucades per hora =="),
    ("es", "estadísticas hoy",
     "Llamadas hoy (lun 23 de nov): 5 ofrecidas, 4 atendidas (80,0 %), 1 abandonada.",
     ["  Atendidas                                                4 · 80,0 % de las ofrecidas",
      "  Nivel de servicio 20 s (de las atendidas)                75,0 %",
      "  ASA (espera media, atendidas)                            0:18"],
     "Bruno Agent (212)  1 atendida · conversación 5 min · AHT 5:00 · en pausa 45 min "
     "(comida 45 min) · conexión 0 min",
     "== Llamadas por hora =="),
    ("pt", "estatísticas hoje",
     "Ligações hoje (seg., 23 de nov.): 5 oferecidas, 4 atendidas (80,0 %), 1 abandonada.",
     ["  Atendidas                                            4 · 80,0 % das oferecidas",
      "  Nível de serviço 20 s (das atendidas)                75,0 %",
      "  ASA (espera média, atendidas)                        0:18"],
     "Bruno Agent (212)  1 atendida · conversa 5 min · AHT 5:00 · em pausa 45 min "
     "(almoço 45 min) · conexão 0 min",
     "== Ligações por hora =="),
]


@pytest.mark.parametrize(("language", "typed", "first", "figures", "agent", "chart"), CARDS)
def test_stats_today_in_the_askers_language(chat: Chat, calls: Services, language: str,
                                            typed: str, first: str, figures: list[str],
                                            agent: str, chart: str) -> None:
    speaks(calls, "carla", language)
    card = chat.say("carla", typed)
    assert card.splitlines()[0] == first
    for row in figures:
        assert row in card.splitlines()
    assert agent in card and chart in card
    assert chat.last is not None
    assert chart_language(chat.last.reply, calls) == language


@pytest.mark.parametrize(("language", "typed", "first"), [
    ("ca", "estadístiques ahir", "Trucades ahir (dg. 22 de nov.): 1 oferta, 1 atesa"),
    ("es", "estadísticas semana", "Llamadas esta semana (desde el lun 23 de nov): 5 ofrecidas"),
    ("pt", "estatísticas mês", "Ligações este mês (desde dom., 1 de nov.): 6 oferecidas"),
    ("ca", "estadístiques 2026-11-20..2026-11-23",
     "Trucades del 20 de nov. 2026 al 23 de nov. 2026: 6 ofertes"),
    ("es", "estadísticas hoy sales", "Llamadas en la cola sales hoy (lun 23 de nov): "
                                     "1 ofrecida, 1 atendida (100,0 %), 0 abandonadas."),
])
def test_period_words_and_labels_in_each_language(chat: Chat, calls: Services, language: str,
                                                  typed: str, first: str) -> None:
    speaks(calls, "carla", language)
    assert chat.say("carla", typed).startswith(first)


def test_mistakes_are_explained_in_the_askers_language(chat: Chat, calls: Services) -> None:
    speaks(calls, "carla", "es")
    reply = chat.say("carla", "estadísticas 2026-12-01")
    assert reply.startswith("2026-12-01 está en el futuro; indica hoy, ayer, semana, mes, "
                            "una fecha (AAAA-MM-DD) o INICIO..FIN.")
    assert "/stats [today|yesterday|" in reply  # the syntax stays as it is typed
    speaks(calls, "alice", "ca")
    assert chat.say("alice", "estadístiques @bruno") == (
        "Els agents veuen els totals de l'equip i les seves pròpies xifres; demana les de "
        "Bruno a un coordinador.")
    speaks(calls, "carla", "pt")
    assert chat.say("carla", "estatísticas billing") == (
        "Nenhuma ligação na fila billing hoje (seg., 23 de nov.). Filas com ligações: sales, "
        "support.")


def test_the_chart_is_labelled_in_the_language_it_is_drawn_in(calls: Services) -> None:
    period = parse_period("today", calls.clock.now(), MADRID)
    hourly = report_for(calls, period, None, agents=False, hourly=True).hourly
    shown = {}
    for language in ("en", "ca", "es", "pt"):
        with i18n.speaking(language):
            figure = draw(hourly, "title")
        axes, level = figure.axes
        shown[language] = (axes.get_xlabel(), axes.get_ylabel(), level.get_ylabel(),
                           [t.get_text() for t in axes.get_legend().get_texts()])
    assert shown["en"] == ("hour", "calls", "service level %",
                           ["answered", "abandoned", "answered within 20 s (% of answered)"])
    assert shown["ca"] == ("hora", "trucades", "nivell de servei %",
                           ["ateses", "abandonades", "ateses en 20 s o menys (% de les ateses)"])
    assert shown["es"][1:3] == ("llamadas", "nivel de servicio %")
    assert shown["pt"][3] == ["atendidas", "abandonadas", "atendidas em até 20 s (% das atendidas)"]


def test_the_daily_report_is_in_the_teams_language(calls: Services, clock: FixedClock) -> None:
    i18n.set_team_language("ca")  # LANGUAGE=ca (the conftest puts English back)
    clock.set(T0.replace(hour=18, minute=30))
    with i18n.speaking("pt"):  # whoever's language the job happens to run in
        assert send_daily_stats(calls) == "daily-stats:2026-11-23"
    with transaction(calls.sessions) as session:
        [message] = session.scalars(select(OutboxMessage)).all()
        reply = Reply.from_dict(message.body)
    assert reply.text == ("Trucades avui (dl. 23 de nov.): 5 ofertes, 4 ateses (80,0 %), "
                          "1 abandonada.")
    assert [s.title for s in reply.sections] == ["Xifres", "Trucades per hora"]
    assert chart_language(reply, calls) == "ca"


def test_the_csv_header_a_person_reads_is_translated_the_machines_is_not(
        calls: Services) -> None:
    assert set(HEADLINE) <= set(READABLE)
    period = parse_period("today", calls.clock.now(), MADRID)
    report = report_for(calls, period, None, agents=False, hourly=True)
    english = csv_rows(report)
    assert english[0][:3] == ["hour", "received", "offered"] and english[-1][0] == "total"
    assert csv_rows(report, readable=True) == english
    with i18n.speaking("ca"):
        assert csv_rows(report) == english  # for programs: the figures' names, always
        readable = csv_rows(report, readable=True)
    assert readable[0][:5] == ["hora", "rebudes", "ofertes", "ateses", "abandonades"]
    assert readable[0][-1] == "taxa d'atenció (%)" and readable[-1][0] == "total"
    assert readable[1:] == english[1:]  # the figures stay numbers; "total" is "total"


def test_calls_and_typify_answer_in_the_askers_language(chat: Chat, demo: Services) -> None:
    speaks(demo, "alice", "ca")
    mine = chat.say("alice", "trucades les meves")
    assert mine.startswith("2 trucades.\n\n== Les teves trucades (les més recents primer) ==")
    assert "[Tipifica 08:00: /typify demo-2]" in mine
    assert chat.say("alice", "trucades 2026-11-22") == (
        "No hi ha cap trucada al teu historial del dg. 22 de nov. 2026.")
    speaks(demo, "alice", "es")
    assert chat.say("alice", "tipificar avería sin luz") == (
        "Llamada demo-2 (llamante no identificado, 08:00) tipificada como Outage (sin luz).")
    speaks(demo, "alice", "pt")
    assert chat.say("alice", "tipificar zzz").startswith(
        "Nenhuma categoria corresponde a 'zzz'. Categorias:")
    assert chat.say("alice", "ligações @nobody").startswith(
        "Não conheço ninguém chamado '@nobody'")
