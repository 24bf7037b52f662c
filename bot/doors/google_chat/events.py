"""Google Chat events: the request body → one typed ``ChatEvent``.

Both request formats (docs/protocols/google-chat.md, section "Request formats") — the
classic interaction event with a top-level ``type`` and the Workspace add-on event object
with a ``chat`` key — are turned into one ``ChatEvent`` here; the door
(bot.doors.google_chat.door) is format-blind after that except for the final wrapping of
the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.doors.http import storable
from commands.core import Where
from commands.text import sanitize
from store import i18n

PLATFORM = "google"

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
    # The locale of the user's Chat client ("es-ES"): common.userLocale (classic) or
    # commonEventObject.userLocale (add-on); None when the event does not say it.
    user_locale: str | None = None

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

MAX_MENTIONS = 100  # people mentioned in one message that are turned into references


# The longest of each name the store keeps (person.google_chat_id, chat_space.name).
MAX_USER_NAME, MAX_SPACE_NAME, MAX_DISPLAY = 128, 200, 200


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
                  for p in _list(_obj(body, "action").get("parameters"))
                  if isinstance(p, dict)}
    parameters.update(_str_dict(_obj(body, "common").get("parameters")))
    return _event(
        kind=CLASSIC_KINDS.get(kind_name, "other"), addon=False, type_=kind_name,
        user=_obj(body, "user"), space=_obj(body, "space") or _obj(message, "space"),
        message=message, thread=_obj(body, "thread") or _obj(message, "thread"),
        event_time=body.get("eventTime"),
        app_command=_obj(body, "appCommandMetadata").get("appCommandId"),
        parameters=parameters, locale=_obj(body, "common").get("userLocale"))


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
        parameters=_str_dict(_obj(body, "commonEventObject").get("parameters")),
        locale=_obj(body, "commonEventObject").get("userLocale"))


def _event(*, kind: str, addon: bool, type_: str, user: dict[str, Any], space: dict[str, Any],
           message: dict[str, Any], thread: dict[str, Any], event_time: Any, app_command: Any,
           parameters: dict[str, str], locale: Any = None) -> ChatEvent:
    user_name = user.get("name")
    if not isinstance(user_name, str) or not user_name.startswith("users/"):
        raise BadEvent("user.name is missing or is not users/ID")
    if len(user_name) > MAX_USER_NAME:
        raise BadEvent(f"user.name is longer than {MAX_USER_NAME} characters")
    space_name = space.get("name")
    if kind in ("message", "added", "removed", "click") and not isinstance(space_name, str):
        raise BadEvent("space.name is missing")
    if isinstance(space_name, str) and not 0 < len(space_name) <= MAX_SPACE_NAME:
        raise BadEvent(f"space.name must have 1 to {MAX_SPACE_NAME} characters")
    # What is stored or looked up as it is (ids, the redelivery key's parts); typed text
    # is cleaned by the dispatcher instead.
    for field, value in (("type", type_), ("user.name", user_name), ("space.name", space_name),
                         ("user.email", user.get("email")), ("message.name", message.get("name")),
                         ("thread.name", thread.get("name")), ("eventTime", event_time)):
        if isinstance(value, str) and not _storable(value):
            raise BadEvent(f"{field} contains a NUL character or an unpaired surrogate")
    command_id = app_command if app_command is not None else \
        _obj(message, "slashCommand").get("commandId")
    try:
        number = int(command_id) if command_id is not None else None
    except (TypeError, ValueError, OverflowError):
        raise BadEvent(f"the command id {command_id!r} is not a number") from None
    space_type = space.get("spaceType") or space.get("type")
    return ChatEvent(
        kind=kind, addon=addon, type=type_, user_name=user_name,
        user_email=_opt_str(user.get("email")),
        user_display=_opt_str(user.get("displayName")) or user_name,
        space_name=space_name if isinstance(space_name, str) else None,
        space_dm=space_type in ("DIRECT_MESSAGE", "DM") or space.get("singleUserBotDm") is True,
        space_display=sanitize(_opt_str(space.get("displayName")), MAX_DISPLAY),
        thread=_opt_str(thread.get("name")),
        message_name=_opt_str(message.get("name")),
        event_time=event_time if isinstance(event_time, str) or event_time is None
        else _canonical(event_time),
        text=typed_text(message), has_message=bool(message), command_id=number,
        button=parameters if kind == "click" else None, user_locale=i18n.locale_tag(locale))


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
    mentions = [a for a in _list(message.get("annotations"))
                if isinstance(a, dict) and a.get("type") == "USER_MENTION"][:MAX_MENTIONS]
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


def _storable(text: str) -> bool:
    try:
        storable(text)
    except ValueError:
        return False
    return True


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


def _canonical(value: Any) -> str:
    """A stable text for an odd ``eventTime`` (the redelivery key), whatever its shape."""
    try:
        return json.dumps(value, sort_keys=True)[:200]
    except (TypeError, ValueError, RecursionError):
        return repr(type(value))
