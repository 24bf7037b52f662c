"""The queue commands in Catalan, Spanish, Portuguese and English: pausing for lunch and
coming back in each language's own words, the /queue board, and the messages nobody asked
for (offline, over-long pauses, ring-no-answer) in the reader's language: a DM in the
person's, the coordinators' space in the team's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.render import google, slack
from bot.render.text import render_text
from commands.core import Reply, Services
from commands.queue.alerts import ring_no_answer
from commands.queue.offline import check_offline
from commands.queue.pause_overdue import remind_overdue
from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store import i18n
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.queue import activity
from store.team import people
from testing.big_team import BigTeam, Trouble, troubled_team
from testing.timetable import import_week
from tests.conftest import Chat

# Lunch as a team that speaks all four languages would have it (the default reasons
# carry only Spanish aliases): the words each language says it with.
LUNCH_ALIASES = ["comida", "almuerzo", "dinar", "comer", "almoço", "almoçar"]


def speaks(services: Services, **languages: str | None) -> None:
    with transaction(services.sessions) as session:
        for key, language in languages.items():
            person = people.by_key(session, key)
            assert person is not None
            person.language = language


def sent(services: Services) -> list[tuple[str, str]]:
    with transaction(services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.target, render_text(Reply.from_dict(r.body))) for r in rows]


def paused_for(services: Services, extension: str) -> str | None:
    status = next(m for m in services.pbx.queue_status() if m.extension == extension)
    return status.pause_reason if status.paused else None


@pytest.fixture
def team(demo: Services) -> Services:
    """The morning agents in the queue; lunch answers to every language's word."""
    demo.pbx.set_members(["211", "212", "213", "214"])
    with transaction(demo.sessions) as session:
        lunch = activity.reason_by_code(session, "lunch")
        assert lunch is not None
        lunch.aliases = LUNCH_ALIASES
    return demo


# --------------------------------------------------------------------------- pause and back


@pytest.mark.parametrize(("language", "pause", "paused", "back", "resumed"), [
    ("ca", "pausa'm per dinar", "En pausa: dinar (màx. 60 min).\n\n  [Reprèn: /resume]",
     "torno", "Has tornat després de 12 min (dinar): tornes a rebre trucades."),
    ("es", "pausa para comer", "En pausa: comida (máx. 60 min).\n\n  [Reanudar: /resume]",
     "ya estoy", "Has vuelto después de 12 min (comida): vuelves a recibir llamadas."),
    ("pt", "pausar pra almoçar", "Em pausa: almoço (máx. 60 min).\n\n  [Retomar: /resume]",
     "voltei", "Você voltou depois de 12 min (almoço): recebendo ligações de novo."),
    ("en", "pause me for lunch", "Paused: lunch (max 60 min).\n\n  [Resume: /resume]",
     "i'm back", "Resumed after 12 min (lunch): taking calls again."),
])
def test_pause_for_lunch_and_back_in_each_language(
        chat: Chat, team: Services, clock: FixedClock, language: str, pause: str,
        paused: str, back: str, resumed: str) -> None:
    speaks(team, bruno=None if language == "en" else language)
    assert chat.say("bruno", pause) == paused
    assert paused_for(team, "212") == "lunch"
    clock.advance(timedelta(minutes=12))
    assert chat.say("bruno", back) == resumed
    assert paused_for(team, "212") is None


@pytest.mark.parametrize(("language", "said", "reply", "code"), [
    ("ca", "pausa", "En pausa: descans (màx. 15 min).", "break"),
    ("es", "pausa", "En pausa: descanso (máx. 15 min).", "break"),
    ("es", "pausar", "En pausa: descanso (máx. 15 min).", "break"),
    ("pt", "pausar", "Em pausa: pausa (máx. 15 min).", "break"),
    ("ca", "me'n vaig a dinar", "En pausa: dinar (màx. 60 min).", "lunch"),
    ("es", "me voy a comer", "En pausa: comida (máx. 60 min).", "lunch"),
    ("pt", "vou almoçar", "Em pausa: almoço (máx. 60 min).", "lunch"),
    ("pt", "pausar para o almoco", "Em pausa: almoço (máx. 60 min).", "lunch"),  # no cedilla
])
def test_a_pause_without_a_reason_is_a_break_and_a_phrase_may_name_lunch(
        chat: Chat, team: Services, language: str, said: str, reply: str, code: str) -> None:
    speaks(team, chen=language)
    assert chat.say("chen", said).split("\n")[0] == reply
    assert paused_for(team, "213") == code


