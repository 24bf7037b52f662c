"""POST /chat/google lets in Google Chat only: genuinely signed tokens, checked for real."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from google.auth import exceptions
from sqlalchemy import func, select

from bot.doors.google_chat.auth import CachedCertsRequest, cache_lifetime
from commands.core import Services
from integrations.clock import FixedClock
from store.db import transaction
from store.messaging.chat import ChatSpace, InboundEvent
from store.messaging.outbox import OutboxMessage
from store.team import people
from store.team.audit import AuditEntry
from testing.google_tokens import (
    ADDON_EMAIL,
    CHAT_ISSUER,
    CertsServer,
    classic_dm,
    id_token_claims,
    mint,
    open_door,
    project_number_claims,
    signing_key,
    unsigned,
)
from testing.local_server import LocalServer, Response
from tests.conftest import T0, Database

ISSUED = int(T0.timestamp())  # tokens are judged by the fixed clock, which starts at T0


def written(services: Services) -> dict[str, int]:
    with transaction(services.sessions) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (AuditEntry, OutboxMessage, InboundEvent, ChatSpace)}


NOTHING = {"audit_entry": 0, "outbox_message": 0, "inbound_event": 0, "chat_space": 0}


def test_a_genuine_token_runs_the_command_as_the_person_matched_by_email(
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url)
    response = door.post(classic_dm("/whoami"))
    assert response.status_code == 200
    assert response.json["text"] == "You are Alice Agent."
    with transaction(door.services.sessions) as session:
        (row,) = session.scalars(select(AuditEntry))
        alice = people.by_key(session, "alice")
    assert alice is not None and alice.google_chat_id == "users/211"
    assert (row.person_id, row.platform, row.command, row.outcome) == (
        alice.id, "google", "whoami", "ok")


def _expired() -> str:
    return mint(project_number_claims(ISSUED, iat=ISSUED - 7200, exp=ISSUED - 3600))


def _tampered() -> str:
    header, _, signature = mint(project_number_claims(ISSUED)).split(".")
    other_payload = mint(project_number_claims(ISSUED, aud="999")).split(".")[1]
    return f"{header}.{other_payload}.{signature}"


REFUSED: dict[str, Callable[[], dict[str, str]]] = {
    "wrong audience": lambda: {"Authorization": "Bearer " + mint(project_number_claims(ISSUED, aud="999"))},
    "wrong issuer": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED, iss="https://accounts.google.com"))},
    "expired": lambda: {"Authorization": "Bearer " + _expired()},
    "not valid yet (nbf)": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED, nbf=ISSUED + 600))},
    "issued in the future": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED, iat=ISSUED + 600, exp=ISSUED + 4200))},
    "a time that is not a number": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED, exp="tomorrow"))},
    "another key, same kid": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED), key=signing_key(variant=1))},
    "unknown kid": lambda: {"Authorization": "Bearer " + mint(
        project_number_claims(ISSUED), key=signing_key("kid-nobody-published"))},
    "tampered payload": lambda: {"Authorization": "Bearer " + _tampered()},
    "alg none": lambda: {"Authorization": "Bearer " + unsigned(project_number_claims(ISSUED))},
    "alg none, fake signature": lambda: {
        "Authorization": "Bearer " + unsigned(project_number_claims(ISSUED), "c2lnbmF0dXJl")},
    "missing header": lambda: {},
    "not bearer": lambda: {"Authorization": "Basic " + mint(project_number_claims(ISSUED))},
    "bearer without token": lambda: {"Authorization": "Bearer"},
    "not a jwt": lambda: {"Authorization": "Bearer not-a-jwt"},
    "garbage jwt": lambda: {"Authorization": "Bearer aaaa.bbbb.cccc"},
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_or_missing_token_is_refused_and_nothing_runs(
        case: str, db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url)
    response = door.client.post("/chat/google", json=classic_dm("/whoami"),
                                headers=REFUSED[case]())
    assert response.status_code == 401
    assert response.data == b""
    assert written(door.services) == NOTHING
    with transaction(door.services.sessions) as session:
        alice = people.by_key(session, "alice")
    assert alice is not None and alice.google_chat_id is None  # not even identified


@pytest.mark.parametrize("case", ["oversized", "alg none", "garbage jwt", "not a jwt"])
def test_malformed_or_oversized_tokens_are_refused_before_any_key_is_fetched(
        case: str, db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url)
    token = {
        # genuinely signed, but longer than any token Google sends
        "oversized": lambda: mint(project_number_claims(ISSUED, pad="x" * 6200)),
        "alg none": lambda: unsigned(project_number_claims(ISSUED), "c2lnbmF0dXJl"),
        "garbage jwt": lambda: "aaaa.bbbb.cccc",
        "not a jwt": lambda: "not-a-jwt",
    }[case]()
    assert door.post(classic_dm("/whoami"), token=token).status_code == 401
    assert certs.fetches == 0
    assert written(door.services) == NOTHING


def test_tokens_are_judged_by_google_auths_clock(
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    """google-auth reads its own clock; here (the certs fixture) the test's fixed one, so
    moving that clock ages a token: valid for an hour, plus 60 s of leeway."""
    door = open_door(db, clock, certs.certs_url)
    token = door.token()
    assert door.post(classic_dm("/whoami", message="spaces/DM1/messages/A"),
                     token=token).status_code == 200
    clock.advance(timedelta(seconds=3600 + 60))
    assert door.post(classic_dm("/whoami", message="spaces/DM1/messages/B"),
                     token=token).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert door.post(classic_dm("/whoami", message="spaces/DM1/messages/C"),
                     token=token).status_code == 401
    assert written(door.services)["audit_entry"] == 2


def test_the_token_is_checked_before_the_body_is_read(
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url)
    response = door.client.post("/chat/google", data=b"{not json",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    good = door.client.post("/chat/google", data=b"{not json", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + door.token()})
    assert good.status_code == 400
    assert "not valid JSON" in good.json["error"]
    assert written(door.services) == NOTHING


MODES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("project_number", "chat's own JWT", project_number_claims(ISSUED), True),
    ("project_number", "an ID token", id_token_claims(aud="123456789012"), False),
    ("endpoint_url", "chat's ID token", id_token_claims(), True),
    ("endpoint_url", "http:// issuer spelling", id_token_claims(iss="accounts.google.com"), True),
    ("endpoint_url", "another sender", id_token_claims("someone@evil.example"), False),
    ("endpoint_url", "the add-on's sender", id_token_claims(ADDON_EMAIL), False),
    ("endpoint_url", "unverified email", id_token_claims(email_verified=False), False),
    ("endpoint_url", "chat's issuer", id_token_claims(iss=CHAT_ISSUER), False),
    ("endpoint_url", "the request URL as audience",
     id_token_claims(aud="http://localhost/chat/google"), False),
    ("addon", "the add-on's ID token", id_token_claims(ADDON_EMAIL), True),
    ("addon", "chat's sender", id_token_claims(CHAT_ISSUER), False),
    ("addon", "a sender that only starts alike", id_token_claims(ADDON_EMAIL + ".evil"), False),
    ("addon", "another issuer", id_token_claims(ADDON_EMAIL, iss=CHAT_ISSUER), False),
]


@pytest.mark.parametrize(("mode", "what", "claims", "accepted"), MODES,
                         ids=[f"{m[0]}: {m[1]}" for m in MODES])
def test_each_mode_accepts_only_its_own_sender(
        mode: str, what: str, claims: dict[str, Any], accepted: bool,
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url, mode=mode)
    now = int(clock.now().timestamp())
    fresh = {**claims, "iat": now, "exp": now + 600}
    response = door.post(classic_dm("/whoami"), token=mint(fresh))
    assert response.status_code == (200 if accepted else 401)
    assert written(door.services)["audit_entry"] == (1 if accepted else 0)


@pytest.mark.parametrize(("mode", "env", "why"), [
    ("project_number", {"GOOGLE_CHAT_AUDIENCE": ""}, "GOOGLE_CHAT_AUDIENCE is empty"),
    ("endpoint_url", {"GOOGLE_CHAT_AUDIENCE": ""}, "GOOGLE_CHAT_AUDIENCE is empty"),
    ("endpoint_url", {"GOOGLE_CHAT_AUDIENCE": "123"}, "https:// URL"),
    ("addon", {"GOOGLE_CHAT_ADDON_EMAIL": ""}, "GOOGLE_CHAT_ADDON_EMAIL is empty"),
])
def test_a_misconfigured_door_refuses_everything_and_says_why_once(
        mode: str, env: dict[str, str], why: str, db: Database, clock: FixedClock,
        certs: CertsServer, caplog: pytest.LogCaptureFixture) -> None:
    door = open_door(db, clock, certs.certs_url, mode=mode, **env)
    # A token for an empty audience would pass a check made with audience=None.
    token = door.token(aud="")
    with caplog.at_level(logging.ERROR, logger="bot.doors.google_chat.auth"):
        assert door.post(classic_dm("/whoami"), token=token).status_code == 401
        assert door.post(classic_dm("/whoami")).status_code == 401
    assert [r.getMessage() for r in caplog.records if why in r.getMessage()] != []
    assert len(caplog.records) == 1
    assert certs.fetches == 0
    assert written(door.services) == NOTHING


def test_unreachable_keys_answer_503_and_are_not_cached(
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    door = open_door(db, clock, certs.certs_url)
    certs.status = 500
    assert door.post(classic_dm("/whoami")).status_code == 503
    assert written(door.services) == NOTHING
    certs.status = 200
    assert door.post(classic_dm("/whoami")).status_code == 200
    assert certs.fetches == 2


def test_a_certs_server_that_is_down_answers_503(db: Database, clock: FixedClock) -> None:
    server = LocalServer(lambda request: Response(200, {}))
    server.start()
    server.stop()  # the port is closed now: connection refused
    door = open_door(db, clock, server.url + "/certs")
    assert door.post(classic_dm("/whoami")).status_code == 503
    assert written(door.services) == NOTHING


def test_keys_are_fetched_once_then_again_when_the_cache_expires(
        db: Database, clock: FixedClock, certs: CertsServer) -> None:
    certs.max_age = 600
    door = open_door(db, clock, certs.certs_url)
    for n in range(3):
        message = classic_dm("/whoami", message=f"spaces/DM1/messages/M{n}")
        assert door.post(message).status_code == 200
    assert certs.fetches == 1
    clock.advance(timedelta(seconds=599))
    assert door.post(classic_dm("/whoami", message="spaces/DM1/messages/M5")).status_code == 200
    assert certs.fetches == 1
    clock.advance(timedelta(seconds=2))
    assert door.post(classic_dm("/whoami", message="spaces/DM1/messages/M6")).status_code == 200
    assert certs.fetches == 2


@pytest.mark.parametrize(("headers", "lifetime"), [
    ({"Cache-Control": "public, max-age=3600, must-revalidate, no-transform"}, 3600),
    ({"cache-control": "max-age=3600", "Age": "600"}, 3000),
    ({"Cache-Control": "max-age=600", "Age": "900"}, None),
    ({"Cache-Control": "max-age=10", "Expires": "Mon, 23 Nov 2026 09:00:00 GMT"}, 10),
    ({"Cache-Control": "max-age=9999999"}, 86400),
    ({"Cache-Control": "no-store"}, None),
    ({"Cache-Control": "no-cache, max-age=3600"}, None),
    ({"Cache-Control": "max-age=soon"}, None),
    ({"Cache-Control": "max-age=0"}, None),
    ({"Expires": "Mon, 23 Nov 2026 09:00:00 GMT"}, None),  # only max-age is read
    ({}, None),
])
def test_freshness_follows_max_age(headers: dict[str, str], lifetime: int | None) -> None:
    expected = None if lifetime is None else timedelta(seconds=lifetime)
    assert cache_lifetime(headers) == expected


@pytest.mark.parametrize("document", [
    "<html>sign in</html>",
    {"keys": [{"kid": "test-kid-1", "kty": "RSA", "n": "AQAB", "e": "AQAB"}]},  # a JWK set
    {"test-kid-1": {"pem": "not a string"}},
    ["not", "an", "object"],
])
def test_a_key_document_that_is_not_x509_json_is_a_transport_error(document: Any) -> None:
    server = LocalServer(lambda request: Response(200, document, headers={
        "Cache-Control": "max-age=3600"}))
    server.start()
    try:
        fetch = CachedCertsRequest(FixedClock(T0))
        with pytest.raises(exceptions.TransportError):
            fetch(server.url + "/certs")
        with pytest.raises(exceptions.TransportError):
            fetch(server.url + "/certs")
        assert len(server.requests) == 2  # a bad document is never kept
    finally:
        server.stop()


def test_a_key_document_that_is_not_x509_answers_503(db: Database, clock: FixedClock) -> None:
    server = LocalServer(lambda request: Response(200, {"keys": []}))
    server.start()
    try:
        door = open_door(db, clock, server.url + "/certs")
        assert door.post(classic_dm("/whoami")).status_code == 503
        assert written(door.services) == NOTHING
    finally:
        server.stop()
