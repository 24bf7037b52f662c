"""The desk over the Flask test client: sign-in by one-time link, sessions, CSRF on every
form, role checks on every route, the headers, and the pages running chat's commands."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.desk.auth import COOKIE, sign_in_link
from commands.callers.screen_pop import Ringing, on_ringing
from commands.core import Services
from integrations.clock import FixedClock
from store.db import reading, transaction
from store.shifts import timetable
from store.team import audit, desk_sessions, people
from tests.bot.desk.conftest import Desk
from tests.conftest import Chat

PAGES = ["/desk/board", "/desk/board?wall=1", "/desk/week", "/desk/callbacks", "/desk/caller",
         "/desk/stats", "/desk/stats?period=week", "/desk/people", "/desk/audit"]
FEEDS = ["/desk/board/live", "/desk/caller/current", "/desk/stats.csv",
         "/desk/stats/chart.png", "/desk/week/export.yaml", "/desk/week/export.csv",
         "/desk/people.css"]
POSTS = ["/desk/do", "/desk/week/cell", "/desk/week/swap", "/desk/week/plan",
         "/desk/week/publish", "/desk/callbacks/book", "/desk/caller", "/desk/signout"]
ADMIN_ONLY = ["/desk/people", "/desk/audit"]
# A Monday of the demo timetable (T0's week), turn 1, its first line.
CELL = {"day": "2026-11-23", "turn": "1", "line": "T1", "who": "hana"}


def changes(services: Services) -> int:
    with reading(services.sessions) as session:
        return len(timetable.recent_changes(session, 200))


# ----------------------------------------------------------------------- signing in


def test_a_one_time_link_signs_in_once_with_a_safe_cookie(desk: Desk, demo: Services,
                                                          clock: FixedClock) -> None:
    path = sign_in_link(demo, "carla")
    assert path is not None and "carla" not in path
    answer = desk.client.get(path)
    assert answer.status_code == 303 and answer.location.endswith("/desk/board")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/desk" in cookie
    assert "Secure" not in cookie  # served to this machine (localhost)
    assert desk.client.get("/desk/board").status_code == 200
    # The same link again, in another browser: spent.
    again = desk.app.test_client().get(path)
    assert again.status_code == 401 and b"used already" in again.data
    late = sign_in_link(demo, "carla")
    assert late is not None
    clock.advance(timedelta(minutes=10, seconds=1))
    assert desk.app.test_client().get(late).status_code == 401
    assert desk.app.test_client().get("/desk/signin/link/" + "x" * 43).status_code == 401


def test_links_work_only_for_make_run(demo: Services) -> None:
    served = create_app(demo.settings, demo, local=False).test_client()
    path = sign_in_link(demo, "carla")
    assert path is not None
    assert served.get(path).status_code == 404
    google = demo.settings.replace(desk_google_client_id="id.apps.googleusercontent.com")
    demo.settings = google
    with_google = create_app(google, demo, local=True).test_client()
    assert with_google.get(path).status_code == 404


def test_an_inactive_person_is_not_signed_in(desk: Desk, demo: Services) -> None:
    path = sign_in_link(demo, "bruno")
    assert path is not None
    desk.client.get(path)
    with transaction(demo.sessions) as session:
        person = people.by_key(session, "bruno")
        assert person is not None
        person.active = False
    assert desk.client.get("/desk/board").status_code == 303
    assert sign_in_link(demo, "bruno") is None


def test_sessions_expire_and_can_be_revoked(desk: Desk, other: Desk, demo: Services,
                                            clock: FixedClock) -> None:
    desk.sign_in("carla")
    other.sign_in("carla")
    with transaction(demo.sessions) as session:
        carla = people.by_key(session, "carla")
        assert carla is not None
        assert desk_sessions.revoke_person(session, carla.id, clock.now()) == 2
    assert desk.client.get("/desk/board").status_code == 303
    assert other.client.get("/desk/board/live").status_code == 401
    desk.sign_in("carla")
    clock.advance(timedelta(hours=12))
    answer = desk.client.get("/desk/board")
    assert answer.status_code == 303 and answer.location.endswith("/desk/signin")


def test_signing_out_ends_the_session_for_good(desk: Desk) -> None:
    desk.sign_in("alice")
    stolen = desk.client.get_cookie(COOKIE, path="/desk")
    assert stolen is not None
    answer = desk.post("/desk/signout", {})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    replay = desk.app.test_client()
    replay.set_cookie(COOKIE, stolen.value, path="/desk")
    assert replay.get("/desk/board").status_code == 303
    forged = desk.app.test_client()
    forged.set_cookie(COOKIE, stolen.value[:-2] + "xx", path="/desk")
    assert forged.get("/desk/board").status_code == 303


# ----------------------------------------------------------------------- guards


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_strangers_to_sign_in(app: Flask, path: str) -> None:
    answer = app.test_client().get(path)
    assert answer.status_code == 303 and answer.location.endswith("/desk/signin")


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_refuse_strangers(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 401


@pytest.mark.parametrize("path", POSTS)
def test_posts_refuse_strangers(app: Flask, path: str) -> None:
    assert app.test_client().post(path, data={"csrf": "x"}).status_code == 401


@pytest.mark.parametrize("path", POSTS)
# (a token with non-ASCII text once made every form a 500: compared as text, not bytes)
@pytest.mark.parametrize("token", ["", "wrong", "ñé\u202e\U0001f600"])
def test_every_form_needs_the_sessions_csrf_token(desk: Desk, demo: Services, path: str,
                                                  token: str) -> None:
    desk.sign_in("ada")
    before = changes(demo)
    data = {**CELL, "command": "pause", "args": "lunch", "q": "600112233", "a": "alice",
            "week": "2026-11-30", "confirm": "yes",
            "b": "bruno", "phone": "600112233", "at": "2026-11-24T10:00:00+01:00"}
    if token:
        data["csrf"] = token
    answer = desk.client.post(path, data=data)
    assert answer.status_code == 403 and b"CSRF" in answer.data
    assert changes(demo) == before
    assert desk.client.get("/desk/board").status_code == 200  # still signed in


@pytest.mark.parametrize("key,allowed", [("alice", False), ("carla", False), ("ada", True)])
def test_people_and_audit_are_for_admins(desk: Desk, key: str, allowed: bool) -> None:
    desk.sign_in(key)
    for path in ADMIN_ONLY:
        answer = desk.client.get(path)
        assert answer.status_code == (200 if allowed else 403), path
    nav = desk.client.get("/desk/board").text
    assert ('href="/desk/audit"' in nav) is allowed


def test_an_agent_cannot_change_the_week(desk: Desk, demo: Services) -> None:
    desk.sign_in("alice")
    page = desk.client.get("/desk/week").text
    assert "cell-form" not in page and "Swap two people" not in page and "Change log" not in page
    before = changes(demo)
    assert desk.post("/desk/week/cell", CELL).status_code == 403  # type: ignore[attr-defined]
    assert desk.post("/desk/week/swap", {"day": "2026-11-23", "turn": "1", "a": "alice",
                                         "b": "bruno"}).status_code == 403  # type: ignore[attr-defined]
    # The generic button route runs the command, which refuses as chat does.
    refused = desk.post("/desk/do", {"command": "assign",
                                     "args": "2026-11-23 1 T1 @hana"})
    assert refused.status_code == 403 and b"for coordinators" in refused.data  # type: ignore[attr-defined]
    assert changes(demo) == before


def test_the_do_route_takes_only_command_names_and_desk_paths(desk: Desk) -> None:
    desk.sign_in("alice")
    assert desk.post("/desk/do", {"command": "pause lunch"}).status_code == 400  # type: ignore[attr-defined]
    answer = desk.post("/desk/do", {"command": "whoami", "back": "https://evil.example/"})
    assert answer.status_code == 303 and answer.location == "/desk/board"  # type: ignore[attr-defined]
    desk.sign_in("carla")
    odd = desk.post("/desk/week/cell", {**CELL, "day": "2026-11-23\r\nX: y"})
    assert odd.status_code == 400  # type: ignore[attr-defined]
    assert b"Back" in odd.data and b'href="/desk/board"' in odd.data  # type: ignore[attr-defined]


# ----------------------------------------------------------------------- headers


def _headers_ok(answer: TestResponse) -> None:
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", re.IGNORECASE)
PERSONAL = re.compile(r"(href|action|src)=\"[^\"]*(@|%40|\d{6,})[^\"]*\"")


def test_every_route_sends_the_headers_and_pages_hold_no_inline_script(desk: Desk) -> None:
    for path in ["/desk/signin", "/desk/board"]:
        _headers_ok(desk.app.test_client().get(path))
    desk.sign_in("ada")
    for path in PAGES + FEEDS:
        answer = desk.client.get(path)
        assert answer.status_code == 200, path
        _headers_ok(answer)
        if answer.mimetype == "text/html":
            assert not INLINE.search(answer.text), path
            hrefs = [m.group(0) for m in PERSONAL.finditer(answer.text)
                     if "/calendar/" not in m.group(0)]
            assert hrefs == [], path
    assert desk.post("/desk/signout", {}).headers["X-Frame-Options"] == "DENY"  # type: ignore[attr-defined]


def test_the_wall_may_be_framed_where_configured(demo: Services) -> None:
    demo.settings = demo.settings.replace(desk_wall_frame_ancestors="https://tv.example")
    desk = Desk(create_app(demo.settings, demo, local=True), demo).sign_in("carla")
    wall = desk.client.get("/desk/board?wall=1")
    assert "frame-ancestors https://tv.example" in wall.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in wall.headers
    assert "frame-ancestors 'none'" in desk.client.get(
        "/desk/board").headers["Content-Security-Policy"]


# ----------------------------------------------------------------------- pages


def test_the_board_answers_304_until_something_changes(desk: Desk, chat: Chat) -> None:
    desk.sign_in("carla")
    first = desk.client.get("/desk/board/live")
    assert first.status_code == 200 and first.headers["ETag"]
    same = desk.client.get("/desk/board/live",
                           headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.data == b""
    assert "paused" not in first.text
    chat.say("alice", "/pause lunch")
    changed = desk.client.get("/desk/board/live",
                              headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "paused: lunch" in changed.text


def test_pause_and_resume_from_the_board(desk: Desk, chat: Chat) -> None:
    desk.sign_in("alice")
    page = desk.client.get("/desk/board").text
    assert 'value="pause"' in page and "Pause them" not in page  # not a coordinator
    answer = desk.post("/desk/do", {"command": "pause", "args": "lunch",
                                    "back": "/desk/board"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "Paused: lunch" in desk.client.get("/desk/board").text  # the flashed reply
    assert "paused: lunch" in chat.say("carla", "/queue")
    coordinator = Desk(desk.app, desk.services).sign_in("carla")
    assert "Pause them" in coordinator.client.get("/desk/board").text
    assert coordinator.post("/desk/do", {"command": "resume", "args": "@alice"}
                            ).status_code == 303  # type: ignore[attr-defined]
    assert "paused: lunch" not in chat.say("carla", "/queue")


def test_a_coordinator_changes_a_cell_as_assign_does(desk: Desk, chat: Chat,
                                                     demo: Services) -> None:
    desk.sign_in("carla")
    page = desk.client.get("/desk/week?start=2026-11-23").text
    assert "cell-form" in page and "Alice Agent" in page
    answer = desk.post("/desk/week/cell", CELL)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "Hana Agent" in chat.say("carla", "/onshift 2026-11-23 09:00")
    assert "line T1: Alice Agent → Hana Agent" in chat.say("carla", "/timetable log")
    page = desk.client.get("/desk/week?start=2026-11-23").text
    assert "→ Hana Agent" in page  # the flashed reply, and the log beside the grid
    # A refused change says why: Hana is on turn 1 already, on T1.
    refused = desk.post("/desk/week/cell", {**CELL, "line": "T2"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert b"already on turn" in refused.data  # type: ignore[attr-defined]
    with reading(demo.sessions) as session:
        rows = audit.recent(session, 5)
    assert any(r.platform == "desk" and r.command == "assign" and r.outcome == "ok"
               for r in rows)


def test_swapping_two_people_of_a_turn(desk: Desk, chat: Chat) -> None:
    desk.sign_in("carla")
    before = chat.say("carla", "/onshift 2026-11-23 09:00")
    assert desk.post("/desk/week/swap", {"day": "2026-11-23", "turn": "1", "a": "alice",
                                         "b": "bruno"}).status_code == 303  # type: ignore[attr-defined]
    log = chat.say("carla", "/timetable log")
    assert "/swap" in log and before != chat.say("carla", "/onshift 2026-11-23 09:00")


def test_week_exports_and_calendar_link(desk: Desk) -> None:
    desk.sign_in("alice")
    page = desk.client.get("/desk/week?start=2026-11-25").text
    assert "Week of Mon 23 Nov 2026" in page and "/calendar/" in page
    yaml_answer = desk.client.get("/desk/week/export.yaml?start=2026-11-23")
    assert yaml_answer.status_code == 200 and b"timetable" in yaml_answer.data
    csv_answer = desk.client.get("/desk/week/export.csv?start=2026-11-23")
    assert csv_answer.status_code == 200 and b"2026-11-23" in csv_answer.data


def test_booking_a_callback_from_a_free_slot(desk: Desk, chat: Chat) -> None:
    desk.sign_in("carla")
    page = desk.client.get("/desk/callbacks").text
    slot = re.search(r'href="/desk/callbacks\?show=today&amp;at=([^"#]+)#book"', page)
    assert slot, page[:2000]
    at = slot.group(1).replace("%3A", ":").replace("%2B", "+")
    form = desk.client.get(f"/desk/callbacks?at={slot.group(1)}").text
    assert 'id="book-phone"' in form
    answer = desk.post("/desk/callbacks/book", {"phone": "600 11 22 33", "at": at})
    assert answer.status_code == 303, answer.data  # type: ignore[attr-defined]
    assert "+34600112233" in chat.say("carla", "/callbacks all")
    again = desk.post("/desk/callbacks/book", {"phone": "", "at": at})
    assert again.status_code == 400 and b"phone" in again.data  # type: ignore[attr-defined]
    # (a time at the calendar's ends, with no local time, once made a 500)
    for bad in ("tomorrow", "2026-11-24T10:00:00", "", "0001-01-01T00:00:00+00:00",
                "9999-12-31T23:59:59-14:00"):
        refused = desk.post("/desk/callbacks/book", {"phone": "611223344", "at": bad})
        assert refused.status_code == 400 and b"at: choose a slot" in refused.data  # type: ignore[attr-defined]


def test_coordinators_close_and_open_a_day_of_slots(desk: Desk, chat: Chat) -> None:
    desk.sign_in("alice")
    assert "Close Tue 24" not in desk.client.get("/desk/callbacks").text
    desk.sign_in("carla")
    assert "Close Tue 24" in desk.client.get("/desk/callbacks").text
    answer = desk.post("/desk/do", {"command": "slots", "args": "close 2026-11-24",
                                    "back": "/desk/callbacks"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "Open Tue 24" in desk.client.get("/desk/callbacks").text


def test_the_caller_search_masks_numbers_as_chat_does(desk: Desk) -> None:
    desk.sign_in("alice")
    page = desk.client.get("/desk/caller").text
    assert 'method="post" action="/desk/caller"' in page
    found = desk.post("/desk/caller", {"q": "600 11 22 33"})
    text = found.text  # type: ignore[attr-defined]
    assert found.status_code == 200 and "Acme" in text  # type: ignore[attr-defined]
    assert "600 11 22 33" not in text and "numbers masked" in text


def test_my_current_call_shows_the_ringing_card(desk: Desk, demo: Services,
                                                clock: FixedClock) -> None:
    desk.sign_in("chen")  # the demo's calls are Alice's
    empty = desk.client.get("/desk/caller/current")
    assert empty.status_code == 200 and b'data-state="none"' in empty.data
    on_ringing(demo, Ringing(call_id="c-1", caller="+34600112233", extension="213",
                             queue="support", data=None, at=clock.now()))
    card = desk.client.get("/desk/caller/current",
                           headers={"If-None-Match": empty.headers["ETag"]})
    assert card.status_code == 200 and "Acme" in card.text
    assert "Typify this call" in card.text
    assert desk.client.get("/desk/caller/current", headers={
        "If-None-Match": card.headers["ETag"]}).status_code == 304
    other = Desk(desk.app, demo).sign_in("bruno")
    assert b'data-state="none"' in other.client.get("/desk/caller/current").data


def test_stats_with_chart_and_csv(desk: Desk) -> None:
    desk.sign_in("carla")
    page = desk.client.get("/desk/stats?period=today").text
    assert 'src="/desk/stats/chart.png?day=2026-11-23"' in page and "Download CSV" in page
    chart = desk.client.get("/desk/stats/chart.png?day=2026-11-23")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    assert desk.client.get("/desk/stats/chart.png?day=2026-12-01").status_code == 400
    table = desk.client.get("/desk/stats.csv?period=today")
    assert table.status_code == 200 and table.text.startswith("hour,received")
    assert desk.client.get("/desk/stats.csv?period=nonsense").status_code == 400
    bad = desk.client.get("/desk/stats?period=nonsense")
    assert bad.status_code == 400 and "period" in bad.text


def test_reply_addresses_become_links_and_the_rest_is_escaped() -> None:
    from bot.desk.door import linked

    html = str(linked("Open https://crm.example/p?id=7&x=1. <b>now</b>"))
    assert html == ('Open <a href="https://crm.example/p?id=7&amp;x=1" target="_blank" '
                    'rel="noopener noreferrer">https://crm.example/p?id=7&amp;x=1</a>. '
                    "&lt;b&gt;now&lt;/b&gt;")
    assert str(linked('javascript:alert(1) "x"')) == "javascript:alert(1) &#34;x&#34;"


def test_a_pbx_that_fails_is_said_on_the_board(desk: Desk, demo: Services,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from integrations.errors import IntegrationError

    def broken() -> list[object]:
        raise IntegrationError("PBX", "timed out after 3 s")

    desk.sign_in("carla")
    monkeypatch.setattr(demo.pbx, "queue_status", broken)
    answer = desk.client.get("/desk/board/live")
    assert answer.status_code == 200 and "PBX said: timed out after 3 s" in answer.text
