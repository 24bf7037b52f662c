"""Callbacks in Catalan, Spanish, Portuguese and English: the same booking from each
language's own words, replies (dates included) in the asker's language, the due card in
its recipient's, the team's card and the coordinators' notices in the team's.

The clock is Monday 23 Nov 2026 09:00 (Madrid); the demo team's queue is ``support``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.render.text import render_text
from commands.callbacks.call_outcome import record_call_outcome
from commands.callbacks.due import dispatch_callbacks
from commands.core import Reply, Services
from integrations.clock import FixedClock
from integrations.pbx.base import BUSY, CallOutcome
from store import i18n
from store.callbacks import bookings
from store.callbacks.bookings import Callback
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.phones import mask
from store.team import people
from tests.conftest import MADRID, Chat

TOMORROW_1030 = datetime(2026, 11, 24, 10, 30, tzinfo=MADRID)


def speaks(services: Services, key: str, language: str) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


def stored(services: Services, cid: int = 1) -> Callback:
    with transaction(services.sessions) as session:
        found = bookings.get(session, cid)
        assert found is not None
        return found


def sent(services: Services, target: str) -> list[str]:
    """The rendered texts in the outbox for ``target``, oldest first."""
    with transaction(services.sessions) as session:
        return [render_text(Reply.from_dict(m.body)) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.target == target)
            .order_by(OutboxMessage.id))]


SCHEDULE = [
    ("ca", "programa una trucada al 600112233 demà a les 10:30",
     "Trucada de retorn #1 programada: +34600112233, demà 10:30 (support). És teva: "
     "t'escriuré quan toqui.\n\n  [Cancel·la: /callback cancel 1]"),
    ("es", "llámame 600112233 mañana a las 10:30",
     "Rellamada #1 programada: +34600112233, mañana 10:30 (support). Es tuya: te "
     "escribiré cuando toque.\n\n  [Cancelar: /callback cancel 1]"),
    ("pt", "agendar retorno 600112233 amanhã às 10:30",
     "Retorno #1 agendado: +34600112233, amanhã 10:30 (support). É seu: vou te avisar "
     "quando chegar a hora.\n\n  [Cancelar: /callback cancel 1]"),
    ("en", "/callback 600112233 tomorrow 10:30",
     "Callback #1 booked: +34600112233, tomorrow 10:30 (support). It is yours: I will "
     "message you when it is due.\n\n  [Cancel: /callback cancel 1]"),
]


@pytest.mark.parametrize("language, typed, reply", SCHEDULE,
                         ids=[language for language, _, _ in SCHEDULE])
def test_each_language_s_words_book_the_same_callback(chat: Chat, demo: Services,
                                                      language: str, typed: str,
                                                      reply: str) -> None:
    speaks(demo, "alice", language)
    assert chat.say("alice", typed) == reply
    callback = stored(demo)
    assert (callback.phone, callback.requested_for, callback.queue, callback.note) == (
        "+34600112233", TOMORROW_1030, "support", None)
    # The same number again: refused in the asker's language, with the date in it.
    again = chat.say("alice", typed)
    assert again.startswith({
        "ca": "+34600112233 ja té una trucada de retorn pendent a support: #1, demà 10:30.",
        "es": "+34600112233 ya tiene una rellamada pendiente en support: #1, mañana 10:30.",
        "pt": "+34600112233 já tem um retorno pendente em support: #1, amanhã 10:30.",
        "en": "+34600112233 already has a pending callback in support: #1, tomorrow 10:30.",
    }[language]), again


@pytest.mark.parametrize("language, typed, shown, when, note", [
    ("ca", "programa una trucada al 600 11 22 33 el divendres a les 11:00 per la factura",
     "dv. 27 de nov. 11:00", datetime(2026, 11, 27, 11, 0, tzinfo=MADRID), "per la factura"),
    ("es", "llámame 600112233 el viernes a las 11:00 para la factura",
     "vie 27 de nov 11:00", datetime(2026, 11, 27, 11, 0, tzinfo=MADRID), "para la factura"),
    ("pt", "agendar retorno ao 600112233 sáb às 10h sobre a fatura",
     "sáb., 28 de nov. 10:00", datetime(2026, 11, 28, 10, 0, tzinfo=MADRID),
     "sobre a fatura"),
    ("en", "/callback 600112233 on fri at 11:00 for the invoice",
     "Fri 27 Nov 11:00", datetime(2026, 11, 27, 11, 0, tzinfo=MADRID), "for the invoice"),
])
def test_weekdays_and_small_words_in_every_language_and_the_note_stays_as_typed(
        chat: Chat, demo: Services, language: str, typed: str, shown: str, when: datetime,
        note: str) -> None:
    speaks(demo, "alice", language)
    reply = chat.say("alice", typed)
    assert f"+34600112233, {shown} (support)" in reply, reply
    callback = stored(demo)
    assert (callback.requested_for, callback.note) == (when, note)


MISTAKES = {
    "ca": [("/callback 600112233", "Quan he de tornar la trucada? Indica una hora com ara "
                                   "16:00, demà 10:30, dl 11:00 o AAAA-MM-DD HH:MM."),
           ("/callback 600112233 algun 10:00", "No sé llegir 'algun' com a dia"),
           ("/callback 600112233 08:00", "No puc programar aquesta trucada de retorn: l'hora "
                                         "ja ha passat.")],
    "es": [("/callback 600112233 mañana", "No sé leer 'mañana' como hora"),
           ("/callback 600112233 2026-12-20 10:00", "la hora está demasiado lejos")],
    "pt": [("/callback amanhã 10:30", "'amanhã' não é um número de telefone"),
           ("/callback take 99", "Não existe o retorno #99.")],
}


@pytest.mark.parametrize("language", list(MISTAKES))
def test_mistakes_are_explained_in_the_asker_s_language(chat: Chat, demo: Services,
                                                        language: str) -> None:
    speaks(demo, "alice", language)
    for typed, words in MISTAKES[language]:
        assert words in chat.say("alice", typed), typed


def test_a_full_interval_offers_times_in_the_asker_s_language(chat: Chat,
                                                              demo: Services) -> None:
    assert "booked" in chat.say("alice", "/callback 612000001 tomorrow 12:00")
    assert "booked" in chat.say("bruno", "/callback 612000002 tomorrow 12:00")
    speaks(demo, "chen", "ca")
    result = chat.send("chen", "programa una trucada al 612000003 demà a les 12:00")
    assert result.reply.text == "demà 12:00 és ple a support. Les hores lliures més properes:"
    buttons = result.reply.sections[0].buttons
    assert [b.label for b in buttons] == ["demà 11:00", "demà 11:30", "demà 12:30"]
    assert buttons[0].text == "/callback 612000003 2026-11-24 11:00 support"


def test_the_due_card_reaches_its_agent_in_their_language(chat: Chat, demo: Services,
                                                          clock: FixedClock) -> None:
    speaks(demo, "alice", "ca")
    demo.pbx.set_members(["211"])
    chat.say("alice", "programa una trucada al 600112233 a les 09:30 per la factura")
    clock.advance(timedelta(minutes=30))
    assert dispatch_callbacks(demo).to_agents == [1]
    [card] = sent(demo, "person:alice")
    assert card.startswith("Alice, la trucada de retorn #1 és teva: truca al +34600112233.")
    assert "== Trucada de retorn #1 ==" in card
    assert "demanada per a  avui 09:30" in card and "nota" in card and "per la factura" in card
    assert "[Truca ara: /callback call 1]" in card and "[Feta: /callback done 1]" in card
    # Taking it and saying how it went: in Catalan too.
    assert chat.say("alice", "/callback noanswer 1").startswith(
        "Sense resposta: la trucada de retorn #1 es tornarà a intentar avui 09:45 (intent 2 "
        "de 3).")


def test_the_team_s_card_is_in_the_team_s_language_whoever_booked_it(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    speaks(demo, "alice", "ca")  # not connected: her callback goes to the team space
    chat.say("alice", "programa una trucada al 600112233 a les 09:30")
    i18n.set_team_language("es")
    clock.advance(timedelta(minutes=30))
    assert dispatch_callbacks(demo).to_team == [1]
    [card] = sent(demo, "team")
    assert card == (f"Toca la rellamada #1: {mask('+34600112233')} · support (pedida para "
                    "hoy 09:30). ¿Quién la asume?\n\n  [Asumirla: /callback take 1]")
    speaks(demo, "bruno", "pt")
    assert chat.say("bruno", "/callback take 1").startswith(
        "Bruno, o retorno #1 é seu: ligue para +34600112233.")


def test_a_failed_call_tells_its_taker_in_their_language_and_the_coordinators_in_the_team_s(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    speaks(demo, "alice", "pt")
    demo.pbx.set_members(["211"])
    chat.say("alice", "/callback 600112233 09:30")
    for attempt in range(3):
        clock.advance(timedelta(minutes=30 if attempt == 0 else 15))
        assert dispatch_callbacks(demo).to_agents == [1]
        assert "é seu" in chat.say("alice", "/callback take 1")
        with transaction(demo.sessions) as session:
            callback = bookings.get(session, 1)
            assert callback is not None
            callback.call_ref = f"sb-test-{attempt}"
        assert record_call_outcome(demo, CallOutcome(f"sb-test-{attempt}", BUSY))
    dms = [t for t in sent(demo, "person:alice") if t.startswith("A ligação")]
    assert dms[0] == (f"A ligação do retorno #1 para {mask('+34600112233')} não foi "
                      "completada: o seu telefone estava ocupado (Busy). Ocupado: o retorno #1 "
                      "será tentado de novo hoje 09:45 (tentativa 2 de 3).")
    assert dms[-1].endswith("Ocupado de novo: o retorno #1 falhou após 3 tentativas; os "
                            "coordenadores foram avisados.")
    assert sent(demo, "coordinators") == [
        f"Callback #1 to {mask('+34600112233')} (support) failed: no answer after 3 attempts. "
        "Please follow it up by hand."]


def test_the_lists_the_slots_and_the_report_in_the_reader_s_language(
        chat: Chat, demo: Services) -> None:
    speaks(demo, "alice", "ca")
    chat.say("alice", "/callback 600112233 2026-11-28 10:00")
    listing = chat.say("alice", "les meves trucades pendents")
    assert listing.startswith("Les teves trucades de retorn obertes:")
    assert "#1 ds. 28 de nov. 10:00" in listing and "programada" in listing
    assert chat.say("alice", "/callbacks avui") == (
        "Trucades de retorn obertes que toquen avui: cap.")
    speaks(demo, "alice", "es")
    slots = chat.say("alice", "huecos 2026-11-28")
    assert slots.startswith("Huecos libres para rellamadas en support")
    assert "sáb 28 de nov  7 libres: 10:00 1/2 · 10:30 2/2" in slots
    speaks(demo, "carla", "pt")
    report = chat.say("carla", "/callbacks report hoje")
    assert report.startswith("Retornos, 2026-11-23:")
    assert "agendados" in report and "ainda pendentes hoje" in report
