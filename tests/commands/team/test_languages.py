"""The team commands in the reader's language: /whoami and /people for the asker,
/announce's post in the team's language whatever the coordinator reads, /pbx sync's
summary DM in each admin's language while the audit keeps English."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commands.core import Services
from store import i18n
from store.db import reading, transaction
from store.messaging.outbox import OutboxMessage
from store.team import people
from store.team.audit import AuditEntry
from tests.conftest import Chat


def speaks(services: Services, key: str, language: str | None) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        person.language = language


WHOAMI = {
    "en": ("You are Alice Agent.", "== Your profile ==", "  Extension    211",
           "  Slack        not linked"),
    "ca": ("Ets Alice Agent.", "== El teu perfil ==", "  Extensió     211",
           "  Slack        no enllaçat"),
    "es": ("Eres Alice Agent.", "== Tu perfil ==", "  Extensión    211",
           "  Slack        sin vincular"),
    "pt": ("Você é Alice Agent.", "== Seu perfil ==", "  Ramal        211",
           "  Slack        não vinculado"),
}


@pytest.mark.parametrize("language", sorted(WHOAMI))
def test_whoami_answers_in_the_askers_language(chat: Chat, demo: Services,
                                               language: str) -> None:
    speaks(demo, "alice", language)
    lines = chat.say("alice", "/whoami").splitlines()
    first, title, extension, slack = WHOAMI[language]
    assert lines[0] == first
    assert title in lines and extension in lines and slack in lines


def test_people_names_roles_and_counts_in_the_askers_language(chat: Chat,
                                                              demo: Services) -> None:
    speaks(demo, "carla", "es")
    shown = chat.say("carla", "/people agent")
    assert shown.splitlines()[0] == "8 personas activas."
    assert "== Personas (agent) ==" in shown
    assert "@alice · agente · ext. 211 · morning" in shown
    assert chat.say("carla", "/people nadie").startswith("Nadie activo coincide con 'nadie'")


def test_an_announcement_goes_out_in_the_teams_language(chat: Chat, demo: Services) -> None:
    speaks(demo, "carla", "ca")
    assert chat.say("carla", "/announce Dinar a les 14:00") == (
        "He posat a la cua el teu anunci a l'equip (missatge de sortida 1); surt d'aquí a un "
        "moment.")
    assert chat.say("carla", "/announce").startswith("Què he d'anunciar?")
    with reading(demo.sessions) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.target == "team"
    assert row.body["text"] == "📣 Announcement from Carla Coordinator:\nDinar a les 14:00"


def test_pbx_sync_speaks_to_each_admin_in_theirs_and_audits_in_english(
        chat: Chat, demo: Services) -> None:
    speaks(demo, "ada", "pt")
    shown = chat.say("ada", "/pbx sync")
    assert shown.startswith("A central sim difere da lista de pessoas em 11 alterações:")
    assert "• renomear 211: Extension 211 → Alice Agent" in shown
    assert shown.rstrip().endswith("[Aplicar: /pbx sync apply]")
    applied = chat.say("ada", "/pbx sync apply")
    assert applied.startswith("Sincronização da central (sim): 11 alterações feitas.")
    with reading(demo.sessions) as session:
        audited = list(session.scalars(select(AuditEntry.text).where(
            AuditEntry.command == "pbx sync")))
        [dm] = session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like("pbx-sync:%"))).all()
    assert "rename 211: Extension 211 → Alice Agent" in audited
    assert dm.target == "person:ada" and dm.body["text"] == applied
    assert chat.say("ada", "/pbx sync") == (
        "A central sim está de acordo com a lista de pessoas: nada a mudar.")


def test_the_team_space_reads_the_teams_language_not_the_coordinators(
        chat: Chat, demo: Services) -> None:
    speaks(demo, "carla", "ca")
    before = i18n.team_language()
    i18n.set_team_language("es")
    try:
        reply = chat.say("carla", "/announce Dinar a les 14:00")
    finally:
        i18n.set_team_language(before)
    assert reply.startswith("He posat a la cua el teu anunci")
    with reading(demo.sessions) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.body["text"] == "📣 Anuncio de Carla Coordinator:\nDinar a les 14:00"
