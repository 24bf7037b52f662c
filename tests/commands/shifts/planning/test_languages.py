"""/busy and /plan in the reader's language: weekday names and today/tomorrow in any
language, replies in the asker's; the planner's explanations written when they are shown
(the coordinator who asked and the one who looks later each read their own), the turns'
DMs in each recipient's language and the coordinators' notice in the team's."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from commands.core import Services, UsageError
from commands.shifts.planning import chat as planning_chat
from commands.shifts.planning.drafts import explain_person
from commands.shifts.planning.model import (
    Slot,
    Week,
    Worker,
    capacity_problems,
    capacity_said,
)
from commands.shifts.planning.said import render, say
from store import i18n
from store.db import reading, transaction
from store.i18n import N_
from store.messaging.outbox import OutboxMessage
from store.team import people
from tests.conftest import Chat

MONDAY, NEXT_MONDAY = date(2026, 11, 23), date(2026, 11, 30)


def speaks(services: Services, key: str, language: str | None) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


def outbox(services: Services) -> list[tuple[str, str]]:
    with reading(services.sessions) as session:
        return [(m.target, m.body["text"]) for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


# language: (weekly rule typed, its reply), (tomorrow's rule typed, its reply), list's line,
# a word that is no day and the reply's start
BUSY = {
    "en": (("/busy fri 09:00-11:00 doctor",
            "Rule #1 added: would rather not: Fridays, turns 1, 2 — doctor "
            "(alice dv 1100 # doctor)."),
           ("/busy! tomorrow doctor",
            "Rule #2 added: cannot: Tue 24 Nov 2026, all day — doctor "
            "(+alice 2026-11-24 # doctor)."),
           "You have 2 availability rules.",
           ("/busy someday doctor", "'someday' is not a day: use mon…sun")),
    "ca": (("/busy dv 09:00-11:00 metge",
            "Regla #1 afegida: preferiria que no: Divendres, torns 1, 2 — metge "
            "(alice dv 1100 # metge)."),
           ("/busy! demà metge",
            "Regla #2 afegida: no pot: dt. 24 de nov. 2026, tot el dia — metge "
            "(+alice 2026-11-24 # metge)."),
           "Tens 2 regles de disponibilitat.",
           ("/busy algun metge", "'algun' no és un dia: fes servir dl…dg")),
    "es": (("/busy viernes 09:00-11:00 médico",
            "Regla #1 añadida: preferiría que no: Viernes, turnos 1, 2 — médico "
            "(alice dv 1100 # médico)."),
           ("/busy! mañana médico",
            "Regla #2 añadida: no puede: mar 24 de nov de 2026, todo el día — médico "
            "(+alice 2026-11-24 # médico)."),
           "Tienes 2 reglas de disponibilidad.",
           ("/busy algún médico", "'algún' no es un día: usa lunes…domingo")),
    "pt": (("/busy sexta 09:00-11:00 médico",
            "Regra #1 adicionada: preferiria não: Sextas, turnos 1, 2 — médico "
            "(alice dv 1100 # médico)."),
           ("/busy! amanhã médico",
            "Regra #2 adicionada: não pode: ter., 24 de nov. de 2026, o dia todo — médico "
            "(+alice 2026-11-24 # médico)."),
           "Você tem 2 regras de disponibilidade.",
           ("/busy algum médico", "'algum' não é um dia: use segunda…domingo")),
}


@pytest.mark.parametrize("language", sorted(BUSY))
def test_busy_reads_and_answers_the_askers_language(chat: Chat, demo: Services,
                                                    language: str) -> None:
    speaks(demo, "alice", language)
    (weekly, added), (tomorrow, dated), listed, (wrong, refused) = BUSY[language]
    assert chat.say("alice", weekly) == added
    assert chat.say("alice", tomorrow) == dated
    assert chat.say("alice", "/busy list").splitlines()[0] == listed
    assert chat.say("alice", wrong).startswith(refused)


def test_busy_skips_a_small_word_before_the_day(chat: Chat, demo: Services) -> None:
    speaks(demo, "alice", "ca")
    assert chat.say("alice", "/busy el dilluns 09:00-10:00 escola") == (
        "Regla #1 afegida: preferiria que no: Dilluns, torns 1 — escola "
        "(alice dl 1000 # escola).")


@pytest.mark.parametrize(("words", "monday"), [
    ("", NEXT_MONDAY), ("next week", NEXT_MONDAY), ("la setmana vinent", NEXT_MONDAY),
    ("la próxima semana", NEXT_MONDAY), ("próxima semana", NEXT_MONDAY),
    ("this week", MONDAY), ("aquesta setmana", MONDAY), ("esta semana", MONDAY),
    ("2026-12-09", date(2026, 12, 7)),
])
def test_plan_reads_the_week_in_any_language(words: str, monday: date) -> None:
    assert planning_chat._week(words.split(), MONDAY) == monday


def test_plan_says_which_weeks_it_reads_in_the_askers_language() -> None:
    with i18n.speaking("es"), pytest.raises(UsageError, match="No entiendo 'algún día'"):
        planning_chat._week(["algún", "día"], MONDAY)


def test_plan_answers_explains_and_tells_each_reader_in_their_language(
        chat: Chat, demo: Services) -> None:
    speaks(demo, "carla", "es")
    speaks(demo, "alice", "pt")
    speaks(demo, "dani", "ca")
    chat.say("carla", "/busy! @bruno 2026-12-01 all day doctor")
    assert chat.say("carla", "/plan próxima semana") == (
        "Planifico la semana del lun 30 de nov en segundo plano; te enviaré el resumen "
        "cuando esté hecho.")
    assert planning_chat.wait(120)
    [card] = [text for target, text in outbox(demo) if target == "person:carla"]
    assert card.startswith("Planificación de la semana del 2026-11-30: óptima, coste ")
    explained = chat.say("carla", "/plan explain @bruno")
    assert explained.startswith("Bruno: ideal 8 turnos; prorrateado 6 (4 días de trabajo de "
                                "5 días de servicio)")
    assert "No puede trabajar: mar 09:00 (no puede, 'doctor'); mar 10:15 (no puede, " \
        "'doctor')" in explained
    shown = chat.say("carla", "/plan show")
    assert "== Penalizaciones ==" in shown and "[Publicar: /plan publish 2026-11-30]" in shown
    assert " turnos el " in shown  # "Alice trabaja 2 turnos el mar", say
    # The same draft, read later by a coordinator who reads Catalan.
    shown = chat.say("dani", "/plan show")
    assert shown.startswith("Planificació de la setmana del 2026-11-30: òptima, cost ")
    assert "== Penalitzacions ==" in shown and " torns el " in shown
    assert chat.say("dani", "/plan explain @bruno").startswith(
        "Bruno: ideal 8 torns; prorratejat 6 (4 dies de feina de 5 dies de servei)")
    assert chat.say("carla", "/plan publish").startswith(
        "¿Publico el borrador de la semana del lun 30 de nov?")
    assert chat.say("carla", "/plan publish 2026-11-30 confirm").startswith(
        "Semana del 2026-11-30 publicada: ")
    messages = outbox(demo)
    [alice] = [text for target, text in messages if target == "person:alice"]
    assert alice.startswith("Seus turnos da semana de seg., 30 de nov.: ")
    assert "(linha T" in alice
    [bruno] = [text for target, text in messages if target == "person:bruno"]
    assert bruno.startswith("Your turns for the week of Mon 30 Nov: ")
    [coordinators] = [text for target, text in messages if target == "coordinators"]
    assert coordinators.startswith("Published the week of 2026-11-30: ")


def test_the_planners_reasons_are_written_when_read() -> None:
    slot = Slot(NEXT_MONDAY, 0, time(9), time(10), 2)
    pau = Worker("pau", "Pau Puig", 1, 1, 1, 2, blocked={0: "hard-busy, 'school run'"},
                 blocked_said={0: say(N_("hard-busy, '{reason}'"), reason="school run")})
    week = Week([slot], [pau])
    assert capacity_problems(week) == [
        "Mon 09:00: 2 of 2 lines cannot be filled — only 0 people are free then "
        "(Pau: hard-busy, 'school run')",
        "The week has 2 cells but the team's bounds add up to 1: at least 1 will stay empty."]
    [kept, total] = capacity_said(week)
    with i18n.speaking("ca"):
        assert render(kept) == ("dl. 09:00: 2 de 2 línies no es poden cobrir — només 0 "
                                "persones són lliures llavors (Pau: no pot, 'school run')")
    with i18n.speaking("pt"):
        assert render(kept).startswith("seg. 09:00: 2 de 2 linhas não podem ser preenchidas")
        assert render(total).startswith("A semana tem 2 células")


def test_a_draft_made_before_languages_is_explained_with_its_english_reasons() -> None:
    summary = {"week": "2026-11-30", "penalties": [
        {"kind": "holes", "cost": 100, "text": "Tue 09:00: 1 line empty", "who": ["anna"]}],
        "loads": [{"key": "anna", "name": "Anna Puig", "ideal": 2, "prorated": 2, "bound": 2,
                   "planned": 1, "working_days": 5, "service_days": 5, "max_per_day": 2,
                   "turns": ["Mon 09:00"], "blocked": {"Tue 09:00": "hard-busy, 'x'"},
                   "reluctant": {}}]}
    with i18n.speaking("ca"):
        assert explain_person(summary, "anna") == (
            "Anna: ideal 2 torns; prorratejat 2 (5 dies de feina de 5 dies de servei); "
            "límit 2; com a màxim 2 al dia. Planificats 1: Mon 09:00. Menys que el límit: més "
            "torns haurien costat més que deixar-los a altres (o les línies eren plenes quan "
            "té temps). No pot treballar: Tue 09:00 (hard-busy, 'x'). Penalitzat: Tue 09:00: "
            "1 line empty [100].")
