"""The desk in a real browser: Debian's Chromium, headless, driven by Selenium, against the
app on a real server at 127.0.0.1 (port 0), as `make run` serves it, on the demo data.

One browser and one server for the module; each flow signs in with its own one-time
link and saves a screenshot in its temporary folder. Without Chromium the tests skip
with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.app import create_app
from bot.desk.auth import COOKIE, sign_in_link
from bot.doors.http import sign
from commands.core import Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from commands.shifts.planning import chat as planning_chat
from commands.shifts.planning.drafts import make_draft
from commands.shifts.planning.inputs import Options
from integrations.clock import FixedClock
from store.db import transaction
from store.team import desk_sessions, people
from testing import accessibility
from testing.browser import LiveServer, chromium, require_browser, screenshot
from tests.conftest import T0, TEMPLATES, Chat, make_services, make_settings

# One worker runs the whole module: one browser, one server (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("desk-browser")

WEBHOOK_SECRET = "desk-browser-webhook-secret"
WAIT = 5  # seconds: the board must follow chat within 5 s; everything else is quicker


@dataclass
class Desk:
    driver: webdriver.Chrome
    server: LiveServer
    services: Services
    chat: Chat

    def sign_in(self, key: str) -> None:
        self.driver.get(self.server.url + "/desk/signin")
        self.driver.delete_all_cookies()
        path = sign_in_link(self.services, key)
        assert path is not None
        self.driver.get(self.server.url + path)
        WebDriverWait(self.driver, WAIT).until(seen.url_contains("/desk/board"))

    def open(self, path: str) -> None:
        self.driver.get(self.server.url + path)

    def text(self, css: str = "body") -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def wait_for_text(self, css: str, text: str, seconds: float = WAIT) -> None:
        WebDriverWait(self.driver, seconds).until(
            seen.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    require_browser()
    with TEMPLATES.migrated("sqlite", tmp_path_factory.mktemp("desk"), T0) as database:
        settings = make_settings(DATABASE_URL=database.url,
                                 PBX_WEBHOOK_SECRET=WEBHOOK_SECRET)
        services = make_services(database, settings, FixedClock(T0))
        services.pbx.set_members([f"2{n}" for n in range(11, 19)])  # as make run does
        app = create_app(settings, services, local=True)
        with LiveServer(app) as server:
            driver = chromium()
            try:
                yield Desk(driver, server, services, Chat(Dispatcher(COMMANDS, services)))
            finally:
                driver.quit()


def test_sign_in_with_the_one_time_link(desk: Desk, tmp_path: Path) -> None:
    desk.open("/desk/board")
    assert desk.driver.current_url.endswith("/desk/signin")
    desk.sign_in("carla")
    assert "Live board" in desk.text("h1") and "Carla Coordinator" in desk.text("header")
    assert desk.driver.get_cookie(COOKIE)["httpOnly"] is True  # type: ignore[index]
    screenshot(desk.driver, tmp_path, "board")
    desk.open("/desk/week?start=2026-11-23")
    assert "Alice Agent" in desk.text(".week")
    screenshot(desk.driver, tmp_path, "week")
    desk.open("/desk/board?wall=1")
    assert not desk.driver.find_elements(By.CSS_SELECTOR, "nav, form")
    screenshot(desk.driver, tmp_path, "wall")


def test_the_board_follows_a_pause_in_chat(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("dani")
    board = desk.driver.find_element(By.ID, "board")
    assert "paused: break" not in board.text
    desk.chat.say("bruno", "/pause break")
    try:
        desk.wait_for_text("#board", "paused: break")
        screenshot(desk.driver, tmp_path, "board-paused")
    finally:
        desk.chat.say("bruno", "/resume")
    desk.wait_for_text("#board", "Bruno Agent (212)")


def test_a_coordinator_changes_a_cell(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("carla")
    desk.open("/desk/week?start=2026-11-23")
    cell = desk.driver.find_element(By.ID, "who-2026-11-24-2-1")
    turn = [w.text for w in cell.find_elements(By.XPATH, "ancestor::td//span[@class]")]
    choice = next(o.text for o in Select(cell).options
                  if o.text.endswith("Agent") and o.text not in turn)  # someone free then
    Select(cell).select_by_visible_text(choice)
    cell.find_element(By.XPATH, "following-sibling::button").click()
    desk.wait_for_text(".flash", f"→ {choice}")
    assert choice in desk.text("#log")
    screenshot(desk.driver, tmp_path, "week-changed")
    assert choice in desk.chat.say("carla", "/onshift 2026-11-24 10:15")
    log = desk.chat.say("carla", "/timetable log")
    assert "/assign Tue 24 Nov 10:15 line T1:" in log and f"→ {choice}" in log


def test_an_agent_cannot_change_a_cell(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("alice")
    desk.open("/desk/week?start=2026-11-23")
    assert "Alice Agent" in desk.text(".week")
    assert desk.driver.find_elements(By.CSS_SELECTOR, ".cell-form, .swap-form") == []
    screenshot(desk.driver, tmp_path, "week-agent")
    before = desk.chat.say("carla", "/timetable log")
    # The form is absent; the request it would send is refused anyway.
    status = desk.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const form = new FormData();
        form.append('csrf', document.querySelector('input[name=csrf]').value);
        for (const [k, v] of [['day', '2026-11-24'], ['turn', '1'], ['line', 'T1'], ['who', 'hana']])
          form.append(k, v);
        fetch('/desk/week/cell', {method: 'POST', body: form}).then((r) => done(r.status));
    """)
    assert status == 403
    assert desk.chat.say("carla", "/timetable log") == before