def test_an_unknown_reason_after_a_filler_is_refused_in_the_askers_language(
        chat: Chat, team: Services) -> None:
    speaks(team, alice="ca")
    reply = chat.say("alice", "pausa'm per fer la migdiada")
    assert chat.last is not None and chat.last.outcome == "usage"
    assert reply.startswith("Digues un sol motiu de pausa, no 'fer migdiada'. Motius: "
                            "break (màx. 15 min), lunch (màx. 60 min), training, meeting, other.")
    assert chat.say("alice", "pausa'm per migdiada").startswith(
        "No conec el motiu de pausa 'migdiada'.")
    assert paused_for(team, "211") is None


def test_a_coordinator_pauses_someone_else_and_the_refusals_speak_the_askers_language(
        chat: Chat, team: Services) -> None:
    speaks(team, carla="es", alice="pt")
    assert chat.say("carla", "pausa @bruno comida") == (
        "Bruno en pausa: comida (máx. 60 min).\n\n  [Reanudar: /resume @bruno]")
    assert chat.say("carla", "pausa @bruno").startswith(
        "Bruno ya está en pausa (comida desde las 09:00).")
    reply = chat.say("alice", "pausar @bruno")
    assert chat.last is not None and chat.last.outcome == "denied"
    assert reply.startswith("Só coordenadores podem pausar outra pessoa; você é ")


# --------------------------------------------------------------------------- /queue


@pytest.mark.parametrize(("language", "ask", "headline", "page_title"), [
    ("ca", "cua", "Cua support: 4 membres — 2 disponibles, 1 en pausa, 1 en una trucada.",
     "== Cua support =="),
    ("es", "cola", "Cola support: 4 miembros — 2 disponibles, 1 en pausa, 1 en una llamada.",
     "== Cola support =="),
    ("pt", "fila", "Fila support: 4 membros — 2 disponíveis, 1 em pausa, 1 em ligação.",
     "== Fila support =="),
    ("en", "/queue", "Queue support: 4 members — 2 available, 1 paused, 1 in a call.",
     "== Queue support =="),
])
def test_the_queue_headline_in_each_language(chat: Chat, team: Services, language: str,
                                             ask: str, headline: str, page_title: str) -> None:
    chat.say("alice", "/pause lunch")
    assert isinstance(team.pbx, SimPbx)
    team.pbx.set_state("212", MemberState.IN_CALL)
    speaks(team, carla=None if language == "en" else language)
    board = chat.say("carla", ask)
    assert board.split("\n")[0] == headline
    assert page_title in board


def test_the_board_reads_page_in_other_languages_and_labels_its_buttons(
        chat: Chat, team: Services) -> None:
    speaks(team, carla="ca")
    chat.say("alice", "/pause lunch")
    board = chat.say("carla", "cua pàgina 1")
    assert chat.last is not None and chat.last.ok, board
    assert "Alice Agent (211)  disponible · en pausa: lunch, 0 min · 0 trucades, 0 min " \
        "parlant" in board
    assert "Bruno Agent (212)  disponible · 0 trucades, 0 min parlant" in board
    assert "[Pausa: break: /pause break]  [Pausa: lunch: /pause lunch]  [Reprèn: /resume]" \
        in board
    filtered = chat.say("carla", "/queue paused")
    assert filtered.startswith("Cua support, en pausa: 1 membre — 1 en pausa.")
    refused = chat.say("carla", "cua adormits")
    assert refused.startswith("No puc filtrar el tauler per 'adormits'")


@pytest.fixture
def big(team: Services) -> tuple[BigTeam, Trouble]:
    return troubled_team(team)


