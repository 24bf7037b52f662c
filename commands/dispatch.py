"""One dispatcher for every door: identify, parse, authorize, run, translate errors, audit."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from commands.core import Command, CommandError, Context, Reply, Services, Where
from commands.parse import Parser, split_args
from integrations.errors import IntegrationError
from store import people
from store.audit import AuditEntry, record
from store.db import transaction
from store.people import Person, Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """What a door hands over: who (as the platform knows them), where, and what."""

    platform: str  # console | google | slack | clock
    user_id: str  # console: person key; google: users/123; slack: U123
    text: str
    where: Where
    email: str | None = None
    # Slack events carry no email; the adapter passes a lookup (users.info) used only if needed.
    email_lookup: Callable[[], str | None] | None = None
    # Set when the platform already says which command it is (slash command id, button);
    # then ``args`` are its arguments and ``text`` is only what gets audited.
    command: str | None = None
    args: str = ""


@dataclass(frozen=True)
class Result:
    reply: Reply
    outcome: str  # ok | usage | denied | failed | unknown_command | unknown_person | inactive
    command: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class Dispatcher:
    def __init__(self, commands: Sequence[Command], services: Services) -> None:
        self.commands = tuple(commands)
        self.by_name = {c.name: c for c in self.commands}
        self.parser = Parser(self.commands)
        self.services = services

    # ----------------------------------------------------------------- entry point

    def handle(self, incoming: Incoming) -> Result:
        started = time.monotonic()
        person = self.identify(incoming)
        if person is None or not person.active:
            result = self._refuse_stranger(incoming, person)
        else:
            result = self._run(incoming, person)
        self._audit(incoming, person, result, started)
        return result

    # ----------------------------------------------------------------- identity

    def identify(self, incoming: Incoming) -> Person | None:
        """Person by stored chat id; else by email, which is then stored on the person."""
        with transaction(self.services.sessions) as session:
            if incoming.platform in ("console", "clock"):
                return people.by_key(session, incoming.user_id)
            person = people.by_chat_id(session, incoming.platform, incoming.user_id)
            if person is not None:
                return person
        email = incoming.email
        if email is None and incoming.email_lookup is not None:
            # A platform call (Slack users.info): made with no transaction open.
            email = incoming.email_lookup()
        if not email:
            return None
        with transaction(self.services.sessions) as session:
            person = people.by_email(session, email)
            if person is not None and person.active:
                people.link_chat_id(session, person, incoming.platform, incoming.user_id)
            return person

    def _refuse_stranger(self, incoming: Incoming, person: Person | None) -> Result:
        contact = self.services.settings.access_contact or self._admin_contact()
        who = "Your account is inactive" if person else "I don't know you yet"
        text = f"Sorry, {who}, so I can't run anything for you. Ask {contact} to give you access."
        return Result(Reply(text, private=True), "inactive" if person else "unknown_person")

    def _admin_contact(self) -> str:
        with transaction(self.services.sessions) as session:
            admins = people.with_role(session, Role.ADMIN)
        if not admins:
            return "your Switchboard administrator"
        names = [f"{a.name} ({a.email})" if a.email else a.name for a in admins]
        return "an admin: " + ", ".join(names)

    # ----------------------------------------------------------------- running

    def resolve(self, incoming: Incoming) -> tuple[Command, str] | None:
        if incoming.command is not None:
            command = self.by_name.get(incoming.command.lstrip("/").lower())
            return (command, incoming.args.strip()) if command else None
        parsed = self.parser.parse(incoming.text)
        return (parsed.command, parsed.arg_text) if parsed else None

    def _run(self, incoming: Incoming, person: Person) -> Result:
        resolved = self.resolve(incoming)
        if resolved is None:
            return self._unknown(incoming, person)
        command, arg_text = resolved
        if not command.allowed(person):
            text = (f"Sorry, /{command.name} is for {command.role.value}s and above; "
                    f"you are {person.role_enum.with_article}.")
            return Result(Reply(text, private=True), "denied", command.name)
        ctx = Context(
            person=person,
            command=command.name,
            text=incoming.text,
            arg_text=arg_text,
            args=split_args(arg_text),
            where=incoming.where,
            now=self.services.clock.now(),
            commands=self.commands,
        )
        try:
            reply = command.run(ctx, self.services)
        except CommandError as exc:
            text = exc.message
            if exc.outcome == "usage":
                text += f"\nUsage: {command.usage}"
            return Result(Reply(text, private=True), exc.outcome, command.name)
        except IntegrationError as exc:
            log.warning("/%s failed: %s", command.name, exc)
            text = f"/{command.name} did NOT happen: {exc.system} said: {exc.message}"
            return Result(Reply(text, private=True), "failed", command.name)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("/%s crashed (ref %s)", command.name, ref)
            text = (f"Something went wrong running /{command.name}, so it may not have happened. "
                    f"It has been logged (ref {ref}).")
            return Result(Reply(text, private=True), "failed", command.name)
        return Result(reply, "ok", command.name)

    def _unknown(self, incoming: Incoming, person: Person) -> Result:
        word = incoming.command or self.parser.first_word(incoming.text)
        allowed = [c for c in self.commands if c.allowed(person)]
        close = self.parser.suggestions(word, allowed)
        if not word:
            text = "Type /help to see what I can do for you."
        elif close:
            text = f"I don't know {word!r}. Did you mean " + ", ".join(f"/{n}" for n in close) + "?"
        else:
            text = f"I don't know {word!r}. Type /help to see what I can do for you."
        return Result(Reply(text, private=True), "unknown_command")

    # ----------------------------------------------------------------- audit

    def _audit(self, incoming: Incoming, person: Person | None, result: Result,
               started: float) -> None:
        detail = None if result.ok else result.reply.text[:2000]
        entry = AuditEntry(
            at=self.services.clock.now(),
            person_id=person.id if person else None,
            platform=incoming.platform,
            user_ref=incoming.user_id[:320],
            space=incoming.where.space,
            text=incoming.text[:4000],
            command=result.command,
            outcome=result.outcome,
            detail=detail,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        try:
            with transaction(self.services.sessions) as session:
                record(session, entry)
        except Exception:
            log.exception("could not write the audit entry for %r", incoming.text[:80])
