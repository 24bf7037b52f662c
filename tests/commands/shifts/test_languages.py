"""Shifts in the reader's language: /onshift and /shifts answer the asker in theirs, with
argument words and dates in it; the shift change tells the team space in the team's
language (one message, mentioning people) and each incoming agent in their own; the
coordinators' messages and the calendar feed follow the same rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.render.text import render_text
from commands.core import Reply, Services
from commands.shifts.calendar_feed import build_feed
from commands.shifts.change import notice, set_queue
from commands.shifts.holidays import warn_week
from integrations.clock import FixedClock
from integrations.pbx.sim.backend import SimPbx
from store import i18n
from store.db import reading, transaction
from store.messaging.outbox import OutboxMessage
from store.team import people
from testing.timetable import import_week
from tests.commands.shifts.test_holidays import MONDAY
from tests.commands.shifts.test_holidays import WEEK as HOLIDAY_WEEK
from tests.conftest import MADRID, T0, Chat, make_settings

# T0 is Monday 23 Nov 2026, 09:00. Tuesday's turn 1: Hana (T1), Alice (T2); turn 2:
# Bruno (T1), Chen (T2). Monday's turn 2: Chen, Diego. Monday 7 Dec has no timetable.
ONSHIFT = {
    "ca": [
        ("qui hi ha de torn demà a les 09:30",
         "De torn: dt. 24 de nov., torn 1 (09:00–10:15): Hana Agent, Alice Agent.",
         "== Torn 1 · 09:00–10:15 (graella) ==\n  Hana Agent (T1)   previst"),
        ("qui hi ha de torn divendres",
         "Torns de dv. 27 de nov. 2026: 4 torns (torns de 09:00 a 14:00).",
         "== Torn 3 · 11:30–12:45 ==\n  Chen Agent (T1)   previst"),
        ("qui hi ha de torn el següent",
         "Torn següent: avui, torn 2 (10:15–11:30): Chen Agent, Diego Agent.", ""),
        ("qui hi ha de torn ara",
         "De torn ara: avui, torn 1 (09:00–10:15): Alice Agent, Bruno Agent.",
         "== No connectats ==\nAlice Agent (T1): no és a la cua"),
        ("qui hi ha de torn 2026-12-07 a les 10:00",
         "De torn: dl. 7 de des., torn 1 (09:00–10:15). No hi ha ningú previst en aquest "
         "torn.", ""),
        ("qui hi ha de torn a les 21:30",
         "Ningú no és de torn el dl. 23 de nov., 21:30: és fora dels torns (torns de 09:00 a "
         "14:00).", ""),
        ("qui hi ha de torn 2026-12-08 a les 10:00",
         "El dt. 8 de des. no hi ha servei: Immaculada Concepció (festiu). No hi ha ningú de "
         "torn.", ""),
    ],
    "es": [
        ("quién está de turno mañana a las 09:30",
         "De turno: mar 24 de nov, turno 1 (09:00–10:15): Hana Agent, Alice Agent.",
         "== Turno 1 · 09:00–10:15 (cuadrante) ==\n  Hana Agent (T1)   previsto"),
        ("quién está de turno viernes",
         "Turnos del vie 27 de nov de 2026: 4 turnos (turnos de 09:00 a 14:00).",
         "== Turno 3 · 11:30–12:45 ==\n  Chen Agent (T1)   previsto"),
        ("quién está de turno el siguiente",
         "Próximo turno: hoy, turno 2 (10:15–11:30): Chen Agent, Diego Agent.", ""),
        ("quien esta de turno ahora",
         "De turno ahora: hoy, turno 1 (09:00–10:15): Alice Agent, Bruno Agent.",
         "== No conectados ==\nAlice Agent (T1): no está en la cola"),
        ("quién está de turno 2026-12-07 a las 10:00",
         "De turno: lun 7 de dic, turno 1 (09:00–10:15). No hay nadie previsto en este turno.",
         ""),
        ("quién está de turno a las 21:30",
         "Nadie está de turno el lun 23 de nov, 21:30: es fuera de los turnos (turnos de "
         "09:00 a 14:00).", ""),
        ("quién está de turno 2026-12-08 a las 10:00",
         "El mar 8 de dic no hay servicio: Inmaculada Concepción (festivo). No hay nadie de "
         "turno.", ""),
    ],
    "pt": [
        ("quem está de turno amanhã às 09:30",
         "De turno: ter., 24 de nov., turno 1 (09:00–10:15): Hana Agent, Alice Agent.",
         "== Turno 1 · 09:00–10:15 (escala) ==\n  Hana Agent (T1)   previsto"),
        ("quem está de turno sexta",
         "Turnos de sex., 27 de nov. de 2026: 4 turnos (turnos das 09:00 às 14:00).",
         "== Turno 3 · 11:30–12:45 ==\n  Chen Agent (T1)   previsto"),
        ("quem está de turno o próximo",
         "Próximo turno: hoje, turno 2 (10:15–11:30): Chen Agent, Diego Agent.", ""),
        ("quem está de turno agora",
         "De turno agora: hoje, turno 1 (09:00–10:15): Alice Agent, Bruno Agent.",
         "== Não conectados ==\nAlice Agent (T1): não está na fila"),
        ("quem está de turno 2026-12-07 às 10:00",
         "De turno: seg., 7 de dez., turno 1 (09:00–10:15). Ninguém previsto neste turno.",
         ""),
        ("quem está de turno às 21:30",
         "Ninguém está de turno em seg., 23 de nov., 21:30: é fora dos turnos (turnos das "
         "09:00 às 14:00).", ""),
        ("quem está de turno 2026-12-08 às 10:00",
         "O dia ter., 8 de dez. não tem atendimento: Immaculate Conception (feriado). "
         "Ninguém está de turno.", ""),
    ],
    "en": [
        ("who is on shift tomorrow at 09:30",
         "On shift: Tue 24 Nov, turn 1 (09:00–10:15): Hana Agent, Alice Agent.",
         "== Turn 1 · 09:00–10:15 (timetable) ==\n  Hana Agent (T1)   planned"),
        ("who is on shift friday",
         "Shifts on Fri 27 Nov 2026: 4 turns (turns from 09:00 to 14:00).",
         "== Turn 3 · 11:30–12:45 ==\n  Chen Agent (T1)   planned"),
        ("who is on shift next",
         "Next turn: today, turn 2 (10:15–11:30): Chen Agent, Diego Agent.", ""),
        ("who is on shift now",
         "On shift now: today, turn 1 (09:00–10:15): Alice Agent, Bruno Agent.",
         "== Not connected ==\nAlice Agent (T1): not in the queue"),
        ("who is on shift 2026-12-07 at 10:00",
         "On shift: Mon 07 Dec, turn 1 (09:00–10:15). Nobody is planned on this turn.", ""),
        ("who is on shift at 21:30",
         "Nobody is on shift at Mon 23 Nov 21:30: it is outside the turns (turns from 09:00 "
         "to 14:00).", ""),
        ("who is on shift 2026-12-08 at 10:00",
         "Tue 08 Dec has no service: Immaculate Conception (public holiday). Nobody is on "
         "shift.", ""),
    ],
}


def speaks(services: Services, key: str, language: str | None) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


@pytest.mark.parametrize("language", ["ca", "es", "pt", "en"])
def test_who_is_on_shift_in_the_askers_language(chat: Chat, demo: Services,
                                                language: str) -> None:
    import_week(demo)
    speaks(demo, "elena", language)
    for asked, first_line, body in ONSHIFT[language]:
        reply = chat.say("elena", asked)
        assert chat.last is not None and chat.last.ok, reply
        assert reply.splitlines()[0] == first_line, asked
        assert body in reply, (asked, reply)


@pytest.mark.parametrize(("language", "asked", "expected"), [
    ("ca", "els meus torns la setmana vinent",
     ("La setmana del dl. 30 de nov. tens 8 torns.", "== Setmana del 30 de nov. 2026 ==",
      "dl. 30 de nov.  09:00–10:15 · línia T1")),
    ("es", "mis turnos la semana próxima",
     ("Tienes 8 turnos en la semana del lun 30 de nov.", "== Semana del 30 de nov de 2026 ==",
      "lun 30 de nov  09:00–10:15 · línea T1")),
    ("pt", "meus turnos na próxima semana",
     ("Na semana de seg., 30 de nov., você tem 8 turnos.",
      "== Semana de 30 de nov. de 2026 ==", "seg., 30 de nov.  09:00–10:15 · linha T1")),
    ("en", "my shifts next week",
     ("You have 8 turns in the week of Mon 30 Nov.", "== Week of 30 Nov 2026 ==",
      "Mon 30 Nov  09:00–10:15 · line T1")),
])
def test_next_weeks_turns_in_any_word_order(chat: Chat, demo: Services, language: str,
                                             asked: str, expected: tuple[str, ...]) -> None:
    import_week(demo)
    speaks(demo, "alice", language)
    reply = chat.say("alice", asked)
    headline, title, row = expected
    assert reply.splitlines()[0] == headline
    assert title in reply and row in reply, reply
    # "this week" in the words of each language is the week of today.
    this_week = {"ca": "els meus torns aquesta setmana", "es": "mis turnos esta semana",
                 "pt": "meus turnos esta semana", "en": "my shifts this week"}[language]
    assert "30" not in chat.say("alice", this_week).splitlines()[0]


def outbox(services: Services) -> list[tuple[str, str]]:
    with reading(services.sessions) as session:
        return [(m.target, m.body["text"]) for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def test_the_shift_change_tells_the_team_in_its_language_and_each_agent_in_theirs(
        demo: Services, clock: FixedClock) -> None:
    import_week(demo)
    i18n.set_team_language(make_settings(LANGUAGE="ca").language)  # LANGUAGE=ca
    speaks(demo, "bruno", "pt")  # Chen has chosen none: the team's language
    boundary = T0 + timedelta(days=1, hours=1, minutes=15)  # Tuesday 10:15
    clock.set(boundary - timedelta(minutes=10))
    report = notice(demo, boundary)
    assert report.incoming == ["bruno", "chen"] and report.leaving == ["hana", "alice"]
    sent = outbox(demo)
    assert [target for target, _text in sent] == ["team", "person:bruno", "person:chen"]
    team = sent[0][1]
    assert team.splitlines()[0] == "El torn 2 (10:15–11:30) comença a les 10:15."
    assert team.splitlines()[1].startswith("Entren: ")  # with the mentions
    assert team.splitlines()[2] == "Surten: Hana Agent, Alice Agent."
    assert sent[1][1] == "Bruno, seu turno começa às 10:15 na linha T1 e termina às 11:30."
    assert sent[2][1] == ("Chen, el teu torn comença a les 10:15 a la línia T2 i acaba a "
                          "les 11:30.")
    # The coordinators' space reads the team's language too.
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211"])
    clock.set(boundary)
    set_queue(demo, boundary)
    assert outbox(demo)[-1] == ("coordinators", "Cua configurada per al torn 2 (10:15–11:30).\n"
                                "Afegits: Bruno Agent, Chen Agent.\nTrets: Alice Agent.")


def test_a_spanish_asker_on_a_catalan_team_reads_spanish_and_the_team_catalan(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    import_week(demo)
    i18n.set_team_language("ca")
    speaks(demo, "alice", "es")
    assert chat.say("alice", "quién está de turno mañana a las 09:30").startswith(
        "De turno: mar 24 de nov, turno 1")
    assert chat.say("hana", "qui hi ha de torn demà a les 09:30").startswith(
        "De torn: dt. 24 de nov., torn 1")  # no language of her own: the team's
    boundary = T0 + timedelta(days=1)  # Tuesday 09:00: Hana and Alice come in
    clock.set(boundary - timedelta(minutes=10))
    notice(demo, boundary)
    texts = dict(outbox(demo))
    assert texts["team"].startswith("El torn 1 (09:00–10:15) comença a les 09:00.")
    assert texts["person:alice"] == ("Alice, tu turno empieza a las 09:00 en la línea T2 y "
                                     "acaba a las 10:15.")
    assert texts["person:hana"].startswith("Hana, el teu torn comença a les 09:00")


def test_the_calendar_feed_is_in_its_owners_language(demo: Services) -> None:
    import_week(demo)
    i18n.set_team_language("es")
    speaks(demo, "alice", "ca")
    with reading(demo.sessions) as session:
        alice, bruno = people.by_key(session, "alice"), people.by_key(session, "bruno")
        assert alice is not None and bruno is not None
        catalan = build_feed(session, demo.settings, alice, T0).decode()
        spanish = build_feed(session, demo.settings, bruno, T0).decode()
    assert "X-WR-CALNAME:Torns: Alice Agent" in catalan
    assert "SUMMARY:Torn de telèfon (línia T1)" in catalan
    assert "SUMMARY:Turno de teléfono (línea T2)" in spanish  # the team's language
    assert "Phone turn" not in catalan + spanish


def test_the_coordinators_are_warned_of_a_planned_holiday_in_the_teams_language(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    clock.set(datetime(2019, 10, 20, 10, 0, tzinfo=MADRID))
    import_week(demo, HOLIDAY_WEEK)
    i18n.set_team_language("pt")
    speaks(demo, "carla", "ca")
    with transaction(demo.sessions) as session:
        warn_week(session, demo, MONDAY)
    with reading(demo.sessions) as session:
        [row] = session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like("planned-holiday:%")))
        text = render_text(Reply.from_dict(row.body))
    assert text.startswith("O dia sex., 1 de nov. é feriado (All Saints' Day) e a escala tem 6 "
                           "pessoas nele. Ele terá atendimento como previsto")
    assert "[Manter o plano: /holiday keep 2019-11-01]" in text
    # Carla answers in Catalan; the button's command stays as it is.
    assert chat.say("carla", "/holiday keep 2019-11-01") == (
        "El dv. 1 de nov. 2019 (Tots Sants): mantingut; té servei tal com el planifica "
        "la graella. No ho tornaré a preguntar.")


def test_assign_reads_words_and_writes_dates_in_the_askers_language(chat: Chat,
                                                                   demo: Services) -> None:
    import_week(demo)
    speaks(demo, "carla", "ca")
    assert chat.say("carla", "/assign demà 1 T2 ningú") == (
        "dt. 24 de nov., torn 1 (09:00–10:15), línia T2: Alice Agent → ningú.")
    speaks(demo, "carla", "pt")
    assert chat.say("carla", "/assign amanhã 1 T2 @alice") == (
        "ter., 24 de nov., turno 1 (09:00–10:15), linha T2: ninguém → Alice Agent.")
    assert chat.say("carla", "/timetable log").splitlines()[0] == (
        "As últimas alterações da escala: 2.")
