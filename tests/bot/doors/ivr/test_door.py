"""The IVR API through the Flask test client with real keys: every answer it can give."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from commands.callbacks import booking
from commands.core import Services
from integrations.clock import FixedClock
from store.callbacks import bookings, ivr_keys
from store.callbacks.bookings import PUBLIC_ID, Callback, CallbackEvent, CallbackRefusal
from store.callbacks.ivr_keys import IvrIdempotency, IvrRateWindow
from store.db import transaction
from testing.ivr import Ivr, load_capacity, new_key, open_ivr

TUESDAY_10 = "2026-11-24T10:00:00+01:00"
BOOKING = {"phone": "612 34 56 78", "when": TUESDAY_10, "queue": "soporte",
           "customer_id": "C-17", "customer_name": "Ana Pérez", "data": {"contract": "K1"}}


@pytest.fixture
def ivr(demo: Services) -> Ivr:
    load_capacity(demo)
    return open_ivr(demo)


def count(services: Services, model: Any) -> int:
    with transaction(services.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------- keys


# One database per test is the slow part of a test here, so cases share one where the
# answers cannot affect each other.
FORGED = [None, "Bearer", "Bearer nope", "Basic abc", "Bearer sbivr_000000000000_" + "A" * 43]


def test_missing_or_forged_keys_get_a_bare_401_and_nothing_is_written(
        ivr: Ivr, demo: Services) -> None:
    for header in FORGED:
        headers = {} if header is None else {"Authorization": header}
        answer = ivr.client.post("/ivr/v1/callbacks", json=BOOKING, headers=headers)
        assert answer.status_code == 401 and answer.data == b"", header
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert ivr.client.get("/ivr/v1/slots?queue=soporte",
                              headers=headers).status_code == 401
    assert count(demo, Callback) == 0 and count(demo, IvrRateWindow) == 0


def test_a_revoked_key_is_refused(ivr: Ivr, demo: Services) -> None:
    assert ivr.get("/slots?queue=soporte").status_code == 200
    with transaction(demo.sessions) as session:
        key = ivr_keys.by_name(session, "ivr-test")
        assert key is not None
        key.revoked_at = demo.clock.now()
    assert ivr.post("/callbacks", BOOKING).status_code == 401
    assert count(demo, Callback) == 0


def test_a_key_with_the_wrong_secret_is_refused(ivr: Ivr, demo: Services) -> None:
    forged = ivr.key[:-4] + ("AAAA" if not ivr.key.endswith("AAAA") else "BBBB")
    answer = ivr.client.get("/ivr/v1/slots?queue=soporte",
                            headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(demo: Services, clock: FixedClock) -> None:
    load_capacity(demo)
    ivr = open_ivr(demo, IVR_RATE_PER_MINUTE="3")
    clock.set(clock.now().replace(second=15))
    assert [ivr.get("/slots?queue=soporte").status_code for _ in range(3)] == [200] * 3
    limited = ivr.get("/slots?queue=soporte")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "45"
    assert limited.json == {"reason": "rate_limited", "retry_after": 45}
    clock.advance(timedelta(seconds=45))
    assert ivr.get("/slots?queue=soporte").status_code == 200


# --------------------------------------------------------------------------- slots


def test_slots_without_dates_give_the_next_three_days_with_room(ivr: Ivr) -> None:
    answer = ivr.get("/slots?queue=soporte")
    assert answer.status_code == 200
    days = answer.json["days"]
    # Monday 09:00 + 15 min lead: Monday 09:30–10:30 are left (5+5+2); Thursday closed.
    assert [(d["date"], d["free"]) for d in days] == [
        ("2026-11-23", 12), ("2026-11-24", 17), ("2026-11-25", 17)]
    assert all(d["intervals"] is None for d in days)


def test_slots_for_dates_list_each_interval(ivr: Ivr) -> None:
    assert ivr.post("/callbacks", BOOKING).status_code == 201
    answer = ivr.get("/slots?queue=soporte&date=2026-11-24&date=2026-11-26,2026-11-27")
    assert answer.status_code == 200
    tuesday, thursday, friday = answer.json["days"]
    assert [(i["start"], i["free"]) for i in tuesday["intervals"]] == [
        ("2026-11-24T09:00:00+01:00", 5), ("2026-11-24T09:30:00+01:00", 5),
        ("2026-11-24T10:00:00+01:00", 4), ("2026-11-24T10:30:00+01:00", 2)]
    assert thursday == {"date": "2026-11-26", "free": 0, "intervals": []}
    assert [(i["start"], i["capacity"]) for i in friday["intervals"]] == [
        ("2026-11-27T10:00:00+01:00", 1)]


BAD_QUERIES: list[tuple[str, str | None]] = [
    ("", "queue"), ("?queue=nosuch", "queue"), ("?queue=soporte&campaign=x", "campaign"),
    ("?queue=soporte&date=2026-02-30", "date"),
    ("?queue=soporte&date=2026-11-24&date=2026-11-25&date=2026-11-26&date=2026-11-27",
     "date"), ("?queue=sop%00orte", "queue"), ("?queue=soporte&campaign=%00", "campaign"),
    ("?queue=soporte&date=9999-12-31", None)]


def test_bad_slot_queries_name_the_field(ivr: Ivr) -> None:
    for query, field in BAD_QUERIES:
        answer = ivr.get("/slots" + query)
        if field is None:  # outside the horizon: nothing to book, nothing wrong
            assert answer.status_code == 200 and answer.json["days"][0]["intervals"] == []
            continue
        assert (answer.status_code, answer.json["field"]) == (422, field), query


# --------------------------------------------------------------------------- booking


def test_booking_answers_201_and_stores_the_callback_and_its_event(ivr: Ivr,
                                                                   demo: Services) -> None:
    answer = ivr.post("/callbacks", BOOKING)
    assert answer.status_code == 201
    body = answer.json
    assert body["status"] == "scheduled" and body["phone"] == "+34612345678"
    assert body["scheduled_for"] == TUESDAY_10 and body["source"] == "ivr"
    assert ivr.get(f"/callbacks/{body['id']}").json == body
    with transaction(demo.sessions) as session:
        kinds = [(e.kind, e.actor) for e in session.scalars(select(CallbackEvent))]
    assert kinds == [("requested", "ivr:ivr-test")]


def test_a_time_without_offset_is_read_in_the_team_zone(ivr: Ivr) -> None:
    answer = ivr.post("/callbacks", {**BOOKING, "when": "2026-11-24T10:00:00"})
    assert answer.status_code == 201 and answer.json["scheduled_for"] == TUESDAY_10


UNACCEPTABLE: list[tuple[dict[str, Any], str, str]] = [
    ({"phone": "12"}, "phone", "not a valid number"),
    ({"phone": "call me"}, "phone", "not a phone number"),
    ({"when": "2026-11-23T08:00:00+01:00"}, "when", "in the past"),
    ({"when": "2026-11-23T09:10:00+01:00"}, "when", "lead time"),
    ({"when": "2026-12-02T10:00:00+01:00"}, "when", "beyond the horizon"),
    ({"when": "2026-11-24T15:00:00+01:00"}, "when", "takes no callbacks"),
    ({"when": "2026-11-24T11:00:00+01:00"}, "when", "takes no callbacks"),  # capacity 0
    ({"when": "2026-11-28T10:00:00+01:00"}, "when", "takes no callbacks"),  # Saturday
    ({"when": "2026-11-26T10:00:00+01:00"}, "when", "closed"),
    ({"queue": "nosuch"}, "queue", "unknown queue"),
    ({"campaign": "nosuch"}, "campaign", "unknown campaign"),
    ({"agent": "nobody"}, "agent", "no active person"),
    ({"when": "tomorrow"}, "when", "datetime"),
    ({"colour": "blue"}, "colour", "Extra inputs"),
    ({"data": {"nested": {"a": 1}}}, "data.nested", ""),
    ({"when": "9999-12-31T23:59:59-12:00"}, "when", "plausible"),
    ({"queue": "sop\x00orte"}, "queue", "NUL"),
    ({"customer_name": "Ana\ud800"}, "body", ""),  # a lone surrogate is not even JSON text
    ({"data": {"k": "v\x00"}}, "data", "NUL"),
    # shown in chat replies: one line each (issue 19's hostile-input property test)
    ({"customer_name": "Ana\r\nCoordinators: call 555"}, "customer_name", "control"),
    ({"customer_id": "C-1\t2"}, "customer_id", "control"),
    ({"queue": "soporte\x1b[2J"}, "queue", "control"),
]


def test_each_unacceptable_booking_is_a_422_naming_the_field(ivr: Ivr,
                                                             demo: Services) -> None:
    for change, field, words in UNACCEPTABLE:
        answer = ivr.post("/callbacks", {**BOOKING, **change})
        assert answer.status_code == 422, (change, answer.json)
        assert answer.json["field"].startswith(field), (change, answer.json)
        assert words in answer.json["reason"], (change, answer.json)
    assert count(demo, Callback) == 0 and count(demo, CallbackRefusal) == 0


MALFORMED = [
    (b"{not json", "body"), (b"[1,2]", "body"), (b"", "body"), (b"null", "body"),
    (b'{"phone": "612345678", "when": "2026-11-24T10:00:00", "queue": "soporte", '
     b'"data": {"x": NaN}}', "data.x")]


def test_malformed_bodies_are_422(ivr: Ivr) -> None:
    for raw, field in MALFORMED:
        answer = ivr.client.post("/ivr/v1/callbacks", data=raw, headers=ivr.auth,
                                 content_type="application/json")
        assert answer.status_code == 422 and answer.json["field"].startswith(field), raw


def test_a_body_over_the_cap_is_413(ivr: Ivr) -> None:
    answer = ivr.post("/callbacks", {**BOOKING, "data": {"x": "y" * 20_000}})
    assert answer.status_code == 413 and answer.json["field"] == "body"


def test_a_second_request_for_a_pending_number_returns_the_first(ivr: Ivr,
                                                                 demo: Services) -> None:
    first = ivr.post("/callbacks", BOOKING)
    again = ivr.post("/callbacks", {**BOOKING, "phone": "+34 612 345 678",
                                    "when": "2026-11-25T09:00:00+01:00"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    other_queue = ivr.post("/callbacks", {**BOOKING, "queue": "ventas"})
    assert other_queue.status_code == 201
    assert count(demo, Callback) == 2
    # Once cancelled, the number may book again.
    assert ivr.delete(f"/callbacks/{first.json['id']}").status_code == 200
    assert ivr.post("/callbacks", BOOKING).status_code == 201


def test_the_same_idempotency_key_returns_the_first_answer(ivr: Ivr, demo: Services) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = ivr.post("/callbacks", BOOKING, headers=headers)
    assert ivr.delete(f"/callbacks/{first.json['id']}").status_code == 200
    replay = ivr.post("/callbacks", BOOKING, headers=headers)
    assert (replay.status_code, replay.json) == (201, first.json)
    assert count(demo, Callback) == 1
    reused = ivr.post("/callbacks", {**BOOKING, "phone": "699 00 11 22"}, headers=headers)
    assert reused.status_code == 422 and reused.json["field"] == "Idempotency-Key"
    bad = ivr.post("/callbacks", BOOKING, headers={"Idempotency-Key": "has space"})
    assert bad.status_code == 422 and bad.json["field"] == "Idempotency-Key"


def test_a_full_interval_is_409_with_the_next_free_intervals(ivr: Ivr, demo: Services) -> None:
    friday = "2026-11-27T10:00:00+01:00"  # the override gives it one place
    assert ivr.post("/callbacks", {**BOOKING, "when": friday}).status_code == 201
    headers = {"Idempotency-Key": "full-1"}
    full = ivr.post("/callbacks", {**BOOKING, "phone": "699001122", "when": friday},
                    headers=headers)
    assert full.status_code == 409
    assert full.json["reason"] == "slot_full"
    assert [a["start"] for a in full.json["alternatives"]] == [
        "2026-11-30T09:00:00+01:00", "2026-11-30T09:30:00+01:00", "2026-11-30T10:00:00+01:00"]
    assert count(demo, Callback) == 1 and count(demo, CallbackRefusal) == 1
    replay = ivr.post("/callbacks", {**BOOKING, "phone": "699001122", "when": friday},
                      headers=headers)
    assert (replay.status_code, replay.json) == (409, full.json)
    assert count(demo, CallbackRefusal) == 1
    with transaction(demo.sessions) as session:
        assert session.scalar(select(func.count()).select_from(IvrIdempotency)) == 1


def test_a_campaign_takes_capacity_from_its_own_schedule(ivr: Ivr) -> None:
    friday = "2026-11-27T10:00:00+01:00"  # the queue has one place then, the campaign five
    assert ivr.post("/callbacks", {**BOOKING, "when": friday}).status_code == 201
    booked = ivr.post("/callbacks", {**BOOKING, "phone": "699001122", "when": friday,
                                     "campaign": "renewals"})
    assert booked.status_code == 201 and booked.json["campaign"] == "renewals"


# --------------------------------------------------------------------------- reading, cancelling


def test_get_find_cancel_and_variables(ivr: Ivr, demo: Services) -> None:
    booked = ivr.post("/callbacks", {**BOOKING, "agent": "alice"}).json
    cid = booked["id"]
    found = ivr.get("/callbacks?phone=%2B34612345678").json["callbacks"]
    assert [c["id"] for c in found] == [cid]
    assert ivr.get("/callbacks?phone=abc").status_code == 422
    variables = ivr.get(f"/callbacks/{cid}/variables").json
    assert variables == {"id": cid, "phone": "+34612345678", "queue": "soporte",
                         "campaign": None, "customer_id": "C-17", "customer_name": "Ana Pérez",
                         "agent": "alice", "agent_extension": "211", "attempts": 0,
                         "scheduled_for": TUESDAY_10, "data": {"contract": "K1"}}
    slots = ivr.get("/slots?queue=soporte&date=2026-11-24").json["days"][0]
    assert slots["free"] == 16
    cancelled = ivr.delete(f"/callbacks/{cid}")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert ivr.delete(f"/callbacks/{cid}").status_code == 200  # already cancelled
    assert ivr.get("/slots?queue=soporte&date=2026-11-24").json["days"][0]["free"] == 17
    for path in ("/callbacks/999", "/callbacks/abc", "/callbacks/99999999999",
                 "/callbacks/0/variables"):
        answer = ivr.get(path)
        assert answer.status_code == 404 and answer.json["field"] == "id"
    assert ivr.delete("/callbacks/999").status_code == 404


def test_the_openapi_document_is_public_and_lists_every_route(ivr: Ivr) -> None:
    spec = ivr.client.get("/ivr/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert sorted((path, method) for path, ops in spec["paths"].items() for method in ops) == [
        ("/ivr/v1/callbacks", "get"), ("/ivr/v1/callbacks", "post"),
        ("/ivr/v1/callbacks/{id}", "delete"), ("/ivr/v1/callbacks/{id}", "get"),
        ("/ivr/v1/callbacks/{id}/variables", "get"), ("/ivr/v1/slots", "get")]
    assert "BookingRequest" in spec["components"]["schemas"]


# --------------------------------------------------------------------------- whose callbacks


def chat_booking(services: Services) -> Callback:
    """A personal callback alice booked in chat (her extension is 211)."""
    booked = booking.book(services, booking.Request(
        phone="699 88 77 66", when=datetime.fromisoformat(TUESDAY_10), queue="soporte",
        source=bookings.CHAT, actor="person:alice", agent="alice"))
    assert isinstance(booked, booking.Booked)
    return booked.callback


def test_callbacks_are_named_by_an_opaque_id(ivr: Ivr, demo: Services) -> None:
    first, second = (ivr.post("/callbacks", {**BOOKING, "phone": phone}).json
                     for phone in ("612000001", "612000002"))
    for body in (first, second):
        assert PUBLIC_ID.fullmatch(body["id"]), body["id"]
    assert first["id"] != second["id"]
    with transaction(demo.sessions) as session:
        sequential = [c.id for c in session.scalars(select(Callback))]
    for number in sequential:  # the sequential ids no longer name anything
        assert ivr.get(f"/callbacks/{number}").status_code == 404
    assert ivr.get(f"/callbacks/{first['id']}/variables").json["id"] == first["id"]


def test_a_key_sees_and_changes_only_the_callbacks_booked_with_it(ivr: Ivr,
                                                                  demo: Services) -> None:
    """Any key once read any callback by its sequential id (the agent's extension
    included) and cancelled it, personal ones booked in chat too."""
    other = Ivr(ivr.app, ivr.client, new_key(demo, "other-ivr"))
    mine = ivr.post("/callbacks", {**BOOKING, "agent": "alice"}).json
    personal = chat_booking(demo)
    for callback_id in (mine["id"], personal.public_id, str(personal.id), "1", "2"):
        for path in (f"/callbacks/{callback_id}", f"/callbacks/{callback_id}/variables"):
            answer = other.get(path)
            assert answer.status_code == 404 and answer.json["field"] == "id", path
        assert other.delete(f"/callbacks/{callback_id}").status_code == 404
    assert ivr.get(f"/callbacks/{personal.public_id}").status_code == 404  # chat's own
    assert ivr.delete(f"/callbacks/{personal.public_id}").status_code == 404
    assert other.get("/callbacks?phone=612345678").json == {"callbacks": []}
    assert ivr.get("/callbacks?phone=699887766").json == {"callbacks": []}
    with transaction(demo.sessions) as session:
        assert [c.status for c in session.scalars(select(Callback))] == ["scheduled"] * 2
        assert session.scalar(select(func.count()).select_from(CallbackEvent).where(
            CallbackEvent.kind == "cancelled")) == 0
    assert ivr.get(f"/callbacks/{mine['id']}").json == mine
    assert [c["id"] for c in ivr.get("/callbacks?phone=612345678").json["callbacks"]] == [
        mine["id"]]
    assert ivr.delete(f"/callbacks/{mine['id']}").json["status"] == "cancelled"


def test_a_number_pending_elsewhere_is_a_409_that_shows_nothing_of_it(
        ivr: Ivr, demo: Services) -> None:
    other = Ivr(ivr.app, ivr.client, new_key(demo, "other-ivr"))
    assert ivr.post("/callbacks", BOOKING).status_code == 201
    chat_booking(demo)
    for client, body in ((other, BOOKING), (ivr, {**BOOKING, "phone": "699887766"})):
        answer = client.post("/callbacks", body, headers={"Idempotency-Key": "again"})
        assert answer.status_code == 409
        assert answer.json == {"reason": "already_pending", "alternatives": [],
                               "message": "a callback for this number and queue is pending "
                                          "already, booked elsewhere"}
    assert count(demo, Callback) == 2


# --------------------------------------------------------------------------- languages


def test_refusals_carry_a_message_in_the_clients_language(ivr: Ivr, demo: Services) -> None:
    catalan = {"Accept-Language": "ca-ES,ca;q=0.9,en;q=0.5"}
    missing = ivr.get("/callbacks/cb_" + "A" * 22, headers=catalan)
    assert (missing.status_code, missing.json) == (404, {
        "field": "id", "reason": "no such callback",  # for programs: as ever
        "message": "No hi ha cap devolució de trucada així reservada amb aquesta clau."})
    dates = ivr.get("/slots?queue=soporte&date=someday", headers={"Accept-Language": "es"})
    assert dates.json == {"field": "date", "reason": "'someday' is not a date (YYYY-MM-DD)",
                          "message": "'someday' no es una fecha (AAAA-MM-DD)."}
    # A refusal the door does not word itself still gets a message, naming the field.
    past = ivr.post("/callbacks", {**BOOKING, "when": "2026-11-20T10:00:00+01:00"},
                    headers={"Accept-Language": "pt-BR"})
    assert past.status_code == 422 and past.json["reason"] == "is in the past"
    assert past.json["message"] == "Não foi possível aceitar esta solicitação: when não é válido."


@pytest.mark.parametrize("accept", [None, "en-GB,ca;q=0.8", "fr-FR, de"])
def test_without_one_of_our_languages_a_refusal_is_as_it_was(ivr: Ivr, accept: str | None
                                                             ) -> None:
    headers = {} if accept is None else {"Accept-Language": accept}
    missing = ivr.get("/callbacks/cb_" + "A" * 22, headers=headers)
    assert missing.json == {"field": "id", "reason": "no such callback"}


def test_conflicts_say_their_message_in_the_clients_language(ivr: Ivr, demo: Services) -> None:
    friday = "2026-11-27T10:00:00+01:00"  # one place
    assert ivr.post("/callbacks", {**BOOKING, "when": friday}).status_code == 201
    full = ivr.post("/callbacks", {**BOOKING, "phone": "699001122", "when": friday},
                    headers={"Accept-Language": "ca", "Idempotency-Key": "full-ca"})
    assert full.status_code == 409 and full.json["reason"] == "slot_full"
    assert full.json["message"] == "La cua soporte no té cap plaça lliure a les 2026-11-27 10:00."
    english = ivr.post("/callbacks", {**BOOKING, "phone": "699001133", "when": friday})
    assert english.json["message"] == "queue soporte has no place left at 2026-11-27 10:00"


def test_the_team_language_does_not_change_what_programs_read(demo: Services) -> None:
    load_capacity(demo)
    ivr = open_ivr(demo, LANGUAGE="ca")
    past = ivr.post("/callbacks", {**BOOKING, "when": "2026-11-20T10:00:00+01:00"})
    assert past.json == {"field": "when", "reason": "is in the past"}


def test_the_rate_limit_says_when_to_try_again_in_the_clients_language(
        demo: Services, clock: FixedClock) -> None:
    load_capacity(demo)
    ivr = open_ivr(demo, IVR_RATE_PER_MINUTE="1")
    clock.set(clock.now().replace(second=59))
    assert ivr.get("/slots?queue=soporte").status_code == 200
    limited = ivr.get("/slots?queue=soporte", headers={"Accept-Language": "es"})
    assert limited.json == {"reason": "rate_limited", "retry_after": 1,
                            "message": "Demasiadas peticiones: vuelve a intentarlo dentro de "
                                       "1 segundo."}
