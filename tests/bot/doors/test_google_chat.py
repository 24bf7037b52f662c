"""POST /chat/google end to end: both event formats, signed for real, through the dispatcher."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.doors.google_chat.door import GoogleChatDoor
from bot.doors.google_chat.events import parse_event, typed_text
from bot.runtime import Runtime
from commands.core import Button, Command, Context, Reply, Section, Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from store.db import reading, transaction
from store.messaging import chat
from store.messaging.chat import ChatSpace, InboundEvent
from store.messaging.outbox import URGENT, OutboxMessage
from store.team import people
from store.team.audit import AuditEntry
from testing.google_tokens import ENDPOINT_URL, CertsServer, Door, open_door
from tests.conftest import Database

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))

ALICE = {"name": "users/211", "displayName": "Alice Agent", "email": "alice@switchboard.example",
         "type": "HUMAN"}
CARLA = {"name": "users/201", "displayName": "Carla Coordinator",
         "email": "carla@switchboard.example", "type": "HUMAN"}
ADA = {"name": "users/200", "displayName": "Ada Admin", "email": "ada@switchboard.example",
       "type": "HUMAN"}
BOT = {"name": "users/999", "displayName": "Switchboard", "type": "BOT"}
DM = {"name": "spaces/DM1", "type": "DM", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}
ROOM = {"name": "spaces/ROOM1", "type": "ROOM", "spaceType": "SPACE",
        "displayName": "Support team"}
TIME = "2026-11-23T08:00:00.000000Z"


def msg(text: str, *, user: dict[str, Any] = ALICE, space: dict[str, Any] = DM,
        name: str = "spaces/S/messages/M1", argument: str | None = None,
        slash: str | None = None, annotations: list[dict[str, Any]] | None = None,
        ) -> dict[str, Any]:
    message: dict[str, Any] = {"name": name, "sender": user, "text": text,
                               "argumentText": text if argument is None else argument,
                               "thread": {"name": space["name"] + "/threads/T1"},
                               "space": space}
    if slash is not None:
        message["slashCommand"] = {"commandId": slash}
    if annotations:
        message["annotations"] = annotations
    return message


def classic(type_: str, *, user: dict[str, Any] = ALICE, space: dict[str, Any] = DM,
            time: str = TIME, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "eventTime": time, "user": user, "space": space,
            "common": {"hostApp": "CHAT", "userLocale": "en"}, **extra}


def addon(payload_key: str, payload: dict[str, Any], *, user: dict[str, Any] = ALICE,
          space: dict[str, Any] = DM, parameters: dict[str, str] | None = None,
          time: str = TIME) -> dict[str, Any]:
    common: dict[str, Any] = {"hostApp": "CHAT", "userLocale": "en"}
    if parameters is not None:
        common["parameters"] = parameters
    return {"commonEventObject": common,
            "authorizationEventObject": {"systemIdToken": "the same token as the header"},
            "chat": {"user": user, "eventTime": time, "space": space,
                     payload_key: {**payload, "space": space}}}


def unwrap(response: dict[str, Any]) -> dict[str, Any]:
    message = response["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]
    assert isinstance(message, dict)
    return message


def rows_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(w["decoratedText"]["topLabel"], w["decoratedText"]["text"])
            for card in message.get("cardsV2", []) for s in card["card"]["sections"]
            for w in s["widgets"] if "decoratedText" in w]


def audit(door: Door) -> list[AuditEntry]:
    with transaction(door.services.sessions) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def spaces(door: Door) -> dict[str, tuple[str, int | None]]:
    with transaction(door.services.sessions) as session:
        return {s.name: (s.kind, s.person_id) for s in session.scalars(select(ChatSpace))}


def person_id(door: Door, key: str) -> int:
    with transaction(door.services.sessions) as session:
        person = people.by_key(session, key)
    assert person is not None
    return person.id


@pytest.fixture
def door(db: Database, clock: FixedClock, certs: CertsServer) -> Door:
    return open_door(db, clock, certs.certs_url)


@pytest.fixture
def addon_door(db: Database, clock: FixedClock, certs: CertsServer, door: Door) -> Door:
    """An add-on-mode app on the same database as ``door``."""
    return open_door(db, clock, certs.certs_url, mode="addon")


def post(door: Door, body: dict[str, Any]) -> dict[str, Any]:
    response = door.post(body)
    assert response.status_code == 200, response.data
    assert isinstance(response.json, dict)
    return response.json


# ----------------------------------------------------------------------- messages


def test_plain_text_in_a_dm_goes_through_the_phrases_and_learns_the_dm(door: Door) -> None:
    reply = post(door, classic("MESSAGE", message=msg("who am i")))
    assert reply["text"] == "You are Alice Agent."
    assert ("Google Chat", "users/211") in rows_of(reply)
    assert "privateMessageViewer" not in reply  # a DM is private already
    assert (audit(door)[-1].command, audit(door)[-1].text) == ("whoami", "who am i")
    assert spaces(door) == {"spaces/DM1": ("dm", person_id(door, "alice"))}


def test_classic_and_addon_formats_give_the_same_reply(door: Door, addon_door: Door) -> None:
    classic_reply = post(door, classic("MESSAGE", message=msg("/whoami", name="spaces/S/messages/A")))
    addon_reply = post(addon_door, addon("messagePayload",
                                         {"message": msg("/whoami", name="spaces/S/messages/B")}))
    assert unwrap(addon_reply) == classic_reply
    assert len(rows_of(classic_reply)) == 8


def test_a_private_reply_in_a_room_is_shown_to_the_asker_only(door: Door) -> None:
    text = "@Switchboard whoami"
    mention = {"type": "USER_MENTION", "startIndex": 0, "length": 12,
               "userMention": {"user": BOT, "type": "MENTION"}}
    reply = post(door, classic("MESSAGE", space=ROOM, message=msg(
        text, space=ROOM, argument=" whoami", annotations=[mention])))
    assert reply["text"] == "You are Alice Agent."
    assert reply["privateMessageViewer"] == {"name": "users/211"}
    entry = audit(door)[-1]
    assert (entry.space, entry.text) == ("spaces/ROOM1", "whoami")
    assert spaces(door) == {}  # rooms are learnt from ADDED_TO_SPACE only


def test_mentions_of_people_reach_the_command_as_platform_ids(door: Door) -> None:
    post(door, classic("MESSAGE", user=CARLA, message=msg("/whoami", user=CARLA)))  # links carla
    text = "@Switchboard audit @Carla Coordinator"
    annotations = [
        {"type": "USER_MENTION", "startIndex": 0, "length": 12,
         "userMention": {"user": BOT, "type": "MENTION"}},
        {"type": "USER_MENTION", "startIndex": 19, "length": 18,
         "userMention": {"user": CARLA, "type": "MENTION"}},
    ]
    reply = post(door, classic("MESSAGE", user=ADA, space=ROOM, message=msg(
        text, user=ADA, space=ROOM, name="spaces/S/messages/M2",
        argument=" audit @Carla Coordinator", annotations=annotations)))
    assert reply["text"] == "Last 1 requests."  # only Carla's /whoami
    entry = audit(door)[-1]
    assert (entry.text, entry.command, entry.outcome) == ("audit <@users/201>", "audit", "ok")


def test_typed_text_without_argument_text_drops_bot_mentions_and_the_slash_command() -> None:
    assert typed_text({"text": "@Switchboard  pause lunch", "annotations": [
        {"type": "USER_MENTION", "startIndex": 0, "length": 12,
         "userMention": {"user": BOT}}]}) == "pause lunch"
    assert typed_text({"text": "/people coordinator", "slashCommand": {"commandId": "2"}}) == \
        "coordinator"
    assert typed_text({"text": "hi @Alice Agent", "annotations": [
        {"type": "USER_MENTION", "startIndex": 3, "length": 12,
         "userMention": {"user": ALICE}}]}) == "hi <@users/211>"


def test_a_stranger_is_told_who_grants_access(door: Door) -> None:
    mallory = {"name": "users/666", "email": "mallory@elsewhere.example", "type": "HUMAN"}
    reply = post(door, classic("MESSAGE", user=mallory, message=msg("/whoami", user=mallory)))
    assert "I don't know you yet" in reply["text"]
    assert audit(door)[-1].outcome == "unknown_person"


# ----------------------------------------------------------------------- slash commands


def test_slash_command_by_id_in_every_form(door: Door, addon_door: Door) -> None:
    forms = [
        (door, classic("MESSAGE", user=CARLA, message=msg(
            "/people coordinator", user=CARLA, name="spaces/S/messages/S1",
            argument=" coordinator", slash="2")), False),
        (door, classic("APP_COMMAND", user=CARLA, time="2026-11-23T08:00:01Z",
                       appCommandMetadata={"appCommandId": 2, "appCommandType": "SLASH_COMMAND"},
                       message=msg("/people coordinator", user=CARLA,
                                   name="spaces/S/messages/S2", argument=" coordinator")), False),
        (addon_door, addon("appCommandPayload", {
            "appCommandMetadata": {"appCommandId": "2", "appCommandType": "SLASH_COMMAND"},
            "message": msg("/people coordinator", user=CARLA, name="spaces/S/messages/S3",
                           argument=" coordinator")}, user=CARLA), True),
    ]
    replies = []
    for target, body, wrapped in forms:
        reply = post(target, body)
        replies.append(unwrap(reply) if wrapped else reply)
    assert replies[0] == replies[1] == replies[2]
    assert replies[0]["text"] == "2 active people."
    assert [r[0] for r in rows_of(replies[0])] == ["Carla Coordinator", "Dani Coordinator"]
    assert [(e.text, e.command, e.outcome) for e in audit(door)] == \
        [("/people coordinator", "people", "ok")] * 3


def test_an_unknown_slash_command_id_is_named(door: Door) -> None:
    reply = post(door, classic("MESSAGE", space=ROOM, message=msg(
        "/frobnicate", space=ROOM, argument="", slash="7")))
    assert "id 7" in reply["text"] and "GOOGLE_CHAT_COMMANDS" in reply["text"]
    assert reply["privateMessageViewer"] == {"name": "users/211"}
    assert audit(door) == []


# ----------------------------------------------------------------------- spaces


def test_added_to_a_dm_remembers_whose_it_is_and_greets(door: Door) -> None:
    reply = post(door, classic("ADDED_TO_SPACE"))
    assert "Hi Alice!" in reply["text"] and "/help" in reply["text"]
    assert spaces(door) == {"spaces/DM1": ("dm", person_id(door, "alice"))}


def test_added_to_a_room_with_a_command_greets_and_answers(door: Door) -> None:
    reply = post(door, classic("ADDED_TO_SPACE", user=CARLA, space=ROOM, message=msg(
        "/whoami", user=CARLA, space=ROOM, argument="", slash="1")))
    assert reply["text"].startswith("Hi everyone!")
    assert "/help" in reply["text"] and "You are Carla Coordinator." in reply["text"]
    assert spaces(door) == {"spaces/ROOM1": ("room", None)}
    assert audit(door)[-1].command == "whoami"


def test_addon_added_and_removed(addon_door: Door) -> None:
    reply = post(addon_door, addon("addedToSpacePayload", {"interactionAdd": False},
                                   space=ROOM))
    assert unwrap(reply)["text"].startswith("Hi everyone!")
    assert spaces(addon_door) == {"spaces/ROOM1": ("room", None)}
    assert post(addon_door, addon("removedFromSpacePayload", {}, space=ROOM,
                                  time="2026-11-23T09:00:00Z")) == {}
    assert spaces(addon_door) == {}


def test_removed_from_space_forgets_it_and_says_nothing(door: Door) -> None:
    post(door, classic("ADDED_TO_SPACE", space=ROOM))
    assert post(door, classic("REMOVED_FROM_SPACE", space=ROOM,
                              time="2026-11-23T09:00:00Z")) == {}
    assert spaces(door) == {}


# ----------------------------------------------------------------------- buttons


def click(user: dict[str, Any], command: str, args: str, time: str = TIME) -> dict[str, Any]:
    return classic("CARD_CLICKED", user=user, space=ROOM, time=time,
                   message=msg("", user=BOT, space=ROOM, name="spaces/S/messages/CARD"),
                   action={"actionMethodName": "switchboard", "parameters": [
                       {"key": "command", "value": command}, {"key": "args", "value": args}]},
                   common={"invokedFunction": "switchboard",
                           "parameters": {"command": command, "args": args}})


def test_a_button_runs_its_command_as_the_clicker(door: Door, addon_door: Door) -> None:
    reply = post(door, click(CARLA, "people", "coordinator"))
    assert reply["text"] == "2 active people."
    assert reply["privateMessageViewer"] == {"name": "users/201"}
    addon_reply = post(addon_door, addon(
        "buttonClickedPayload", {"message": msg("", user=BOT, space=ROOM)}, user=CARLA,
        space=ROOM, parameters={"command": "people", "args": "coordinator"}))
    assert unwrap(addon_reply) == reply
    assert [(e.text, e.outcome) for e in audit(door)] == [("/people coordinator", "ok")] * 2


def test_a_button_is_authorized_like_typing_it(door: Door) -> None:
    reply = post(door, click(ALICE, "people", ""))
    assert "for coordinators" in reply["text"]
    assert rows_of(reply) == []
    entry = audit(door)[-1]
    assert (entry.command, entry.outcome, entry.person_id) == (
        "people", "denied", person_id(door, "alice"))


def test_two_clicks_on_one_card_both_run(door: Door) -> None:
    post(door, click(CARLA, "people", ""))
    post(door, click(CARLA, "people", "", time="2026-11-23T08:05:00Z"))
    assert len(audit(door)) == 2


def test_addon_buttons_call_the_endpoint_url(addon_door: Door) -> None:
    runtime_door = addon_door.client.application.extensions["google_chat_door"]
    assert isinstance(runtime_door, GoogleChatDoor)
    event = parse_event(addon("messagePayload", {"message": msg("hi")}))
    reply = Reply("Pick one", (Section(buttons=(Button("Resume", "resume"),)),))
    message = unwrap(runtime_door.respond(event, reply))
    (button,) = message["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["buttonList"]["buttons"]
    assert button["onClick"]["action"]["function"] == ENDPOINT_URL


# ----------------------------------------------------------------------- redelivery and bad input


def test_a_redelivered_event_runs_once_and_gets_the_same_answer(door: Door) -> None:
    body = classic("MESSAGE", message=msg("/whoami"))
    first, second = post(door, body), post(door, body)
    assert first == second and first["text"] == "You are Alice Agent."
    assert len(audit(door)) == 1
    with transaction(door.services.sessions) as session:
        (event,) = session.scalars(select(InboundEvent))
    assert event.event_key == "MESSAGE|spaces/S/messages/M1"
    assert event.response is not None
    assert (event.response["outcome"], event.response["command"]) == ("ok", "whoami")


def test_a_redelivery_while_the_first_is_in_flight_gets_an_empty_answer(door: Door) -> None:
    with transaction(door.services.sessions) as session:
        chat.claim_event(session, "google", "MESSAGE|spaces/S/messages/M1",
                         door.services.clock.now())
    assert post(door, classic("MESSAGE", message=msg("/whoami"))) == {}
    assert audit(door) == []


@pytest.mark.parametrize(("body", "field"), [
    ([], "JSON object"),
    ({"hello": 1}, "neither 'type'"),
    ({"type": "MESSAGE", "message": {"text": "hi"}, "space": DM}, "user.name"),
    ({"type": "MESSAGE", "user": ALICE, "message": {"text": "hi"}}, "space.name"),
    ({"chat": "nope"}, "chat must be an object"),
    ({"type": "MESSAGE", "user": ALICE, "space": DM,
      "message": {"text": "/x", "slashCommand": {"commandId": "one"}}}, "command id"),
])
def test_an_unreadable_event_is_refused_naming_the_field(door: Door, body: Any,
                                                         field: str) -> None:
    response = door.post(body)
    assert response.status_code == 400
    assert field in response.json["error"]
    assert audit(door) == []
    with transaction(door.services.sessions) as session:
        assert list(session.scalars(select(InboundEvent))) == []


def test_an_oversized_body_is_refused(door: Door) -> None:
    body = classic("MESSAGE", message=msg("/whoami " + "x" * 1_000_001))
    response = door.post(body)
    assert response.status_code == 413
    assert audit(door) == []


# ----------------------------------------------------------------------- hostile input


def _b64(data: bytes) -> str:
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("part", ["header", "payload"])
def test_a_token_nested_thousands_deep_is_refused_not_a_crash(door: Door, part: str) -> None:
    deep = ("[" * 2000 + "]" * 2000).encode()
    header = deep if part == "header" else b'{"alg":"RS256","kid":"test-kid-1"}'
    payload = deep if part == "payload" else b'{"iss":"x"}'
    token = f"{_b64(header)}.{_b64(payload)}.{_b64(b'sig')}"
    response = door.post(classic("MESSAGE", message=msg("/whoami")), token=token)
    assert response.status_code == 401
    assert audit(door) == []


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"type": "MESSAGE", "eventTime": 1e400, "user": {"name": "users/211"}}',
    b'{"type": "MESSAGE", "user": {"name": "users/211"}, "space": {"name": "spaces/DM1"},'
    b' "message": {"text": "hi", "annotations": 7}}',
    b'{"type": "CARD_CLICKED", "user": {"name": "users/211"}, "space": {"name": "spaces/S"},'
    b' "action": {"parameters": 12}, "common": {"parameters": [1, 2]}}',
    b'{"type": "MESSAGE", "user": {"name": "users/211"}, "space": {"name": "spaces/DM1"},'
    b' "message": {"text": "/x", "slashCommand": {"commandId": 1e400}}}',
    b'{"chat": {"user": {"name": "users/211"}, "messagePayload": {"space": {"name": "s"},'
    b' "message": {"text": "/whoami", "annotations": [{"type": "USER_MENTION",'
    b' "startIndex": 1e400, "length": "x"}]}}}}',
])
def test_signed_bodies_of_the_wrong_shape_are_answered_not_crashed(door: Door,
                                                                   raw: bytes) -> None:
    response = door.client.post("/chat/google", data=raw, content_type="application/json",
                                headers={"Authorization": f"Bearer {door.token()}"})
    assert response.status_code in (200, 400), response.data[:200]


def test_a_signed_message_with_nul_and_surrogates_is_answered_and_audited(door: Door) -> None:
    raw = ('{"type": "MESSAGE", "user": {"name": "users/211", "email": '
           '"alice@switchboard.example"}, "space": {"name": "spaces/DM1", "type": "DM"}, '
           '"message": {"name": "spaces/DM1/messages/Z", "text": "/whoami \\u0000 \\ud800"}}')
    response = door.client.post("/chat/google", data=raw, content_type="application/json",
                                headers={"Authorization": f"Bearer {door.token()}"})
    assert response.status_code == 200 and "Alice Agent" in response.json["text"]
    (row,) = audit(door)
    assert row.outcome == "ok" and "\x00" not in row.text


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=20)
EVENT_KEYS = st.sampled_from(["type", "user", "space", "message", "action", "common", "chat",
                              "eventTime", "appCommandMetadata", "thread"])


@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.dictionaries(EVENT_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES)
def test_any_signed_json_gets_a_2xx_or_4xx(door: Door, body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("user"), dict):
        body["user"]["name"] = "users/211"
    response = door.client.post("/chat/google", data=json.dumps(body),
                                content_type="application/json",
                                headers={"Authorization": f"Bearer {door.token()}"})
    assert response.status_code < 500
    assert "Something went wrong" not in response.get_data(as_text=True)


def test_first_messages_racing_in_a_new_dm_are_all_answered(door: Door) -> None:
    """Several first messages in a DM nobody has seen yet, at once: each is answered and
    the DM is remembered once (the space insert ignores the loser's conflict)."""
    import threading

    rounds, width = 4, 8
    answers: list[int] = []
    for r in range(rounds):
        barrier = threading.Barrier(width)
        space = {**DM, "name": f"spaces/NEW{r}"}

        def send(n: int, space: dict[str, Any] = space, barrier: threading.Barrier = barrier
                 ) -> None:
            body = classic("MESSAGE", message=msg("/whoami", name=f"{space['name']}/m/{n}",
                                                  space=space), space=space)
            token = door.token()
            barrier.wait()
            response = door.post(body, token=token)
            answers.append(200 if "Alice Agent" in response.get_data(as_text=True) else -1)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(width)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * rounds * width
    known = spaces(door)
    assert all(known[f"spaces/NEW{r}"] == ("dm", person_id(door, "alice"))
               for r in range(rounds))


def test_an_answer_too_long_for_one_message_sends_the_rest_through_the_outbox(
        door: Door) -> None:
    names = [f"Name {n:04d}" for n in range(1000)]

    def roll(ctx: Context, services: Services) -> Reply:
        return Reply("Everyone: " + ", ".join(names) + ".", private=True)

    runtime = door.client.application.extensions["switchboard"]
    assert isinstance(runtime, Runtime)
    runtime.dispatcher = Dispatcher(
        (*COMMANDS, Command(name="roll", run=roll, summary="Everyone", usage="/roll")),
        door.services)
    reply = post(door, classic("MESSAGE", message=msg("/roll", space=ROOM), space=ROOM))
    assert reply["privateMessageViewer"] == {"name": "users/211"}
    with reading(door.services.sessions) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert rows and all(r.space == "spaces/ROOM1" and r.priority == URGENT for r in rows)
    assert all(r.body["privateMessageViewer"] == {"name": "users/211"} for r in rows)
    texts = [reply["text"]] + [r.body["text"] for r in rows]
    shown = [name for text in texts for name in
             text.split(": ", 1)[1].removesuffix(".").split(", ")]
    assert shown == names  # the asker gets all of it, in order


# ----------------------------------------------------------------------- hostile text


@pytest.mark.parametrize(("body", "field"), [
    # issue 19, found by tests/bot/doors/test_hostile_input.py: on PostgreSQL each was a
    # traceback (the redelivery key or the chat id could not be written) and an apology
    (classic("\x00"), "type"),
    (classic("\u202e\ud800 9"), "type"),
    (classic("MESSAGE", message=msg("whoami", name="spaces/DM1/messages/\x00")),
     "message.name"),
    (classic("MESSAGE", user={**ALICE, "name": "users/" + "1" * 200},
             message=msg("whoami")), "user.name"),
    (classic("ADDED_TO_SPACE", space={**DM, "name": "spaces/" + "D" * 300}), "space.name"),
])
def test_names_no_database_can_keep_get_400_naming_the_field(
        door: Door, caplog: pytest.LogCaptureFixture, body: dict[str, Any],
        field: str) -> None:
    response = door.post(body)
    assert response.status_code == 400
    assert response.json is not None and response.json["error"].startswith(field)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with transaction(door.services.sessions) as session:
        assert list(session.scalars(select(AuditEntry))) == []
        assert list(session.scalars(select(InboundEvent))) == []
        assert list(session.scalars(select(ChatSpace))) == []


def test_a_long_space_display_name_is_cut_to_what_the_store_keeps(door: Door) -> None:
    post(door, classic("ADDED_TO_SPACE", space={**ROOM, "displayName": "Ω" * 500}))
    with transaction(door.services.sessions) as session:
        space = session.scalars(select(ChatSpace)).one()
    assert space.display_name == "Ω" * 200


# ----------------------------------------------------------------------- languages


def chat_locale(door: Door, key: str) -> str | None:
    with reading(door.services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        return person.chat_locale


def in_locale(body: dict[str, Any], locale: str) -> dict[str, Any]:
    """The event as a Chat client in ``locale`` sends it (either format)."""
    key = "commonEventObject" if "commonEventObject" in body else "common"
    return {**body, key: {**body[key], "userLocale": locale}}


@pytest.mark.parametrize(("locale", "expected"), [
    ("ca", "T'escric en català (la llengua del teu xat)."),
    ("es-ES", "Te escribo en español (el idioma de tu chat)."),
    ("pt-BR", "Escrevo para você em português (o idioma do seu chat)."),
    ("en-GB", "I write to you in English (your chat's language)."),
    ("de-DE", "I write to you in English (the team's language)."),  # not spoken: team's
])
def test_the_chat_clients_locale_is_stored_and_answers_follow_it(
        door: Door, addon_door: Door, locale: str, expected: str) -> None:
    reply = post(door, in_locale(classic("MESSAGE", message=msg("/language")), locale))
    assert reply["text"] == expected
    assert chat_locale(door, "alice") == locale
    again = post(addon_door, in_locale(addon("messagePayload", {"message": msg(
        "/language", name="spaces/S/messages/M2")}), locale))
    assert unwrap(again)["text"] == expected  # the add-on format says it alike


def test_an_event_without_a_locale_leaves_the_stored_one(door: Door) -> None:
    post(door, in_locale(classic("MESSAGE", message=msg("/whoami")), "es"))
    body = classic("MESSAGE", message=msg("/language", name="spaces/S/messages/M2"))
    del body["common"]["userLocale"]
    assert post(door, body)["text"] == "Te escribo en español (el idioma de tu chat)."
    assert chat_locale(door, "alice") == "es"
    assert parse_event(body).user_locale is None
    odd = in_locale(body, "x" * 40)
    assert parse_event(odd).user_locale is None  # not a locale: ignored, not refused


def test_a_dm_greeting_is_in_the_persons_language_a_room_greeting_in_the_teams(
        door: Door) -> None:
    dm = post(door, in_locale(classic("ADDED_TO_SPACE"), "ca-ES"))
    assert dm["text"].startswith("Hola, Alice! Soc Switchboard")
    room = post(door, in_locale(classic("ADDED_TO_SPACE", user=CARLA, space=ROOM,
                                        time="2026-11-23T08:01:00Z"), "pt-BR"))
    assert room["text"].startswith("Hi everyone!")  # the team's language: English here


def test_a_click_answers_in_the_clickers_language(door: Door) -> None:
    with transaction(door.services.sessions) as session:
        carla = people.by_key(session, "carla")
        assert carla is not None
        carla.language = "pt"
    click = classic("CARD_CLICKED", user=CARLA, space=ROOM,
                    message={"name": "spaces/ROOM1/messages/C1"},
                    action={"actionMethodName": "switchboard",
                            "parameters": [{"key": "command", "value": "language"},
                                           {"key": "args", "value": ""}]})
    assert post(door, click)["text"] == "Escrevo para você em português (sua escolha)."


def test_the_rest_of_a_long_answer_is_continued_in_the_askers_language(door: Door) -> None:
    names = [f"Name {n:04d}" for n in range(1000)]

    def roll(ctx: Context, services: Services) -> Reply:
        return Reply("Everyone: " + ", ".join(names) + ".")

    runtime = door.client.application.extensions["switchboard"]
    assert isinstance(runtime, Runtime)
    runtime.dispatcher = Dispatcher(
        (*COMMANDS, Command(name="roll", run=roll, summary="Everyone", usage="/roll")),
        door.services)
    post(door, in_locale(classic("MESSAGE", message=msg("/roll")), "es-ES"))
    with reading(door.services.sessions) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert rows and all(r.body["text"].startswith("Everyone (continuación): ") for r in rows)
    assert {r.body["_language"] for r in rows} == {"es"}  # kept, to cut it again alike
