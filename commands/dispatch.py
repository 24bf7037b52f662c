"""One dispatcher for every door: clean, identify, audit, parse, authorize, run, translate.

A request costs two bookkeeping transactions around whatever the command itself does:

1. **in** — claim the request's redelivery key (a replay is answered from the store and
   runs nothing), identify the asker, let the door remember what it needs (a DM space),
   and write the audit row. The command runs only once this has committed: there is no
   command without its audit row, and a failure to write it is an error the asker sees.
2. **out** — the audit row gets the outcome and duration, and the answer is stored under
   the redelivery key.

No transaction is open while the command runs, nor while a door looks up an email
address on its platform (Slack ``users.info``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from commands.core import Command, CommandError, Context, Reply, Services, Where
from commands.parse import Parser
from commands.text import clean, sanitize, split_args
from integrations import tracing
from integrations.errors import IntegrationError
from store.db import reading, transaction
from store.i18n import _, number, speaking
from store.messaging import chat
from store.team import audit, people
from store.team.audit import AuditEntry
from store.team.people import Person, Role, language_of

log = logging.getLogger(__name__)

AUDIT_TEXT_CHARS = 4000
DETAIL_CHARS = 2000
REFUSED = ("unknown_person", "inactive")


@dataclass(frozen=True)
class Incoming:
    """What a door hands over: who (as the platform knows them), where, and what."""

    platform: str  # console | google | slack | clock | desk
    user_id: str  # console, desk: person key; google: users/123; slack: U123
    text: str
    where: Where
    email: str | None = None
    # Slack events carry no email; the adapter passes a lookup (users.info) used only if needed.
    email_lookup: Callable[[], str | None] | None = None
    # Set when the platform already says which command it is (slash command id, button);
    # then ``args`` are its arguments and ``text`` is only what gets audited.
    command: str | None = None
    args: str = ""
    # A key naming this delivery (an event id, a slash command's trigger id): a second
    # request with the same key is answered with the first answer and runs nothing.
    dedupe_key: str | None = None


@dataclass(frozen=True)
class Result:
    reply: Reply
    # ok | usage | denied | failed | unknown_command | unknown_person | inactive | too_long
    outcome: str
    command: str | None = None
    replayed: bool = False  # answered from the store: a redelivery, nothing ran

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.reply.to_dict(), "outcome": self.outcome, "command": self.command}

    @classmethod
    def replay(cls, stored: dict[str, Any] | None) -> Result:
        if not stored or "reply" not in stored:  # the first delivery is still running
            return cls(Reply(""), "duplicate", replayed=True)
        return cls(Reply.from_dict(stored["reply"]), str(stored.get("outcome", "ok")),
                   stored.get("command"), replayed=True)


# What a door may do inside the "in" transaction, once the asker is known (remember a DM).
Remember = Callable[[Session, Person | None], None]


@dataclass
class _Asker:
    person: Person | None
    audit_id: int


class Dispatcher:
    def __init__(self, commands: Sequence[Command], services: Services, *,
                 observe: Callable[[Result], None] | None = None) -> None:
        self.commands = tuple(commands)
        self.by_name = {c.name: c for c in self.commands}
        self.parser = Parser(self.commands)
        self.services = services
        # Told every result (the metrics count commands by name and outcome).
        self.observe = observe

    # ----------------------------------------------------------------- entry point

    def handle(self, incoming: Incoming, *, remember: Remember | None = None) -> Result:
        started = time.monotonic()
        result = self._handle(incoming, remember)
        duration_ms = int((time.monotonic() - started) * 1000)
        tracing.set_fields(command=result.command, outcome=result.outcome,
                           duration_ms=duration_ms)
        log.info("%s request: /%s %s in %d ms", incoming.platform[:16],
                 result.command or "-", result.outcome, duration_ms)
        if self.observe is not None:
            try:
                self.observe(result)
            except Exception:
                log.exception("could not observe the result of a request")
        return result

    def _handle(self, incoming: Incoming, remember: Remember | None) -> Result:
        started = time.monotonic()
        limit = self.services.settings.max_command_chars
        incoming = replace(incoming, text=clean(incoming.text), args=clean(incoming.args))
        too_long = len(incoming.text) > limit or len(incoming.args) > limit
        if too_long:
            incoming = replace(incoming, text=incoming.text[:limit], args="", command=None)
        try:
            asker = self._check_in(incoming, remember)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("could not record a request from %s (ref %s); nothing ran",
                          incoming.user_id[:80], ref)
            with speaking(None):
                text = _("Sorry, I could not record your request, so I did not run it. "
                         "Please try again in a moment (ref {ref}).").format(ref=ref)
            return Result(Reply(text, private=True), "failed")
        if isinstance(asker, Result):
            return asker
        person = asker.person
        tracing.set_fields(person=person.key if person is not None else None)
        # Everything the asker reads is in their language; a stranger gets the team's.
        with speaking(language_of(person) if person is not None and person.active else None):
            if person is None or not person.active:
                result = self._refuse_stranger(incoming, person)
            elif too_long:
                result = Result(Reply(_("That message is too long: I read at most {limit} "
                                        "characters. Please shorten it.").format(
                                            limit=number(limit)), private=True), "too_long")
            else:
                result = self._run(incoming, person)
        self._check_out(incoming, asker, result, started)
        return result

    # ----------------------------------------------------------------- bookkeeping

    def _check_in(self, incoming: Incoming, remember: Remember | None) -> _Asker | Result:
        """The "in" transaction; a Result when this delivery was already handled."""
        services = self.services
        with transaction(services.sessions) as session:
            if incoming.dedupe_key is not None:
                seen = chat.claim_event(session, incoming.platform, incoming.dedupe_key,
                                        services.clock.now())
                if seen is not None:
                    log.info("%s: %s already handled; answered from the store",
                             incoming.platform, incoming.dedupe_key)
                    return Result.replay(seen.response)
            person = self._known(session, incoming, incoming.email)
            if person is not None or incoming.email_lookup is None:
                return self._admit(session, incoming, person, remember)
        # Unknown by id and the platform did not say the email: ask it, outside any
        # transaction, then link the account by email.
        email = incoming.email_lookup()
        with transaction(services.sessions) as session:
            person = self._known(session, incoming, email) if email else None
            return self._admit(session, incoming, person, remember)

    def _admit(self, session: Session, incoming: Incoming, person: Person | None,
               remember: Remember | None) -> _Asker:
        if remember is not None:
            remember(session, person if person is not None and person.active else None)
        entry = AuditEntry(
            at=self.services.clock.now(),
            person_id=person.id if person else None,
            platform=incoming.platform[:16],
            user_ref=sanitize(incoming.user_id, 320) or "",
            space=sanitize(incoming.where.space, 200),
            text=incoming.text[:AUDIT_TEXT_CHARS],
            command=None,
            outcome=audit.RUNNING,
            detail=None,
            duration_ms=0,
        )
        return _Asker(person, audit.start(session, entry))

    def _check_out(self, incoming: Incoming, asker: _Asker, result: Result,
                   started: float) -> None:
        detail = None if result.ok else result.reply.text[:DETAIL_CHARS]
        try:
            stored = None if incoming.dedupe_key is None else chat.response_update(
                incoming.platform, incoming.dedupe_key, result.to_dict())
            with transaction(self.services.sessions) as session:
                audit.finish(session, asker.audit_id, outcome=result.outcome,
                             command=result.command, detail=detail,
                             duration_ms=int((time.monotonic() - started) * 1000),
                             also=stored)
        except Exception:
            # The command has run and its audit row exists (outcome "running"); the asker
            # still gets the answer.
            log.exception("could not record the outcome of audit row %s", asker.audit_id)

    # ----------------------------------------------------------------- identity

    def _known(self, session: Session, incoming: Incoming, email: str | None) -> Person | None:
        """Person by key (console, clock, and the desk, which signed them in itself) or
        stored chat id; else by email, then linked."""
        if incoming.platform in ("console", "clock", "desk"):
            return people.by_key(session, incoming.user_id)
        person = people.by_chat_id(session, incoming.platform, incoming.user_id)
        if person is not None or not email:
            return person
        person = people.by_email(session, email)
        if person is not None and person.active:
            people.link_chat_id(session, person, incoming.platform, incoming.user_id)
        return person

    def identify(self, incoming: Incoming) -> Person | None:
        """Who is asking, without running or auditing anything (a door greeting a space)."""
        with transaction(self.services.sessions) as session:
            person = self._known(session, incoming, incoming.email)
            if person is not None or incoming.email_lookup is None:
                return person
        email = incoming.email_lookup()
        if not email:
            return None
        with transaction(self.services.sessions) as session:
            return self._known(session, incoming, email)

    def _refuse_stranger(self, incoming: Incoming, person: Person | None) -> Result:
        contact = self.services.settings.access_contact or self._admin_contact()
        if person is not None:
            text = _("Sorry, your account is inactive, so I can't run anything for you. "
                     "Ask {contact} to give you access.").format(contact=contact)
        else:
            text = _("Sorry, I don't know you yet, so I can't run anything for you. "
                     "Ask {contact} to give you access.").format(contact=contact)
        return Result(Reply(text, private=True), "inactive" if person else "unknown_person")

    def _admin_contact(self) -> str:
        with reading(self.services.sessions) as session:
            admins = people.with_role(session, Role.ADMIN)
        if not admins:
            return _("your Switchboard administrator")
        names = [f"{a.name} ({a.email})" if a.email else a.name for a in admins]
        return _("an admin: {names}").format(names=", ".join(names))

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
            text = _("Sorry, /{command} is for {role} and above; you are {yours}.").format(
                command=command.name, role=command.role.plural,
                yours=person.role_enum.with_article)
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
                text += "\n" + _("Usage: {usage}").format(usage=command.usage)
            return Result(Reply(text, private=True), exc.outcome, command.name)
        except IntegrationError as exc:
            log.warning("/%s failed: %s", command.name, exc)
            text = _("/{command} did NOT happen: {system} said: {message}").format(
                command=command.name, system=exc.system, message=exc.message)
            return Result(Reply(text, private=True), "failed", command.name)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("/%s crashed (ref %s)", command.name, ref)
            text = _("Something went wrong running /{command}, so it may not have happened. "
                     "It has been logged (ref {ref}).").format(command=command.name, ref=ref)
            return Result(Reply(text, private=True), "failed", command.name)
        return Result(reply, "ok", command.name)

    def _unknown(self, incoming: Incoming, person: Person) -> Result:
        word = incoming.command or self.parser.first_word(incoming.text)
        allowed = [c for c in self.commands if c.allowed(person)]
        close = self.parser.suggestions(word, allowed)
        shown = word if len(word) <= 40 else word[:40] + "…"
        if not word:
            text = _("Type /help to see what I can do for you.")
        elif close:
            names = ", ".join(f"/{n}" for n in close)
            text = _("I don't know {word}. Did you mean {names}?").format(word=repr(shown),
                                                                          names=names)
        else:
            text = _("I don't know {word}. Type /help to see what I can do for you.").format(
                word=repr(shown))
        return Result(Reply(text, private=True), "unknown_command")
