"""Looking a caller up in Catalan, Spanish, Portuguese and English, and the screen pop in
the language of the agent whose phone rings (demo directory: Ana Pérez of Acme Energía SL
and Marta Ruiz of Beta Logística SA on +34 600 11 22 33; alice has extension 211)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.render.text import render_text
from commands.callers.screen_pop import Ringing, on_ringing
from commands.core import Reply, Services, Where
from commands.dispatch import Dispatcher, Incoming
from commands.registry import COMMANDS
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.team import people
from tests.conftest import Chat


def speaks(services: Services, key: str, language: str) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


LOOKUP = [
    ("ca", "cerca 600 11 22 33",
     "2 comptes per a número de telèfon +34 600 11 22 33.",
     ("  Telèfons      +34 912 34 56 78", "  codi CRM      1001",
      "★ Ana Pérez   +34 600 11 22 33 (aquest número)", "== Trucades recents d'aquest número ==")),
    ("es", "buscar 600 11 22 33",
     "2 cuentas para número de teléfono +34 600 11 22 33.",
     ("  Teléfonos     +34 912 34 56 78", "  código CRM    1001",
      "★ Ana Pérez   +34 600 11 22 33 (este número)", "== Llamadas recientes de este número ==")),
    ("pt", "buscar 600 11 22 33",
     "2 contas para número de telefone +34 600 11 22 33.",
     ("  Telefones     +34 912 34 56 78", "  código CRM    1001",
      "★ Ana Pérez   +34 600 11 22 33 (este número)", "== Ligações recentes deste número ==")),
    ("en", "lookup 600 11 22 33",
     "2 accounts for phone number +34 600 11 22 33.",
     ("  Phones        +34 912 34 56 78", "  CRM code      1001",
      "★ Ana Pérez   +34 600 11 22 33 (this number)", "== Recent calls from this number ==")),
]


@pytest.mark.parametrize("language, typed, heading, lines", LOOKUP,
                         ids=[language for language, *_ in LOOKUP])
def test_a_phone_typed_in_groups_is_looked_up_in_every_language(
        chat: Chat, demo: Services, language: str, typed: str, heading: str,
        lines: tuple[str, ...]) -> None:
    speaks(demo, "alice", language)
    reply = chat.say("alice", typed)
    assert reply.startswith(heading + "\n"), reply
    for line in lines:
        assert line in reply, (line, reply)
    assert "== Acme Energía SL ==" in reply and "== Beta Logística SA ==" in reply
    # The same as /lookup with the number in one piece.
    assert chat.say("alice", "/lookup 600112233") == reply


@pytest.mark.parametrize("language, typed, expected", [
    ("ca", "cerca telèfon 655 555 555", "1 compte per a número de telèfon +34 655 55 55 55."),
    ("es", "buscar nombre vidal", "1 cuenta para nombre vidal."),
    ("pt", "quem é 12345678Z", "1 conta para CPF/CNPJ ES12345678Z."),
    ("en", "who is 655 555 555", "1 account for phone number +34 655 55 55 55."),
])
def test_field_words_and_one_account(chat: Chat, demo: Services, language: str, typed: str,
                                     expected: str) -> None:
    speaks(demo, "alice", language)
    assert chat.say("alice", typed).startswith(expected)


def test_in_a_shared_space_the_numbers_are_masked_and_it_says_so(demo: Services) -> None:
    speaks(demo, "alice", "es")
    where = Where("slack", "C1", is_dm=False)
    result = Dispatcher(COMMANDS, demo).handle(Incoming("console", "alice",
                                                        "buscar 600 11 22 33", where))
    assert result.reply.text.startswith(
        "2 cuentas para número de teléfono ")
    assert result.reply.text.endswith(
        "(aquí oculto los números; pregúntame por mensaje directo para verlos).")
    assert "+34 600 11 22 33" not in render_text(result.reply)


@pytest.mark.parametrize("language, expected", [
    ("ca", "No he trobat ningú per a +34 699 99 99 99 (cercat com a número de telèfon)."),
    ("es", "No he encontrado a nadie para +34 699 99 99 99 (buscado como número de teléfono)."),
    ("pt", "Não encontrei ninguém para +34 699 99 99 99 (buscado como número de telefone)."),
    ("en", "Nobody found for +34 699 99 99 99 (looked up as phone number)."),
])
def test_nobody_found_in_every_language(chat: Chat, demo: Services, language: str,
                                        expected: str) -> None:
    speaks(demo, "alice", language)
    assert chat.say("alice", "/lookup 699 99 99 99").startswith(expected + "\n")


def test_a_lookup_of_nothing_is_explained_in_the_asker_s_language(chat: Chat,
                                                                  demo: Services) -> None:
    speaks(demo, "alice", "ca")
    assert chat.say("alice", "/lookup").startswith("Digues-me què he de cercar")
    assert "No puc cercar '!!'" in chat.say("alice", "/lookup !!")


def ring_alice(demo: Services, call_id: str, caller: str) -> str:
    event = Ringing(call_id=call_id, caller=caller, extension="211", queue="support",
                    data=None, at=demo.clock.now())
    assert on_ringing(demo, event)["dm"] is True
    with transaction(demo.sessions) as session:
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.key == f"call.ringing:{call_id}")).one()
        assert message.target == "person:alice"
        return render_text(Reply.from_dict(message.body))


@pytest.mark.parametrize("language, heading, typify", [
    ("ca", "Trucada de +34 600 11 22 33 (cua support): 2 comptes.", "Tipifica aquesta trucada"),
    ("es", "Llamada de +34 600 11 22 33 (cola support): 2 cuentas.", "Tipificar esta llamada"),
    ("pt", "Ligação de +34 600 11 22 33 (fila support): 2 contas.", "Tipificar esta ligação"),
    ("en", "Call from +34 600 11 22 33 (queue support): 2 accounts.", "Typify this call"),
])
def test_the_screen_pop_is_in_the_language_of_the_agent_whose_phone_rings(
        demo: Services, language: str, heading: str, typify: str) -> None:
    speaks(demo, "alice", language)
    card = ring_alice(demo, "ring-1", "600112233")
    assert card.startswith(heading + "\n"), card
    assert f"[{typify}: /typify ring-1]" in card


def test_an_unknown_caller_s_screen_pop_in_catalan(demo: Services) -> None:
    speaks(demo, "alice", "ca")
    card = ring_alice(demo, "ring-2", "699999999")
    assert card.startswith("Trucada d'un número no desat: +34 699 99 99 99 (cua support).")
    assert "Ningú del directori no té aquest número." in card
    assert "[Cerca d'una altra manera: /lookup]" in card
