"""Google Chat door (POST /chat/google): verify, parse, deduplicate, dispatch, render.

Both request formats (PROTOCOLS-chat.md A.0) — the classic interaction event with a
top-level ``type`` and the Workspace add-on event object with a ``chat`` key — are first
turned into one ``ChatEvent``; everything after that is format-blind except the final
wrapping of the answer.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from bot.google_auth import CachedCertsRequest, ChatTokenVerifier, KeysUnavailable, Refused
from bot.render_google import (
    CLASSIC_FUNCTION,
    addon_response,
    dumps,
    private_to,
    render_message,
)
from bot.runtime import Runtime
from commands.core import Reply, Where
from commands.dispatch import Incoming
from store import chat
from store.db import transaction
from store.people import Person

log = logging.getLogger(__name__)

PLATFORM = "google"
MAX_BODY_BYTES = 1_000_000

# Classic event types and add-on payload keys → what the door does with them.
CLASSIC_KINDS = {"MESSAGE": "message", "APP_COMMAND": "message", "ADDED_TO_SPACE": "added",
                 "REMOVED_FROM_SPACE": "removed", "CARD_CLICKED": "click"}
ADDON_KINDS = {"messagePayload": "message", "appCommandPayload": "message",
               "addedToSpacePayload": "added", "removedFromSpacePayload": "removed",
               "buttonClickedPayload": "click", "widgetUpdatedPayload": "other"}


class BadEvent(ValueError):
    """The body is not a Chat event we can read; the message names the field."""


@dataclass(frozen=True)
class ChatEvent:
    kind: str  # message | added | removed | click | other
    addon: bool
    type: str  # the classic type or the add-on payload key
    user_name: str
    user_email: str | None
    user_display: str
    space_name: str | None
    space_dm: bool
    space_display: str | None
    thread: str | None
    message_name: str | None
    event_time: str | None
    text: str = ""  # as typed: app mention stripped, people as <@users/ID>
    has_message: bool = False
    command_id: int | None = None
    button: dict[str, str] | None = None  # click parameters

    @property
    def dedupe_key(self) -> str | None:
        if self.kind == "click":
            # Every click on one card shares message.name: tell them apart by who and when.
            if not self.event_time:
                return None
            return f"{self.type}|{self.message_name}|{self.user_name}|{self.event_time}"
        if self.message_name:
            return f"{self.type}|{self.message_name}"
        if self.event_time:
            return f"{self.type}|{self.event_time}|{self.user_name}"
        return None

    @property
    def where(self) -> Where:
        return Where(platform=PLATFORM, space=self.space_name, thread=self.thread,
                     is_dm=self.space_dm)


# ----------------------------------------------------------------------- parsing


def parse_event(body: Any) -> ChatEvent:
    if not isinstance(body, dict):
        raise BadEvent("the body must be a JSON object")
    if "chat" in body:
        return _parse_addon(body)
    if "type" in body:
        return _parse_classic(body)
    raise BadEvent("the body has neither 'type' (classic event) nor 'chat' (add-on event)")


def _parse_classic(body: dict[str, Any]) -> ChatEvent:
    kind_name = body["type"]
    if not isinstance(kind_name, str):
        raise BadEvent("type must be a string")
    message = _obj(body, "message")
    parameters = {str(p.get("key")): str(p.get("value", ""))
                  for p in _obj(body, "action").get("parameters") or [] if isinstance(p, dict)}
    parameters.update(_str_dict(_obj(body, "common").get("parameters")))
    return _event(
        kind=CLASSIC_KINDS.get(kind_name, "other"), addon=False, type_=kind_name,
        user=_obj(body, "user"), space=_obj(body, "space") or _obj(message, "space"),
        message=message, thread=_obj(body, "thread") or _obj(message, "thread"),
        event_time=body.get("eventTime"),
        app_command=_obj(body, "appCommandMetadata").get("appCommandId"),
        parameters=parameters)


def _parse_addon(body: dict[str, Any]) -> ChatEvent:
    chat_object = body["chat"]
    if not isinstance(chat_object, dict):
        raise BadEvent("chat must be an object")
    key = next((k for k in ADDON_KINDS if k in chat_object), None)
    payload = _obj(chat_object, key) if key else {}
    message = _obj(payload, "message")
    return _event(
        kind=ADDON_KINDS[key] if key else "other", addon=True, type_=key or "unknownPayload",
        user=_obj(chat_object, "user"),
        space=_obj(payload, "space") or _obj(chat_object, "space") or _obj(message, "space"),
        message=message, thread=_obj(payload, "thread") or _obj(message, "thread"),
        event_time=chat_object.get("eventTime"),
        app_command=_obj(payload, "appCommandMetadata").get("appCommandId"),
        parameters=_str_dict(_obj(body, "commonEventObject").get("parameters")))


def _event(*, kind: str, addon: bool, type_: str, user: dict[str, Any], space: dict[str, Any],
           message: dict[str, Any], thread: dict[str, Any], event_time: Any, app_command: Any,
           parameters: dict[str, str]) -> ChatEvent:
    user_name = user.get("name")
    if not isinstance(user_name, str) or not user_name.startswith("users/"):
        raise BadEvent("user.name is missing or is not users/ID")
    space_name = space.get("name")
    if kind in ("message", "added", "removed", "click") and not isinstance(space_name, str):
        raise BadEvent("space.name is missing")
    command_id = app_command if app_command is not None else \
        _obj(message, "slashCommand").get("commandId")
    try:
        number = int(command_id) if command_id is not None else None
    except (TypeError, ValueError):
        raise BadEvent(f"the command id {command_id!r} is not a number") from None
    space_type = space.get("spaceType") or space.get("type")
    return ChatEvent(
        kind=kind, addon=addon, type=type_, user_name=user_name,
        user_email=_opt_str(user.get("email")),
        user_display=_opt_str(user.get("displayName")) or user_name,
        space_name=space_name if isinstance(space_name, str) else None,
        space_dm=space_type in ("DIRECT_MESSAGE", "DM") or space.get("singleUserBotDm") is True,
        space_display=_opt_str(space.get("displayName")),
        thread=_opt_str(thread.get("name")),
        message_name=_opt_str(message.get("name")),
        event_time=event_time if isinstance(event_time, str) or event_time is None
        else json.dumps(event_time, sort_keys=True),
        text=typed_text(message), has_message=bool(message), command_id=number,
        button=parameters if kind == "click" else None)


def typed_text(message: dict[str, Any]) -> str:
    """What the person typed: ``argumentText`` (app mention already stripped) else ``text``,
    with each mention of a person replaced by ``<@users/ID>`` and bot mentions removed."""
    full = _opt_str(message.get("text")) or ""
    argument = message.get("argumentText")
    if isinstance(argument, str):
        result = argument
    elif message.get("slashCommand") and full.lstrip().startswith("/"):
        result = full.lstrip().partition(" ")[2]  # drop the /command itself
    else:
        result = full
    mentions = [a for a in message.get("annotations") or []
                if isinstance(a, dict) and a.get("type") == "USER_MENTION"]
    cursor = 0
    for annotation in sorted(mentions, key=lambda a: _int(a.get("startIndex"))):
        user = _obj(_obj(annotation, "userMention"), "user")
        name = user.get("name")
        if not isinstance(name, str):
            continue
        start = _int(annotation.get("startIndex"))
        literal = full[start:start + _int(annotation.get("length"))]
        if not literal.startswith("@"):
            literal = "@" + str(user.get("displayName") or "")
        position = result.find(literal, cursor) if len(literal) > 1 else -1
        if position < 0:
            continue
        token = f"<@{name}>" if user.get("type") == "HUMAN" else ""
        result = result[:position] + token + result[position + len(literal):]
        cursor = position + len(token)
    return result.strip()


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ----------------------------------------------------------------------- the door


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
        except ValueError as exc:  # BadEvent, or JSON that does not parse
            reason = str(exc) if isinstance(exc, BadEvent) else "the body is not valid JSON"
            return _json({"error": reason}, 400)
        return _json(self.answer(event))

    def answer(self, event: ChatEvent) -> dict[str, Any]:
        """Handle an event once; a redelivery gets the first answer and runs nothing."""
        key = event.dedupe_key
        services = self.runtime.services
        if key is not None:
            with transaction(services.sessions) as session:
                seen = chat.claim_event(session, PLATFORM, key, services.clock.now())
                if seen is not None:
                    log.info("Google Chat: redelivery of %s answered from the store", key)
                    return seen.response or {}
        try:
            response = self.handle(event)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("Google Chat: handling %s failed (ref %s)", event.type, ref)
            response = self.respond(event, Reply(
                f"Something went wrong, so it may not have happened. It has been logged "
                f"(ref {ref}).", private=True))
        if key is not None:
            with transaction(services.sessions) as session:
                chat.store_response(session, PLATFORM, key, response)
        return response

    def handle(self, event: ChatEvent) -> dict[str, Any]:
        if event.kind == "removed":
            assert event.space_name is not None
            with transaction(self.runtime.services.sessions) as session:
                chat.forget_space(session, PLATFORM, event.space_name)
            return {}  # Chat shows nothing after a removal
        if event.kind == "added":
            return self.respond(event, self.added(event))
        if event.kind == "click":
            return self.respond(event, self.click(event))
        if event.kind == "message":
            if event.space_dm:
                self.remember_dm(event)
            return self.respond(event, self.message(event))
        log.info("Google Chat: ignoring a %s event", event.type)
        return {}

    def added(self, event: ChatEvent) -> Reply:
        person = self.remember(event)
        if event.space_dm:
            first = (person.name if person else event.user_display).split()[0]
            greeting = (f"Hi {first}! I'm Switchboard, the support team's assistant. "
                        "Type /help to see what I can do for you.")
        else:
            greeting = ("Hi everyone! I'm Switchboard, the support team's assistant. "
                        "Type /help (or mention me and say help) to see what I can do.")
        if not (event.has_message and (event.text or event.command_id is not None)):
            return Reply(greeting)
        answer = self.message(event)
        return Reply(f"{greeting}\n\n{answer.text}", answer.sections, answer.private)

    def remember(self, event: ChatEvent) -> Person | None:
        """Store the space (for a DM, whose it is: proactive messages reach people there)."""
        person = self.runtime.dispatcher.identify(self.incoming(event, text=""))
        services = self.runtime.services
        assert event.space_name is not None
        with transaction(services.sessions) as session:
            chat.remember_space(session, PLATFORM, event.space_name,
                                "dm" if event.space_dm else "room", services.clock.now(),
                                display_name=event.space_display,
                                person_id=person.id if person and event.space_dm else None)
        return person

    def remember_dm(self, event: ChatEvent) -> None:
        # A DM opened before this deployment never sent ADDED_TO_SPACE, and one opened by a
        # stranger has no owner yet: learn it now.
        assert event.space_name is not None
        with transaction(self.runtime.services.sessions) as session:
            space = chat.find_space(session, PLATFORM, event.space_name)
            known = space is not None and space.person_id is not None
        if not known:
            self.remember(event)

    def message(self, event: ChatEvent) -> Reply:
        if event.command_id is None:
            incoming = self.incoming(event, text=event.text)
        else:
            name = self.runtime.settings.google_chat_commands.get(event.command_id)
            if name is None:
                log.warning("Google Chat: slash command id %s is not in GOOGLE_CHAT_COMMANDS",
                            event.command_id)
                return Reply(f"The slash command with id {event.command_id} is not set up in "
                             "Switchboard (GOOGLE_CHAT_COMMANDS). Type /help to see what I can "
                             "do.", private=True)
            args = event.text
            incoming = self.incoming(event, text=f"/{name} {args}".strip(), command=name,
                                     args=args)
        return self.runtime.dispatcher.handle(incoming).reply

    def click(self, event: ChatEvent) -> Reply:
        parameters = event.button or {}
        name = parameters.get("command", "").strip().lstrip("/")
        if not name:
            return Reply("That button no longer does anything. Type /help to see what I can "
                         "do.", private=True)
        args = parameters.get("args", "").strip()
        incoming = self.incoming(event, text=f"/{name} {args}".strip(), command=name, args=args)
        return self.runtime.dispatcher.handle(incoming).reply

    def incoming(self, event: ChatEvent, *, text: str, command: str | None = None,
                 args: str = "") -> Incoming:
        return Incoming(platform=PLATFORM, user_id=event.user_name, text=text,
                        where=event.where, email=event.user_email, command=command, args=args)

    def respond(self, event: ChatEvent, reply: Reply) -> dict[str, Any]:
        function = self.runtime.settings.google_chat_audience if self.addon_mode \
            else CLASSIC_FUNCTION
        message = render_message(reply, action_function=function)
        if reply.private and not event.space_dm:
            message = private_to(message, event.user_name)
        return addon_response(message) if event.addon else message


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")