@pytest.mark.parametrize(("language", "headline", "over"), [
    ("ca", "Cua support: 1000 membres — 488 disponibles, 300 en trucada, 164 en pausa, "
           "48 desconnectats (64 per sobre del límit de pausa). 3 persones esperades no són "
           "a la cua.", "(supera els 60 min)"),
    ("pt", "Fila support: 1000 membros — 488 disponíveis, 300 em ligação, 164 em pausa, "
           "48 desconectados (64 acima do limite de pausa). 3 pessoas esperadas não estão na "
           "fila.", "(passou dos 60 min)"),
])
def test_a_1000_agent_board_in_catalan_and_portuguese_fits_the_platforms(
        chat: Chat, big: tuple[BigTeam, Trouble], language: str, headline: str,
        over: str) -> None:
    _crowd, trouble = big
    speaks(chat.dispatcher.services, boss=language)
    transcript = chat.say("boss", "/queue")
    assert chat.last is not None and chat.last.ok
    assert transcript.split("\n")[0] == headline
    reply = chat.last.reply
    # Every message within each platform's limits, and what needs action on the first.
    cards = google.render_messages(reply)
    for message in cards:
        assert google.encoded_size(message) <= google.MAX_MESSAGE_BYTES
        assert len(message.get("text", "")) <= google.MAX_TEXT_CHARS
    first = str(cards[0]["cardsV2"])
    assert all(f"{p.name} ({p.extension})" in first for p in trouble.over_limit)
    assert all(f"{p.name} ({p.extension})" in first for p in trouble.disconnected)
    assert over in first
    blocks = slack.render_messages(reply)
    for message in blocks:
        assert len(message["blocks"]) <= slack.MAX_BLOCKS
        assert len(message.get("text", "")) <= slack.MAX_TEXT
    first_blocks = str(blocks[0]["blocks"])
    assert all(f"{p.name} ({p.extension})" in first_blocks for p in trouble.over_limit)
    assert all(f"{p.name} ({p.extension})" in first_blocks for p in trouble.disconnected)
    buttons = [e["value"] for b in blocks[0]["blocks"] if b["type"] == "actions"
               for e in b["elements"]][:3]
    assert buttons == ['{"command": "pause", "args": "break"}',
                       '{"command": "pause", "args": "lunch"}',
                       '{"command": "resume", "args": ""}']


# --------------------------------------------------------------------------- proactive


def test_offline_tells_the_agent_in_theirs_and_the_coordinators_in_the_teams(
        demo: Services, clock: FixedClock) -> None:
    i18n.set_team_language("es")
    import_week(demo)  # turn 1 on Monday: alice (T1), bruno (T2)
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212"])
    speaks(demo, bruno="pt")
    clock.advance(timedelta(minutes=5))
    demo.pbx.set_state("212", MemberState.DISCONNECTED)
    check_offline(demo)
    clock.advance(timedelta(minutes=2))
    assert check_offline(demo).alerted == ["bruno"]
    assert sent(demo) == [
        ("coordinators", "@bruno está de turno (09:00–10:15, línea T2) pero sin conexión "
                         "desde las 09:05."),
        ("person:bruno", "Bruno, você está de turno (09:00–10:15) mas seu telefone aparece sem "
                         "conexão desde 09:05. Entre na fila (/login) ou faça uma pausa com um "
                         "motivo."),
    ]
    demo.pbx.set_state("212", MemberState.AVAILABLE)
    check_offline(demo)
    assert sent(demo)[2:] == [
        ("coordinators", "Bruno Agent vuelve a estar conectado (ha estado fuera 2 min).")]


