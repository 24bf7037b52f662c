"""Google Chat door (POST /chat/google): verify, parse, deduplicate, dispatch, render.

The body is parsed into a ``ChatEvent`` by ``events``, whichever of the two request formats
it uses; everything here is format-blind except the final wrapping of the answer.

Languages: when the event carries the user's locale (``common.userLocale``,
``commonEventObject.userLocale``) it is stored on the person (``chat_locale``) in the
dispatcher's first transaction, and every answer is rendered in the asker's language; what
the door says before knowing who asks, and greetings in rooms, in the team's.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from sqlalchemy.orm import Session

from bot.delivery.notifier import OutboxNotifier, part_key
from bot.doors.google_chat.auth import (
    CachedCertsRequest,
    ChatTokenVerifier,
    KeysUnavailable,
    Refused,
)
from bot.doors.google_chat.events import PLATFORM, BadEvent, ChatEvent, parse_event
from bot.doors.known import KnownOwners
from bot.render.google import (
    CLASSIC_FUNCTION,
    addon_response,
    dumps,
    private_to,
    render_message,
    split,
)
from bot.runtime import Runtime
from commands.core import Reply
from commands.dispatch import Incoming, Remember, Result
from store.db import transaction
from store.i18n import _, speaking
from store.messaging import chat
from store.team.people import Person, language_of

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


@dataclass
class Reader:
    """The language the asker reads, once the dispatcher has found them (None: the
    team's, for strangers and replays)."""

    language: str | None = None


def register(app: Flask, runtime: Runtime) -> None:
    """Add the Google Chat route to the app."""
    door = GoogleChatDoor(runtime)
    app.add_url_rule("/chat/google", "google_chat", door.view, methods=["POST"])
    app.extensions["google_chat_door"] = door


class GoogleChatDoor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.certs = CachedCertsRequest(runtime.services.clock)
        self.verifier = ChatTokenVerifier(runtime.settings, self.certs)
        self.addon_mode = runtime.settings.google_chat_auth_mode == "addon"
        # DM space → its owner, once the store is seen to hold it: later messages in that
        # DM skip the lookup.
        self.dm_owners = KnownOwners()

    def view(self) -> Response:
        try:  # nothing is read, and nothing runs, before the caller is known to be Google
            self.verifier.verify(request.headers.get("Authorization"))
        except KeysUnavailable as exc:
            log.warning("Google Chat: cannot verify callers, signing keys unavailable: %s", exc)
            return Response(status=503)
        except Refused as exc:
            log.info("Google Chat: refused a request: %s", exc)
            return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        data = request.stream.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            return _json({"error": f"the body is larger than {MAX_BODY_BYTES} bytes"}, 413)
        try:
            event = parse_event(json.loads(data or b"null"))
        except BadEvent as exc:
            return _json({"error": str(exc)}, 400)
        except (ValueError, RecursionError):  # not JSON, or nested beyond the parser
            return _json({"error": "the body is not valid JSON"}, 400)
        return _json(self.answer(event))

    def answer(self, event: ChatEvent) -> dict[str, Any]:
        """Handle an event once; a redelivery gets the first answer and runs nothing.

        Messages and clicks go through the dispatcher, which claims the redelivery key,
        identifies, remembers the DM and audits in one transaction; the rarer space events
        (added, removed) claim their key here."""
        try:
            if event.kind in ("message", "click"):
                return self.converse(event)
            return self.once(event)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("Google Chat: handling %s failed (ref %s)", event.type, ref)
            with speaking(None):
                text = _("Something went wrong, so it may not have happened. It has been "
                         "logged (ref {ref}).").format(ref=ref)
            return self.respond(event, Reply(text, private=True))

    def converse(self, event: ChatEvent) -> dict[str, Any]:
        reader = Reader()
        result = self.message(event, reader) if event.kind == "message" \
            else self.click(event, reader)
        if result.outcome == "duplicate":
            return {}  # the first delivery is still being answered
        return self.respond(event, result.reply, reader.language)

    def once(self, event: ChatEvent) -> dict[str, Any]:
        key = event.dedupe_key
        services = self.runtime.services
        if key is not None:
            with transaction(services.sessions) as session:
                seen = chat.claim_event(session, PLATFORM, key, services.clock.now())
                if seen is not None:
                    log.info("Google Chat: redelivery of %s answered from the store", key)
                    return seen.response or {}
        response = self.handle(event)
        if key is not None:
            with transaction(services.sessions) as session:
                chat.store_response(session, PLATFORM, key, response)
        return response

    def handle(self, event: ChatEvent) -> dict[str, Any]:
        if event.kind == "removed":
            assert event.space_name is not None
            with transaction(self.runtime.services.sessions) as session:
                chat.forget_space(session, PLATFORM, event.space_name)
            self.dm_owners.forget(event.space_name)
            return {}  # Chat shows nothing after a removal
        if event.kind == "added":
            reader = Reader()
            return self.respond(event, self.added(event, reader), reader.language)
        log.info("Google Chat: ignoring a %s event", event.type)
        return {}

    def added(self, event: ChatEvent, reader: Reader) -> Reply:
        """The greeting: in a DM in the person's language (their Chat locale counts from
        this first event on), in a room in the team's."""
        person, language = self.remember(event)
        if event.space_dm:
            reader.language = language
            first = (person.name if person else event.user_display).split()[0]
            with speaking(language):
                greeting = _("Hi {first}! I'm Switchboard, the support team's assistant. "
                             "Type /help to see what I can do for you.").format(first=first)
        else:
            with speaking(None):
                greeting = _("Hi everyone! I'm Switchboard, the support team's assistant. "
                             "Type /help (or mention me and say help) to see what I can do.")
        if not (event.has_message and (event.text or event.command_id is not None)):
            return Reply(greeting)
        answer = self.message(event, reader).reply
        return Reply(f"{greeting}\n\n{answer.text}", answer.sections, answer.private)

    def remember(self, event: ChatEvent) -> tuple[Person | None, str | None]:
        """Store the space (for a DM, whose it is: proactive messages reach people there)
        and the person's Chat locale when the event says it; the person and the language
        they read."""
        person = self.runtime.dispatcher.identify(self.incoming(event, text=""))
        services = self.runtime.services
        assert event.space_name is not None
        language = None
        with transaction(services.sessions) as session:
            chat.remember_space(session, PLATFORM, event.space_name,
                                "dm" if event.space_dm else "room", services.clock.now(),
                                display_name=event.space_display,
                                person_id=person.id if person and event.space_dm else None)
            stored = session.get(Person, person.id) if person is not None else None
            if stored is not None and stored.active:
                _keep_locale(stored, event.user_locale)
                language = language_of(stored)
        return person, language

    def remember_asker(self, event: ChatEvent, reader: Reader) -> Remember:
        """Inside the dispatcher's first transaction, once the asker is known: their DM
        (``remember_dm``), their Chat locale, and the language to render the answer in."""
        dm = self.remember_dm(event)
        locale = event.user_locale

        def remember(session: Session, person: Person | None) -> None:
            if dm is not None:
                dm(session, person)
            if person is not None:
                _keep_locale(person, locale)
                reader.language = language_of(person)

        return remember

    def remember_dm(self, event: ChatEvent) -> Remember | None:
        """For a DM: learn whose it is, inside the dispatcher's first transaction. A DM
        opened before this deployment never sent ADDED_TO_SPACE, and one opened by a
        stranger has no owner yet."""
        if not event.space_dm or event.space_name is None:
            return None
        name, display = event.space_name, event.space_display
        now = self.runtime.services.clock.now
        known = self.dm_owners

        def remember(session: Session, person: Person | None) -> None:
            if person is not None and known.get(name) == person.id:
                return  # stored already (seen committed by an earlier request)
            space = chat.find_space(session, PLATFORM, name)
            if space is None or (space.person_id is None and person is not None):
                chat.remember_space(session, PLATFORM, name, "dm", now(),
                                    display_name=display,
                                    person_id=person.id if person else None)
            elif person is not None and space.person_id == person.id:
                known.remember(name, person.id)

        return remember

    def message(self, event: ChatEvent, reader: Reader | None = None) -> Result:
        if event.command_id is None:
            incoming = self.incoming(event, text=event.text)
        else:
            name = self.runtime.settings.google_chat_commands.get(event.command_id)
            if name is None:
                log.warning("Google Chat: slash command id %s is not in GOOGLE_CHAT_COMMANDS",
                            event.command_id)
                with speaking(None):
                    text = _("The slash command with id {id} is not set up in Switchboard "
                             "(GOOGLE_CHAT_COMMANDS). Type /help to see what I can do.").format(
                                 id=event.command_id)
                return Result(Reply(text, private=True), "unknown_command")
            args = event.text
            incoming = self.incoming(event, text=f"/{name} {args}".strip(), command=name,
                                     args=args)
        return self.runtime.dispatcher.handle(
            incoming, remember=self.remember_asker(event, reader or Reader()))

    def click(self, event: ChatEvent, reader: Reader | None = None) -> Result:
        parameters = event.button or {}
        name = parameters.get("command", "").strip().lstrip("/")
        if not name:
            with speaking(None):
                text = _("That button no longer does anything. Type /help to see what I can "
                         "do.")
            return Result(Reply(text, private=True), "unknown_command")
        args = parameters.get("args", "").strip()
        incoming = self.incoming(event, text=f"/{name} {args}".strip(), command=name, args=args)
        return self.runtime.dispatcher.handle(
            incoming, remember=self.remember_asker(event, reader or Reader()))

    def incoming(self, event: ChatEvent, *, text: str, command: str | None = None,
                 args: str = "") -> Incoming:
        return Incoming(platform=PLATFORM, user_id=event.user_name, text=text,
                        where=event.where, email=event.user_email, command=command, args=args,
                        dedupe_key=event.dedupe_key if event.kind in ("message", "click")
                        else None)

    def respond(self, event: ChatEvent, reply: Reply,
                language: str | None = None) -> dict[str, Any]:
        """The answer as Chat takes it, rendered in ``language`` (the asker's)."""
        with speaking(language):
            return self._respond(event, reply)

    def _respond(self, event: ChatEvent, reply: Reply) -> dict[str, Any]:
        function = self.runtime.settings.google_chat_audience if self.addon_mode \
            else CLASSIC_FUNCTION
        first, *rest = split(reply, action_function=function)
        message = render_message(first, action_function=function)
        if reply.private and not event.space_dm:
            message = private_to(message, event.user_name)
        if rest and event.space_name:
            self.queue_rest(event, rest, private=reply.private and not event.space_dm)
        return addon_response(message) if event.addon else message

    def queue_rest(self, event: ChatEvent, rest: list[Reply], *, private: bool) -> None:
        """An answer too long for one message: the first piece is the synchronous answer,
        the others follow through the outbox into the same space (privately when the
        answer was private), as the most urgent kind of message."""
        notifier = self.runtime.services.notifier
        if not isinstance(notifier, OutboxNotifier) or event.space_name is None:
            return
        key = f"answer:{event.dedupe_key or uuid.uuid4().hex}"
        viewer = event.user_name if private else None
        with transaction(self.runtime.services.sessions) as session:
            for n, piece in enumerate(rest, start=2):
                notifier.send_to_space(session, PLATFORM, event.space_name, piece,
                                       key=part_key(key, n), viewer=viewer)


def _keep_locale(person: Person, locale: str | None) -> None:
    """Store the locale Chat says the person uses, when it says one and it changed."""
    if locale is not None and person.chat_locale != locale:
        person.chat_locale = locale


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")
