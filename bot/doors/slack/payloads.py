"""What a verified Slack body must hold before Bolt or a listener reads it.

Slack sends three shapes to ``/slack/events``: slash commands (a form), interactivity (a
form whose ``payload`` field is JSON) and the Events API (JSON). ``read_payload`` turns a verified
body into the dictionary Bolt will see; ``problem`` names the first field that is
missing, empty, of the wrong type or not storable, with the reason. The door answers
such a body with 400 and runs nothing, so no listener ever meets a ``KeyError`` or a
``TypeError`` on a field Slack always sends.

Only the fields this door or Bolt's own request context read are checked; the rest of a
payload may be anything JSON allows. Typed text (a command's ``text``, an event's) may hold
anything: the dispatcher removes what cannot be stored; every other text must be storable.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.doors.http import unstorable_text

# Slack's ids (U…, W…, C…, D…, G…, T…, E…): upper-case letters and digits. 64 is the
# longest the store keeps (person.slack_id).
SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,64}$")]
Text = Annotated[str, StringConstraints(max_length=40_000)]
Short = Annotated[str, StringConstraints(max_length=300)]
MAX_FORM_FIELDS = 200


class _Model(BaseModel):
    # Strict: Bolt reads the raw values, so what passes here must be what they are.
    model_config = ConfigDict(extra="allow", strict=True)


class _Team(_Model):
    id: Short | None = None


class _Authorization(_Model):
    enterprise_id: Short | None = None
    team_id: Short | None = None
    user_id: Short | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class _Envelope(_Model):
    """What Bolt's request context reads from every body."""

    team_id: Short | None = None
    team: Short | _Team | None = None
    enterprise_id: Short | None = None
    enterprise: Short | _Team | None = None
    authorizations: list[_Authorization] | None = None
    is_enterprise_install: bool | Short | None = None
    is_ext_shared_channel: bool | None = None


class SlashCommand(_Envelope):
    command: Annotated[str, StringConstraints(pattern=r"^/\S{1,80}$")]
    user_id: SlackId
    channel_id: SlackId | None = None
    channel_name: Short | None = None
    text: Text = ""
    trigger_id: Short | None = None
    response_url: Short | None = None


class _User(_Model):
    id: SlackId
    team_id: Short | None = None


class _Channel(_Model):
    id: SlackId | None = None


class _Container(_Model):
    channel_id: SlackId | None = None


class _Action(_Model):
    action_id: Short
    value: Text | None = None
    action_ts: Short | None = None


class _View(_Model):
    type: Short | None = None
    callback_id: Short | None = None
    app_installed_team_id: Short | None = None


class Interaction(_Envelope):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    user: _User
    actions: list[_Action] | None = Field(default=None, validate_default=True)
    channel: _Channel | None = None
    container: _Container | None = None
    response_url: Short | None = None
    trigger_id: Short | None = None
    view: _View | None = None
    workflow_step: dict[str, Any] | None = None

    @field_validator("actions")
    @classmethod
    def _an_action(cls, value: list[_Action] | None, info: ValidationInfo
                   ) -> list[_Action] | None:
        # Bolt hands a listener the first action of a click
        if info.data.get("type") in ("block_actions", "interactive_message") and not value:
            raise ValueError("a click names at least one action")
        return value


class _Event(_Model):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    user: SlackId | None = None
    channel: SlackId | None = None
    channel_type: Short | None = None
    text: Text | None = None
    thread_ts: Short | None = None
    user_team: Short | None = None
    team: Short | None = None
    message: dict[str, Any] | None = None
    previous_message: dict[str, Any] | None = None
    workflow_step: dict[str, Any] | None = None


class EventCallback(_Envelope):
    type: str
    event: _Event
    event_id: Short | None = None


class UrlVerification(_Envelope):
    type: str
    challenge: Short


class OtherEvent(_Envelope):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    event: dict[str, Any] | None = None


class Malformed(ValueError):
    """The body is not shaped as Slack sends it; ``field`` and ``reason`` say how."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def read_payload(body: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """(kind, the body as Bolt reads it): ``command`` (a form), ``interaction`` (a form's
    JSON ``payload``) or ``json``; Malformed when it is none of these. A form is a payload
    only when it has a ``payload`` field (Bolt's own test is "the word occurs in the
    body", which a command's text can make true)."""
    try:
        text = body.decode("utf-8")
        if content_type.partition(";")[0].strip().lower() == "application/json" \
                or text.startswith("{"):
            kind, data = "json", json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True,
                                  max_num_fields=MAX_FORM_FIELDS))
            kind, data = ("interaction", json.loads(form["payload"])) if "payload" in form \
                else ("command", form)
    except UnicodeDecodeError:
        raise Malformed("body", "is not UTF-8") from None
    except (ValueError, RecursionError):
        raise Malformed("body", "is neither JSON nor a form as Slack sends them") from None
    if not isinstance(data, dict):
        raise Malformed("body", "is not a JSON object")
    return kind, data


MODELS: dict[str, type[_Envelope]] = {"command": SlashCommand, "interaction": Interaction,
                                      "event_callback": EventCallback,
                                      "url_verification": UrlVerification}


def problem(kind: str, data: dict[str, Any]) -> Malformed | None:
    """The first field of a Slack body that is missing, empty, mistyped or unstorable."""
    typed = {k: v for k, v in data.items() if k != "text"}  # the dispatcher cleans typed text
    if isinstance(data.get("event"), dict):
        typed["event"] = {k: v for k, v in data["event"].items() if k != "text"}
    if (bad := unstorable_text(typed, "body")) is not None:
        return Malformed(bad.removeprefix("body.") or "body",
                         "contains a NUL character or an unpaired surrogate")
    if kind == "json":
        kind = "command" if "command" in data else str(data.get("type"))
    try:
        MODELS.get(kind, OtherEvent).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if not _is_union_tag(p)) or "body"
        return Malformed(field, first["msg"])
    return None


def _is_union_tag(part: int | str) -> bool:
    """pydantic names the branch of a union it tried (``str``, ``_Team``) in an error's
    location; the field's path is the rest."""
    return isinstance(part, str) and (part[:1].isupper() or part[:1] == "_" or "[" in part
                                      or "-" in part or part in ("str", "bool", "int"))

