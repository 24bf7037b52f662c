from sqlalchemy import select

from commands.core import Command, Context, Reply, Services, UsageError, Where
from commands.dispatch import Dispatcher, Incoming
from commands.registry import COMMANDS
from integrations.errors import Unreachable
from store.db import transaction
from store.team import people
from store.team.audit import AuditEntry
from tests.conftest import Chat


def audit_rows(services: Services) -> list[AuditEntry]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_help_lists_only_what_the_asker_may_run(chat: Chat) -> None:
    agent = chat.say("alice", "/help")
    coordinator = chat.say("carla", "/help")
    admin = chat.say("ada", "/help")
    assert "/whoami" in agent and "/people" not in agent and "/audit" not in agent
    assert "/people" in coordinator and "/audit" not in coordinator
    assert "/audit" in admin


def test_help_on_one_command_shows_usage_and_who_may_run_it(chat: Chat) -> None:
    text = chat.say("alice", "/help people")
    assert "/people [role|group]" in text
    assert "coordinators and admins" in text
    assert "cannot run it: you are an agent" in text


def test_an_unknown_person_is_refused_told_who_grants_access_and_audited(demo: Services) -> None:
    chat = Chat(Dispatcher(COMMANDS, demo))
    result = chat.send("mallory", "/whoami")
    assert result.outcome == "unknown_person"
    assert "Ada Admin (ada@switchboard.example)" in result.reply.text
    (row,) = audit_rows(demo)
    assert (row.person_id, row.user_ref, row.outcome, row.command) == (
        None, "mallory", "unknown_person", None)


def test_an_inactive_person_is_refused(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        person = people.by_key(session, "bruno")
        assert person is not None
        person.active = False
    result = Chat(Dispatcher(COMMANDS, demo)).send("bruno", "/whoami")
    assert result.outcome == "inactive"
    assert "inactive" in result.reply.text


def test_a_role_check_refuses_and_audits(chat: Chat, demo: Services) -> None:
    result = chat.send("alice", "/audit")
    assert result.outcome == "denied"
    assert "for admins" in result.reply.text
    assert audit_rows(demo)[-1].outcome == "denied"


def test_unknown_commands_suggest_the_closest_names(chat: Chat) -> None:
    assert "I don't know 'whoam'. Did you mean /whoami" in chat.say("alice", "/whoam")
    assert chat.last is not None and chat.last.outcome == "unknown_command"
    assert "I don't know 'blorp'" in chat.say("alice", "blorp")


def _failing(ctx: Context, services: Services) -> Reply:
    raise Unreachable("PBX", "no answer within 3 s")


def _crashing(ctx: Context, services: Services) -> Reply:
    raise KeyError("boom")


def _strict(ctx: Context, services: Services) -> Reply:
    raise UsageError("Say which reason.")


def test_failures_become_clear_replies_and_are_audited(demo: Services) -> None:
    commands = (Command("fail", _failing, "", "/fail"), Command("crash", _crashing, "", "/crash"),
                Command("strict", _strict, "", "/strict REASON"))
    chat = Chat(Dispatcher(commands, demo))
    failed = chat.send("alice", "/fail")
    assert failed.outcome == "failed"
    assert failed.reply.text == "/fail did NOT happen: PBX said: no answer within 3 s"
    crashed = chat.send("alice", "/crash")
    assert crashed.outcome == "failed" and "It has been logged (ref " in crashed.reply.text
    usage = chat.send("alice", "/strict")
    assert usage.outcome == "usage"
    assert usage.reply.text == "Say which reason.\nUsage: /strict REASON"
    rows = audit_rows(demo)
    assert [(r.command, r.outcome) for r in rows] == [
        ("fail", "failed"), ("crash", "failed"), ("strict", "usage")]
    assert all(r.person_id is not None and r.duration_ms >= 0 for r in rows)


def test_a_chat_user_is_found_by_email_once_then_by_stored_id(demo: Services) -> None:
    dispatcher = Dispatcher(COMMANDS, demo)
    where = Where(platform="google", space="spaces/DM1")
    first = dispatcher.handle(Incoming(platform="google", user_id="users/42", text="/whoami",
                                       where=where, email="Alice@Switchboard.example"))
    assert first.ok and "Alice Agent" in first.reply.text
    with transaction(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None and alice.google_chat_id == "users/42"
    lookups: list[str] = []
    second = dispatcher.handle(Incoming(platform="google", user_id="users/42", text="/whoami",
                                        where=where, email_lookup=lambda: lookups.append("x") or None))
    assert second.ok and lookups == []


def test_an_email_that_matches_nobody_is_refused(demo: Services) -> None:
    dispatcher = Dispatcher(COMMANDS, demo)
    result = dispatcher.handle(Incoming(platform="slack", user_id="U999", text="/whoami",
                                        where=Where(platform="slack"),
                                        email_lookup=lambda: "eve@elsewhere.example"))
    assert result.outcome == "unknown_person"
