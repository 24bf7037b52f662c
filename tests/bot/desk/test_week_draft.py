"""The planner's draft on the desk's week page: coordinators see it beside the live grid,
with the cells that differ marked, its result, reasons and loads, and publish it (after a
confirmation) through /plan publish; "Plan this week" runs /plan. Agents see none of it
and are refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

from markupsafe import escape

from commands.core import Services
from commands.shifts.planning import chat as planning_chat
from commands.shifts.planning.drafts import make_draft
from commands.shifts.planning.inputs import Options
from store.db import reading
from store.shifts import planning, timetable
from store.shifts.timetable import PERSON
from store.team import audit, people
from tests.bot.desk.conftest import Desk
from tests.bot.desk.test_door import INLINE, changes
from tests.conftest import Chat

NEXT_MONDAY = date(2026, 11, 30)  # the demo's clock is Mon 23 Nov 2026, 09:00
WEEK = f"/desk/week?start={NEXT_MONDAY}"


def live_week(services: Services) -> dict[tuple[str, str, str], str | None]:
    with reading(services.sessions) as session:
        keys = {p.id: p.key for p in people.all_people(session)}
        return {(f"{c.day:%Y-%m-%d}", f"{c.start:%H:%M}", c.line):
                keys.get(c.person_id) if c.status == PERSON and c.person_id else c.status
                for c in timetable.cells_between(session, NEXT_MONDAY,
                                                 NEXT_MONDAY + timedelta(days=6))}


def drafted(services: Services) -> tuple[dict[tuple[str, str, str], str | None], dict]:  # type: ignore[type-arg]
    with reading(services.sessions) as session:
        row = planning.draft(session, NEXT_MONDAY)
        assert row is not None
        return ({(c["day"], c["start"], c["line"]): c["person"] or c["status"]
                 for c in row.cells}, dict(row.summary))


def test_a_coordinator_plans_sees_the_differences_and_publishes(desk: Desk, chat: Chat,
                                                               demo: Services) -> None:
    desk.sign_in("carla")
    page = desk.client.get(WEEK).text
    assert "No draft for this week." in page and "publish-form" not in page
    # Plan this week: /plan, in the background as in chat.
    answer = desk.post("/desk/week/plan", {"week": "2026-12-02"})  # any day of the week
    assert answer.status_code == 303 and answer.location == WEEK  # type: ignore[attr-defined]
    assert planning_chat.wait(120)
    page = desk.client.get(WEEK).text
    assert "Planning the week of Mon 30 Nov in the background" in page  # the flashed reply
    draft, summary = drafted(demo)
    live = live_week(demo)
    differ = {k for k in set(draft) | set(live)
              if (draft.get(k) or "nobody") != (live.get(k) or "nobody")}
    assert differ, "the demo's next week differs from a plan"
    assert not INLINE.search(page)
    assert f"Plan for the week of 2026-11-30: {summary['status']}, cost " \
           f"{summary['objective']}" in page
    assert "Made Mon 23 Nov 09:00 by Carla Coordinator" in page
    for penalty in summary["penalties"]:  # every reason, in the planner's words
        assert f"<td>{penalty['cost']}</td><td>{escape(penalty['text'])}</td>" in page
    assert f"the penalties ({len(summary['penalties'])}, total " \
           f"{summary['penalty_total']})" in page
    for load in summary["loads"]:
        assert (f"<th scope=\"row\">{load['name']}</th><td>{load['ideal']}</td>"
                f"<td>{load['prorated']}</td><td>{load['bound']}</td>"
                f"<td>{load['planned']}</td>") in page
    grid = page[page.index('class="week draft-grid"'):]
    assert len(re.findall(r'class="seat differs"', grid)) == len(differ)
    assert f"{len(differ)} cells differ from the live timetable" in page
    # Each cell in the person's colour, and the marked ones say what the live one has.
    alice = next(load for load in summary["loads"] if load["key"] == "alice")
    assert alice["planned"] and 'class="who person-' in grid
    assert "changes; live: " in grid
    # Publish: first the question (nothing changes), then the confirmation.
    before = changes(demo)
    ask = desk.post("/desk/week/publish", {"week": str(NEXT_MONDAY)})
    assert ask.status_code == 200  # type: ignore[attr-defined]
    assert "Publish the draft of the week of Mon 30 Nov? It replaces" in ask.text  # type: ignore[attr-defined]
    assert 'name="confirm" value="yes"' in ask.text  # type: ignore[attr-defined]
    assert changes(demo) == before and live_week(demo) == live
    done = desk.post("/desk/week/publish", {"week": str(NEXT_MONDAY), "confirm": "yes"})
    assert done.status_code == 303 and done.location == WEEK  # type: ignore[attr-defined]
    after = live_week(demo)
    assert {k: v for k, v in after.items() if v != "nobody"} == \
        {k: v for k, v in draft.items() if v != "nobody"}
    assert changes(demo) - before == len(differ)
    page = desk.client.get(WEEK).text
    assert f"Published the week of 2026-11-30: {len(differ)} cells changed" in page
    assert "The draft is the same as the live timetable." in page
    assert "(published)" not in page and "Published Mon 23 Nov 09:00." in page
    log = chat.say("carla", "/timetable log 40")
    assert "· Carla Coordinator  /plan " in log
    with reading(demo.sessions) as session:
        rows = audit.recent(session, 10)
    ran = [(r.platform, r.command, r.outcome) for r in rows]
    assert ("desk", "plan", "ok") in ran


def test_an_agent_sees_no_draft_and_is_refused(desk: Desk, demo: Services) -> None:
    make_draft(demo, NEXT_MONDAY, Options(time_limit=20))
    desk.sign_in("alice")
    page = desk.client.get(WEEK).text
    assert "planner" not in page and "publish" not in page.lower()
    assert "plan-form" not in page
    before, live = changes(demo), live_week(demo)
    for path, data in [("/desk/week/publish", {"week": str(NEXT_MONDAY), "confirm": "yes"}),
                       ("/desk/week/publish", {"week": str(NEXT_MONDAY)}),
                       ("/desk/week/plan", {"week": str(NEXT_MONDAY)})]:
        answer = desk.post(path, data)
        assert answer.status_code == 403 and b"for coordinators" in answer.data, path  # type: ignore[attr-defined]
    # The button route runs /plan itself, which refuses as in chat.
    refused = desk.post("/desk/do", {"command": "plan",
                                     "args": f"publish {NEXT_MONDAY} confirm"})
    assert refused.status_code == 403 and b"for coordinators" in refused.data  # type: ignore[attr-defined]
    assert changes(demo) == before and live_week(demo) == live


def test_publishing_needs_the_csrf_token(desk: Desk, demo: Services) -> None:
    make_draft(demo, NEXT_MONDAY, Options(time_limit=20))
    desk.sign_in("carla")
    before, live = changes(demo), live_week(demo)
    for token in (None, "", desk.csrf + "x"):
        for path in ("/desk/week/publish", "/desk/week/plan"):
            data = {"week": str(NEXT_MONDAY), "confirm": "yes"}
            if token is not None:
                data["csrf"] = token
            answer = desk.client.post(path, data=data)
            assert answer.status_code == 403 and b"CSRF" in answer.data
    assert planning_chat.wait(120)
    assert changes(demo) == before and live_week(demo) == live
    with reading(demo.sessions) as session:
        row = planning.draft(session, NEXT_MONDAY)
        assert row is not None and row.serial == 1 and row.published_at is None


def test_a_bad_week_or_no_draft_is_said(desk: Desk, demo: Services) -> None:
    desk.sign_in("carla")
    for week in ("", "next week", "2026-13-01", "0001-01-01"):
        for path in ("/desk/week/publish", "/desk/week/plan"):
            answer = desk.post(path, {"week": week})
            assert answer.status_code == 400 and b"week: give a day" in answer.data  # type: ignore[attr-defined]
    odd = desk.post("/desk/week/publish", {"week": str(NEXT_MONDAY), "confirm": "sure"})
    assert odd.status_code == 400 and b"confirm:" in odd.data  # type: ignore[attr-defined]
    none = desk.post("/desk/week/publish", {"week": str(NEXT_MONDAY)})
    assert none.status_code == 409  # type: ignore[attr-defined]
    assert b"There is no draft for the week of 2026-11-30" in none.data  # type: ignore[attr-defined]


def test_a_begun_week_marks_the_cells_publishing_keeps(desk: Desk, demo: Services) -> None:
    monday = date(2026, 11, 23)  # the clock: Mon 23 Nov 09:00, turn 1 has just begun
    make_draft(demo, monday, Options(time_limit=20))
    desk.sign_in("carla")
    page = desk.client.get(f"/desk/week?start={monday}").text
    grid = page[page.index('class="week draft-grid"'):]
    seats = re.findall(r'<li class="seat( differs)?" data-day="([\d-]+)" data-turn="(\d+)"'
                       r'[^>]*>(.*?)</li>', grid, re.DOTALL)
    differ = [(day, turn, body) for mark, day, turn, body in seats if mark]
    begun = [(day, turn) for day, turn, body in differ if "but begun: kept" in body]
    assert differ and all(seat == ("2026-11-23", "1") for seat in begun)
    assert len(begun) == len([d for d in differ if d[:2] == ("2026-11-23", "1")])
    assert begun, "the draft changes someone on the turn under way"
    done = desk.post("/desk/week/publish", {"week": str(monday), "confirm": "yes"})
    assert done.status_code == 303  # type: ignore[attr-defined]
    flashed = desk.client.get(f"/desk/week?start={monday}").text
    assert f"Published the week of {monday}: {len(differ) - len(begun)} cells changed" in flashed