def test_an_overdue_pause_reminds_in_the_agents_language_and_escalates_in_the_teams(
        chat: Chat, team: Services, clock: FixedClock) -> None:
    i18n.set_team_language("ca")
    speaks(team, alice="pt")
    chat.say("alice", "vou almoçar")
    clock.advance(timedelta(minutes=61))
    remind_overdue(team)
    assert sent(team) == [
        ("person:alice", "Alice, você está em almoço há 1 h 01 min (o limite é 60 min). "
                         "Retome quando voltar:\n\n  [Retomar: /resume]"),
        ("coordinators", "Alice Agent fa 1 h 01 min que és en dinar (el límit és 60 min); ja "
                         "li ho hem recordat.\n\n  [Reprèn Alice: /resume @alice]"),
    ]
    speaks(team, carla="es")
    assert chat.say("carla", "/overdue").startswith(
        "1 pausa supera el límite.\n\n== Pausas demasiado largas ==\n"
        "  Alice Agent  en comida desde hace 1 h 01 min (el límite es 60 min) · avisado a las "
        "10:01")


def test_ring_no_answer_tells_the_agent_in_theirs_and_the_coordinators_in_the_teams(
        demo: Services) -> None:
    i18n.set_team_language("pt")
    speaks(demo, alice="ca")
    for n in range(6):
        ring_no_answer(demo, "211", f"call-{n}")
    (agent, dm), (space, coordinators) = sent(demo)
    assert (agent, space) == ("person:alice", "coordinators")
    assert dm.startswith("Alice, 3 trucades seguides han sonat al teu telèfon (211) sense "
                         "resposta.")
    assert "[Pausa: /pause]  [Reprèn: /resume]  [Obre el tauler: /queue]" in dm
    assert coordinators.startswith("@alice deixou tocar 6 ligações seguidas sem atender "
                                   "(ramal 211).")
    assert "[Pausa: /pause]  [Retomar: /resume]  [Abrir o painel: /queue]" in coordinators


# --------------------------------------------------------------------------- the rest


def test_breaks_read_the_period_in_other_languages(chat: Chat, team: Services,
                                                   clock: FixedClock) -> None:
    speaks(team, alice="ca")
    chat.say("alice", "pausa'm per dinar")
    clock.advance(timedelta(minutes=12))
    chat.say("alice", "torno")
    chat.say("alice", "pausa")
    clock.advance(timedelta(minutes=3))
    for period in ("avui", "setmana"):
        report = chat.say("alice", f"pauses {period}")
        assert chat.last is not None and chat.last.ok, report
        assert report.startswith("Pauses ")
        (section,) = chat.last.reply.sections
        assert section.rows == (("descans", "1 pausa, 3 min"), ("dinar", "1 pausa, 12 min"),
                                ("totes les pauses", "2 pauses, 15 min"),
                                ("connectat", "0 min"))
    assert chat.say("alice", "pauses ahir").startswith("Pauses ahir (dg. 22 de nov.)")
    assert chat.last is not None
    assert chat.last.reply.sections[0].rows == (("pauses", "cap"), ("connectat", "0 min"))


def test_joining_and_leaving_the_queue_in_spanish(chat: Chat, team: Services,
                                                  clock: FixedClock) -> None:
    speaks(team, elena="es", carla="pt")
    assert chat.say("elena", "entrar") == (
        "Ya estás en la cola (extensión 215): ahora te pueden entrar llamadas.")
    assert chat.say("elena", "entrar").startswith("Ya estás en la cola.")
    chat.say("elena", "pausa para comer")
    clock.advance(timedelta(minutes=90))
    assert chat.say("elena", "salir médico") == (
        "Has salido de la cola después de 1 h 30 min; también se ha terminado la pausa "
        "comida. Motivo: médico.")
    assert chat.say("carla", "/remove @elena").startswith("Elena não está na fila — primeiro "
                                                          "/add @elena.")


def test_the_alerts_list_and_mute_in_portuguese(chat: Chat, team: Services) -> None:
    speaks(team, carla="pt")
    listing = chat.say("carla", "alertas")
    assert listing.startswith("Alertas ao vivo:\n• Ligações sem resposta (3 ligações seguidas "
                              "sem resposta (coordenadores com 6)): tranquilo\n")
    assert chat.say("carla", "/alerts mute 2 horas").startswith(
        "Os alertas para a equipe e os coordenadores estão silenciados até 11:00.")
    assert "Silenciados até 11:00 por Carla Coordinator." in chat.say("carla", "alertas")