def test_a_coordinator_plans_the_week_and_publishes_the_draft(desk: Desk,
                                                             tmp_path: Path) -> None:
    desk.sign_in("carla")
    desk.open("/desk/week?start=2026-11-30")
    assert "No draft for this week." in desk.text("#draft")
    desk.driver.find_element(By.CSS_SELECTOR, ".plan-form button").click()
    desk.wait_for_text(".flash", "Planning the week of Mon 30 Nov in the background")
    assert planning_chat.wait(120)  # the solve runs in the server's process, as in chat
    desk.open("/desk/week?start=2026-11-30")
    panel = desk.text("#draft")
    assert "Plan for the week of 2026-11-30: optimal" in panel and "Loads" in panel
    marked = desk.driver.find_elements(By.CSS_SELECTOR, ".draft-grid .seat.differs")
    assert marked and f"{len(marked)} cells differ from the live timetable" in panel
    desk.driver.execute_script("document.getElementById('draft').scrollIntoView()")
    screenshot(desk.driver, tmp_path, "week-draft")
    desk.driver.execute_script("document.querySelector('#draft h3').scrollIntoView()")
    assert "Reasons: the penalties" in panel
    screenshot(desk.driver, tmp_path, "week-draft-reasons")
    desk.driver.find_element(By.CSS_SELECTOR, ".publish-form button").click()
    WebDriverWait(desk.driver, WAIT).until(seen.url_contains("/desk/week/publish"))
    assert "Publish the draft of the week of Mon 30 Nov?" in desk.text("main")
    screenshot(desk.driver, tmp_path, "week-publish")
    desk.driver.find_element(By.CSS_SELECTOR, ".publish-confirm button").click()
    desk.wait_for_text(".flash", f"Published the week of 2026-11-30: {len(marked)} cells changed")
    assert "The draft is the same as the live timetable." in desk.text("#draft")
    assert "/plan Mon 30 Nov" in desk.chat.say("carla", "/timetable log 60")
    # An agent sees none of it, and the request Publish would send is refused.
    desk.sign_in("alice")
    desk.open("/desk/week?start=2026-11-30")
    assert desk.driver.find_elements(By.CSS_SELECTOR, "#draft, .publish-form, .plan-form") == []
    status = desk.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const form = new FormData();
        form.append('csrf', document.querySelector('input[name=csrf]').value);
        form.append('week', '2026-11-30');
        form.append('confirm', 'yes');
        fetch('/desk/week/publish', {method: 'POST', body: form}).then((r) => done(r.status));
    """)
    assert status == 403


def test_book_a_callback_from_the_slots_grid(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("carla")
    desk.open("/desk/callbacks")
    desk.driver.find_element(By.CSS_SELECTOR, "a.slot.free").click()
    phone = desk.driver.find_element(By.ID, "book-phone")
    phone.send_keys("611 22 33 44")
    screenshot(desk.driver, tmp_path, "callbacks-book")
    phone.submit()
    desk.wait_for_text(".flash", "booked")
    assert "+34611223344" in desk.chat.say("carla", "/callbacks all")
    screenshot(desk.driver, tmp_path, "callbacks")


def test_a_signed_call_ringing_shows_my_current_call(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("chen")  # extension 213; the demo's earlier calls are Alice's
    desk.open("/desk/caller")
    desk.wait_for_text("#current-call", "No call on your extension")
    body = json.dumps({"event": "call.ringing", "call_id": "browser-1",
                       "caller": "+34600112233", "extension": "213",
                       "queue": "support"}).encode()
    answer = httpx.post(desk.server.url + "/pbx/events", content=body, headers={
        "Content-Type": "application/json",
        "X-Switchboard-Signature": sign(WEBHOOK_SECRET, int(T0.timestamp()), body)})
    assert answer.status_code == 200, answer.text
    desk.wait_for_text("#current-call", "Acme Energía SL", seconds=1.5)
    assert "Typify this call" in desk.text("#current-call")
    screenshot(desk.driver, tmp_path, "caller")


def test_stats_render_with_the_chart(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("carla")
    desk.open("/desk/stats?period=today")
    chart = desk.driver.find_element(By.CSS_SELECTOR, "img.chart")
    WebDriverWait(desk.driver, WAIT).until(
        lambda d: d.execute_script("return arguments[0].naturalWidth", chart) > 100)
    assert "Download CSV" in desk.text("main")
    screenshot(desk.driver, tmp_path, "stats")


def test_sign_out_then_a_revoked_session_is_refused(desk: Desk, tmp_path: Path) -> None:
    desk.sign_in("elena")
    kept = desk.driver.get_cookie(COOKIE)
    assert kept is not None
    desk.driver.find_element(By.CSS_SELECTOR, ".signout button").click()
    WebDriverWait(desk.driver, WAIT).until(seen.url_contains("/desk/signin"))
    desk.driver.add_cookie({"name": COOKIE, "value": kept["value"], "path": "/desk"})
    desk.open("/desk/board")
    assert desk.driver.current_url.endswith("/desk/signin")  # signed out for good
    desk.sign_in("elena")
    with transaction(desk.services.sessions) as session:  # switchboard desk sessions revoke
        elena = people.by_key(session, "elena")
        assert elena is not None
        assert desk_sessions.revoke_person(session, elena.id, desk.services.clock.now()) == 1
    desk.open("/desk/week")
    assert desk.driver.current_url.endswith("/desk/signin")
    screenshot(desk.driver, tmp_path, "signin")


PAGES = ["/desk/board", "/desk/board?wall=1", "/desk/week?start=2026-11-23",
         "/desk/week?start=2026-12-07", "/desk/callbacks", "/desk/caller", "/desk/stats",
         "/desk/people", "/desk/audit"]


def test_every_page_passes_the_accessibility_check(desk: Desk) -> None:
    desk.open("/desk/signin")
    desk.driver.delete_all_cookies()
    desk.open("/desk/signin")
    found = {"/desk/signin": accessibility.problems(desk.driver)}
    make_draft(desk.services, date(2026, 12, 7), Options(time_limit=20))  # the draft panel
    desk.sign_in("ada")
    for path in PAGES:
        desk.open(path)
        found[path] = accessibility.problems(desk.driver)
    # the confirmation of Publish (a POST's answer)
    desk.open("/desk/week?start=2026-12-07")
    desk.driver.find_element(By.CSS_SELECTOR, ".publish-form button").click()
    WebDriverWait(desk.driver, WAIT).until(seen.url_contains("/desk/week/publish"))
    found["/desk/week/publish"] = accessibility.problems(desk.driver)
    assert {p: v for p, v in found.items() if v} == {}


def test_the_checker_finds_what_it_looks_for(desk: Desk) -> None:
    """The accessibility check is honest: a page with each fault gets each complaint."""
    desk.open("/desk/signin")
    desk.driver.execute_script("""
        document.documentElement.removeAttribute('lang');
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<h1>Second</h1><h4>Skipped</h4><input id="bare"><button></button>' +
          '<img src="x.png"><p id="faint">faint text</p>');
        document.getElementById('faint').style.color = '#dddddd';
    """)
    complaints = " | ".join(accessibility.problems(desk.driver))
    for expected in ("no lang", "not exactly one h1", "heading H4 after h1",
                     "form control without a label: input#bare", "button without text",
                     "image without alt", 'contrast', '"faint text"'):
        assert expected in complaints, (expected, complaints)
    assert re.search(r"contrast 1\.\d+ < 4\.5", complaints)
