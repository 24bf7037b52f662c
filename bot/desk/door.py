"""The desk: server-rendered pages under /desk for the coordinators and agents.

Every page reads through the store and command functions chat uses, and every action
(pause, resume, a cell of the week, a callback's outcome, a booking, a typification)
runs the chat command itself through the one dispatcher, as the signed-in person on the
platform ``desk``: the same role checks, rules, messages and audit rows as in chat.

Routes (all under /desk; every page needs a session, POSTs need the session's CSRF token):

    GET  /desk/                    → the board
    GET  /desk/signin              the sign-in page
    GET  /desk/signin/google       → Google (authorization code + PKCE)
    GET  /desk/signin/callback     Google's answer → a session
    GET  /desk/signin/link/TOKEN   a one-time link (make run) → a session
    POST /desk/signout             end this session
    GET  /desk/board[?wall=1]      the live board; /desk/board/live: its body (ETag/304)
    POST /desk/do                  run a command's button (command, args)
    GET  /desk/week[?start=DATE]   the week grid (and the planner's draft, for coordinators);
                                   POST /desk/week/cell, /desk/week/swap, /desk/week/plan,
                                   /desk/week/publish (a confirmation, then confirm=yes)
    GET  /desk/week/export.yaml|.csv?start=DATE
    GET  /desk/callbacks           due/open callbacks and the slots grid;
                                   POST /desk/callbacks/book
    GET  /desk/caller              search (POST) and "My current call" (/desk/caller/current)
    GET  /desk/stats?period=P      figures and chart; /desk/stats.csv, /desk/stats/chart.png
    GET  /desk/people, /desk/audit admins
    GET  /desk/people.css          each person's colour
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.desk.auth import (
    CSRF_FIELD,
    Google,
    Sessions,
    Viewer,
    csrf_ok,
    is_loopback,
    person_by_verified_email,
    security_headers,
    spend_link,
)
from bot.doors.http import accepted_language
from bot.runtime import Runtime
from commands.callbacks.booking import rules_of
from commands.callbacks.capacity import Interval, bookable, calendar_for, days_ahead
from commands.callbacks.slots import find_pool
from commands.callers.screen_pop import card_of
from commands.core import CommandError, Mention, Reply, Section, Where
from commands.dispatch import Incoming, Result
from commands.queue.activity_sync import sync_with_pbx
from commands.queue.board import board
from commands.queue.waiting import waiting_section
from commands.shifts.calendar_feed import feed_url
from commands.shifts.day_plan import DayPlan, day_plan
from commands.shifts.planning.drafts import (
    capacity_texts,
    draft_timetable_cells,
    penalty_text,
    status_line,
    status_word,
)
from commands.stats.card import figure_rows, report_for
from commands.stats.chart import render_png
from commands.stats.export import csv_rows
from commands.stats.period import day_period, parse_period
from integrations.errors import IntegrationError
from store import i18n
from store.calls import registry
from store.db import reading
from store.exports import csv_text
from store.i18n import _
from store.queue import activity
from store.shifts import absences, planning, timetable
from store.shifts.planning import PlanDraft
from store.shifts.timetable import HOLIDAY, NOBODY, PERSON, TimetableCell
from store.shifts.timetable_io import export_csv, export_yaml, parse_date
from store.team import desk_sessions, people
from store.team.people import Person, Role

BOARD_POLL_MS = 3000  # the board asks every 3 s (≤ 5 s), answered 304 when unchanged
CALL_POLL_MS = 500  # "My current call" asks twice a second
CURRENT_CALL_HOURS = 2  # the last call stays "current" this long (to typify it)
STATUS = {"ok": 200, "denied": 403, "usage": 400, "unknown_command": 400, "too_long": 400,
          "failed": 409, "unknown_person": 403, "inactive": 403}
_BACK = re.compile(r"^/desk(/[A-Za-z0-9_./-]*)?(\?[A-Za-z0-9_.=&:%+-]*)?$")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]")
# Colours for people without one of their own (the Tomàtic colour when set).
PALETTE = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#ff7f0e", "#393b79", "#637939")


def register(app: Flask, runtime: Runtime, *, local: bool = False) -> None:
    DeskDoor(app, runtime, local=local)


def shown(reply: Reply) -> dict[str, Any]:
    """A Reply for a template: mentions by name, sections as they are."""

    def name(m: Mention) -> str:
        return m.name

    return {"text": reply.plain(reply.text, name), "sections": reply.sections_shown(name)}


def linked(text: str | None) -> Markup:
    """Text for a page, escaped, with its web addresses as links (an operation's CRM
    page, a calendar feed) that open apart and send no referrer."""
    raw = text or ""
    link = Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>')
    pieces: list[Markup] = []
    at = 0
    for found in _URL.finditer(raw):
        pieces += [escape(raw[at:found.start()]), link.format(found.group(0))]
        at = found.end()
    pieces.append(escape(raw[at:]))
    return Markup("").join(pieces)


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    raw = background.lstrip("#")
    r, g, b = (int(raw[i:i + 2], 16) / 255 for i in (0, 2, 4))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


# A role as the header names it ("carla (coordinator)"), in the reader's language.
ROLE_NAMES = {Role.AGENT: i18n.N_("agent"), Role.COORDINATOR: i18n.N_("coordinator"),
              Role.ADMIN: i18n.N_("admin")}


def role_name(role: Role) -> str:
    return _(ROLE_NAMES[role])


def _day(value: date, shape: str = "day") -> str:
    """A date in the reader's language, as chat writes it (``store.i18n.day``)."""
    return i18n.day(value, shape)


def colour_of(person: Person) -> str:
    raw = (person.color or "").strip().lstrip("#")
    if re.fullmatch(r"[0-9a-fA-F]{6}", raw):
        return "#" + raw.lower()
    return PALETTE[person.id % len(PALETTE)]


class DeskDoor:
    def __init__(self, app: Flask, runtime: Runtime, *, local: bool) -> None:
        self.runtime = runtime
        self.services = runtime.services
        settings = runtime.settings
        self.settings = settings
        # The one-time links of `make run`: only with no Google client, on this machine.
        self.links_allowed = local and not settings.desk_google_client_id \
            and is_loopback(settings.host)
        if not app.secret_key:
            from commands.links import DEVELOPMENT_KEY

            app.secret_key = "desk:" + (settings.secret_key or DEVELOPMENT_KEY)
        app.config.update(SESSION_COOKIE_NAME="switchboard_desk_flow",
                          SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                          SESSION_COOKIE_SECURE=not is_loopback(settings.host),
                          SESSION_COOKIE_PATH="/desk")
        self.sessions = Sessions(self.services, settings.secret_key,
                                 settings.desk_session_hours)
        self.google = (Google(app, settings.desk_google_client_id,
                              settings.desk_google_client_secret,
                              settings.desk_oidc_discovery_url)
                       if settings.desk_google_client_id else None)
        bp = Blueprint("desk", __name__, url_prefix="/desk", template_folder="templates",
                       static_folder="static", static_url_path="/static")
        routes: list[tuple[str, str, Callable[..., Any], list[str]]] = [
            ("/", "home", self.home, ["GET"]),
            ("/signin", "signin", self.signin, ["GET"]),
            ("/signin/google", "signin_google", self.signin_google, ["GET"]),
            ("/signin/callback", "signin_callback", self.signin_callback, ["GET"]),
            ("/signin/link/<token>", "signin_link", self.signin_link, ["GET"]),
            ("/signout", "signout", self.signout, ["POST"]),
            ("/board", "board", self.board, ["GET"]),
            ("/board/live", "board_live", self.board_live, ["GET"]),
            ("/do", "do", self.do, ["POST"]),
            ("/week", "week", self.week, ["GET"]),
            ("/week/cell", "week_cell", self.week_cell, ["POST"]),
            ("/week/swap", "week_swap", self.week_swap, ["POST"]),
            ("/week/plan", "week_plan", self.week_plan, ["POST"]),
            ("/week/publish", "week_publish", self.week_publish, ["POST"]),
            ("/week/export.yaml", "week_yaml", self.week_yaml, ["GET"]),
            ("/week/export.csv", "week_csv", self.week_csv, ["GET"]),
            ("/callbacks", "callbacks", self.callbacks, ["GET"]),
            ("/callbacks/book", "callbacks_book", self.callbacks_book, ["POST"]),
            ("/caller", "caller", self.caller, ["GET", "POST"]),
            ("/caller/current", "caller_current", self.caller_current, ["GET"]),
            ("/stats", "stats", self.stats, ["GET"]),
            ("/stats.csv", "stats_csv", self.stats_csv, ["GET"]),
            ("/stats/chart.png", "stats_chart", self.stats_chart, ["GET"]),
            ("/people", "people", self.people, ["GET"]),
            ("/audit", "audit", self.audit, ["GET"]),
            ("/people.css", "people_css", self.people_css, ["GET"]),
        ]
        for rule, name, view, methods in routes:
            bp.add_url_rule(rule, name, view, methods=methods)
        bp.add_app_template_filter(linked, "linked")
        bp.add_app_template_filter(_day, "day")
        # Pages speak the reader's language: {{ _("…") }} and ngettext in the templates.
        app.jinja_env.add_extension("jinja2.ext.i18n")
        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n._, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True)
        bp.before_request(self.enter_language)
        bp.teardown_request(self.leave_language)
        bp.after_request(self.headers)
        bp.context_processor(self.template_globals)
        app.register_blueprint(bp)

    # ----------------------------------------------------------------- plumbing

    def headers(self, response: Response) -> Response:
        wall = request.endpoint in ("desk.board", "desk.board_live") \
            and request.args.get("wall") == "1" and self.settings.desk_wall_frame_ancestors
        return security_headers(response, frame_ancestors=(
            self.settings.desk_wall_frame_ancestors if wall else "'none'"))

    def template_globals(self) -> dict[str, Any]:
        return {"viewer": getattr(request, "desk_viewer", None), "csrf_field": CSRF_FIELD,
                "Role": Role, "messages": get_flashed_messages(with_categories=True),
                "lang": i18n.current(), "role_name": role_name}

    def language(self) -> str | None:
        """The reader's language: the signed-in person's, else the browser's first
        choice among those Switchboard speaks, else None (the team's)."""
        viewer = self.viewer()
        if viewer is not None and viewer.language:
            return viewer.language
        return accepted_language(request)

    def enter_language(self) -> None:
        """Everything this request writes (pages, refusals, what commands answer) is in
        the reader's language; left again when the request ends."""
        if request.endpoint in ("desk.static", "desk.people_css"):
            return
        block = i18n.speaking(self.language())
        block.__enter__()
        g.desk_language = block

    def leave_language(self, _error: BaseException | None) -> None:
        block = g.pop("desk_language", None)
        if block is not None:
            block.__exit__(None, None, None)

    def viewer(self) -> Viewer | None:
        found: Viewer | None = getattr(request, "desk_viewer", None)
        if found is None:
            found = self.sessions.viewer(request)
            request.desk_viewer = found  # type: ignore[attr-defined]
        return found

    def page(self, template: str, status: int = 200, **values: Any) -> Response:
        return Response(render_template(f"desk/{template}", **values), status=status,
                        mimetype="text/html")

    def refuse(self, status: int, why: str) -> Response:
        return self.page("refused.html", status, why=why)

    def guard(self, role: Role = Role.AGENT, *, post: bool = False
              ) -> Viewer | Response:
        """The viewer, or the answer refusing them: sign in first (401 for a POST or a
        poll, a redirect for a page), their role, and for a POST the CSRF token."""
        viewer = self.viewer()
        if viewer is None:
            if request.method == "GET" and not request.path.endswith(
                    ("/live", "/current", ".csv", ".png", ".yaml", ".css")):
                return redirect(url_for("desk.signin"), 303)
            return self.refuse(401, _("You are not signed in (or your session has ended)."))
        if post and not csrf_ok(viewer, request.form.get(CSRF_FIELD)):
            return self.refuse(403, _("This form has expired or did not come from the desk "
                                      "(its CSRF token is missing or wrong). Reload the page "
                                      "and try again."))
        if not viewer.allows(role):
            return self.refuse(403, _("This is for {role} and above; you are {yours}.").format(
                role=role.plural, yours=viewer.role.with_article))
        return viewer

    def run(self, viewer: Viewer, command: str, args: str) -> Result:
        """A chat command, run as the viewer through the one dispatcher."""
        incoming = Incoming(platform="desk", user_id=viewer.key,
                            text=f"/{command} {args}".strip(),
                            where=Where(platform="desk", space="desk", is_dm=False),
                            command=command, args=args)
        return self.runtime.dispatcher.handle(incoming)

    def after_action(self, result: Result, back: str) -> Response:
        """A command's answer: back to the page with it shown, or the refusal."""
        if not _BACK.match(back):
            back = "/desk/board"
        if result.ok:
            flash(shown(result.reply)["text"] or _("Done."), "ok")
            return redirect(back, 303)
        return self.page("result.html", STATUS.get(result.outcome, 400),
                         reply=shown(result.reply), back=back)

    def now(self) -> datetime:
        return self.services.clock.now()

    def today(self) -> date:
        return self.now().astimezone(self.settings.timezone).date()

    # ----------------------------------------------------------------- sign-in

    def home(self) -> Response:
        return redirect(url_for("desk.board"), 303)

    def signin(self) -> Response:
        return self.page("signin.html", google=self.google is not None,
                         links=self.links_allowed)

    def redirect_uri(self) -> str:
        base = self.settings.public_url.rstrip("/") or request.host_url.rstrip("/")
        return base + url_for("desk.signin_callback")

    def signin_google(self) -> Any:
        if self.google is None:
            return self.refuse(404, _("Google sign-in is not configured here."))
        return self.google.redirect(self.redirect_uri())

    def signin_callback(self) -> Response:
        if self.google is None:
            return self.refuse(404, _("Google sign-in is not configured here."))
        try:
            claims = self.google.claims()
        except Exception as exc:  # Authlib raises many kinds; none signs anyone in
            return self.refuse(401, _("Google sign-in failed: {error}. Try again from the "
                                      "sign-in page.").format(error=type(exc).__name__))
        person_id = person_by_verified_email(self.services, claims)
        if person_id is None:
            return self.refuse(403, _("That Google account's verified email is not an "
                                      "active person in Switchboard. Ask an admin for "
                                      "access."))
        return self.start_session(person_id, desk_sessions.GOOGLE)

    def signin_link(self, token: str) -> Response:
        if not self.links_allowed:
            return self.refuse(404, _("One-time sign-in links work only with `make run` on "
                                      "this machine."))
        person_id = spend_link(self.services, token)
        if person_id is None:
            return self.refuse(401, _("This sign-in link is unknown, used already or "
                                      "expired (links last 10 minutes and work once)."))
        return self.start_session(person_id, desk_sessions.LINK)

    def start_session(self, person_id: int, via: str) -> Response:
        token = self.sessions.open(person_id, via)
        response = redirect(url_for("desk.board"), 303)
        self.sessions.set_cookie(response, token)
        return response

    def signout(self) -> Response:
        viewer = self.guard(post=True)
        if isinstance(viewer, Response):
            return viewer
        self.sessions.end(viewer)
        response = redirect(url_for("desk.signin"), 303)
        self.sessions.clear_cookie(response)
        return response

    # ----------------------------------------------------------------- actions

    def do(self) -> Response:
        viewer = self.guard(post=True)
        if isinstance(viewer, Response):
            return viewer
        command = (request.form.get("command") or "").strip().lstrip("/")
        args = request.form.get("args") or ""
        back = request.form.get("back") or "/desk/board"
        if not re.fullmatch(r"[a-z]{1,32}", command):
            return self.refuse(400, _("command: give the name of a command, e.g. pause."))
        return self.after_action(self.run(viewer, command, args), back)

    # ----------------------------------------------------------------- board

    def board(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        wall = request.args.get("wall") == "1"
        return self.page("board.html", wall=wall, poll_ms=BOARD_POLL_MS,
                         body=self.board_body(viewer, wall))

    def board_live(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        body = self.board_body(viewer, request.args.get("wall") == "1")
        etag = hashlib.sha256(body.encode()).hexdigest()[:32]
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            response = Response(body, mimetype="text/html")
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
        return response

    def board_body(self, viewer: Viewer, wall: bool) -> str:
        services = self.services
        try:
            snapshot, _synced = sync_with_pbx(services)
        except IntegrationError as exc:  # as chat says it: the board could not be read
            return render_template("desk/board_body.html", wall=wall, failure=_(
                "The board cannot be shown: {system} said: {message}").format(
                    system=exc.system, message=exc.message),
                observed=self.now().astimezone(self.settings.timezone))
        reply = board(services, snapshot, waiting=waiting_section(services, full_numbers=False))
        now = snapshot.observed_at
        period = day_period(now.astimezone(self.settings.timezone).date(),
                            self.settings.timezone, now)
        figures = report_for(services, period, None, agents=False).figures
        with reading(services.sessions) as session:
            plan = day_plan(session, self.settings, period.first_day)
            turn = plan.turn_at(now)
            on_shift = [p.name for p in plan.people_of(turn)]
            members = [(p.key, p.name) for p in people.all_people(session, active_only=True)
                       if p.extension]
            reasons = [r.code for r in activity.reasons(session)]
        sections = [s for s in reply.sections if not s.buttons]
        controls = [s for s in reply.sections if s.buttons]
        shift = (_("Turn {number} ({label}): {people}").format(
            number=turn.number, label=turn.label, people=", ".join(on_shift) or _("nobody"))
            if turn else _("Outside the turns: nobody is on shift now."))
        return render_template(
            "desk/board_body.html", wall=wall, reply=shown(Reply(reply.text, tuple(sections),
                                                                 mentions=reply.mentions)),
            controls=[] if wall else controls, figures=figure_rows(figures), shift=shift,
            observed=now.astimezone(self.settings.timezone),
            members=members if viewer.allows(Role.COORDINATOR) and not wall else [],
            reasons=reasons)

    # ----------------------------------------------------------------- week

    def monday(self) -> date:
        given = parse_date(request.args.get("start", "")) if request.args.get("start") else None
        day = given or self.today()
        return day - timedelta(days=day.weekday())

    def week(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        monday = self.monday()
        with reading(self.services.sessions) as session:
            plans = [day_plan(session, self.settings, monday + timedelta(days=n))
                     for n in range(7)]
            plans = [p for p in plans if p.turns or p.day.weekday() < 5]
            grid = self.grid(session, plans)
            everyone = [(p.key, p.name) for p in people.all_people(session, active_only=True)]
            person = session.get(Person, viewer.person_id)
            calendar = feed_url(session, self.settings, person) if person else None
            # The planner's draft of the week, beside the live grid: for coordinators only,
            # as /plan show is theirs.
            row = planning.draft(session, monday) if viewer.allows(Role.COORDINATOR) \
                else None
            draft = self.draft_panel(session, row, plans) if row is not None else None
        log = self.run(viewer, "timetable", "log 20") if viewer.allows(Role.COORDINATOR) \
            else None
        return self.page("week.html", monday=monday, plans=plans, grid=grid,
                         everyone=everyone, previous=monday - timedelta(days=7),
                         next=monday + timedelta(days=7), calendar=calendar,
                         log=shown(log.reply) if log is not None else None,
                         can_edit=viewer.allows(Role.COORDINATOR), draft=draft)

    def grid(self, session: Session, plans: list[DayPlan]) -> list[list[dict[str, Any]]]:
        """Rows of turns (by number), one cell per day: its lines and who is on each."""
        if not plans:
            return []
        start = datetime.combine(plans[0].day, datetime.min.time(),
                                 tzinfo=self.settings.timezone)
        away = absences.overlapping(session, start, start + timedelta(days=8))
        rows: list[list[dict[str, Any]]] = []
        for index in range(max((len(p.turns) for p in plans), default=0)):
            row: list[dict[str, Any]] = []
            for plan in plans:
                if index >= len(plan.turns):
                    row.append({"plan": plan, "turn": None, "seats": []})
                    continue
                turn = plan.turns[index]
                seats = []
                for line in turn.lines:
                    seat = next((s for s in plan.seats_of(turn) if s.line == line), None)
                    person = seat.person if seat is not None and seat.status == PERSON else None
                    absent = person is not None and any(
                        a.person_id == person.id and a.starts < turn.end and a.ends > turn.start
                        for a in away)
                    seats.append({"line": line, "person": person,
                                  "holiday": seat is not None and seat.status == HOLIDAY,
                                  "absent": absent})
                row.append({"plan": plan, "turn": turn, "seats": seats})
            rows.append(row)
        return rows

    def draft_panel(self, session: Session, row: PlanDraft, plans: list[DayPlan]
                    ) -> dict[str, Any]:
        """The week's draft as a second grid in the live grid's layout (days × turns ×
        lines), each cell marked where it differs from the live timetable, with the
        planner's summary: its status, cost, bound and gap, the turns that could not be
        filled, every penalty in words and the loads."""
        team = people.all_people(session)
        by_id = {p.id: p for p in team}
        cells = draft_timetable_cells(row, {p.key: p.id for p in team})
        live = {(c.day, c.start, c.line): c
                for c in timetable.cells_between(session, row.monday,
                                                 row.monday + timedelta(days=6))}
        tz = self.settings.timezone
        now = self.now()

        def state(cell: TimetableCell | None) -> tuple[str, Person | None]:
            if cell is None or cell.status not in (PERSON, HOLIDAY):
                return NOBODY, None
            person = by_id.get(cell.person_id) if cell.person_id is not None else None
            if cell.status == PERSON and person is None:
                return NOBODY, None  # as publishing writes a person no longer known
            return cell.status, person

        def said(status: str, person: Person | None) -> str:
            return person.name if person is not None else (
                _("holiday") if status == HOLIDAY else _("nobody"))

        days: dict[date, dict[time, list[TimetableCell]]] = {}
        for cell in cells:
            days.setdefault(cell.day, {}).setdefault(cell.start, []).append(cell)
        columns = sorted({p.day for p in plans} | set(days))
        turns = {day: sorted(days.get(day, {})) for day in columns}
        rows: list[list[dict[str, Any]]] = []
        differ = 0
        for index in range(max((len(t) for t in turns.values()), default=0)):
            out: list[dict[str, Any]] = []
            for day in columns:
                if index >= len(turns[day]):
                    out.append({"day": day, "label": None, "seats": []})
                    continue
                start = turns[day][index]
                seats = []
                for cell in sorted(days[day][start], key=lambda c: c.position):
                    status, person = state(cell)
                    was_status, was = state(live.get((day, start, cell.line)))
                    differs = (status, person) != (was_status, was)
                    differ += differs
                    seats.append({"line": cell.line, "person": person,
                                  "holiday": status == HOLIDAY, "differs": differs,
                                  "was": said(was_status, was),
                                  "begun": datetime.combine(day, start, tz) <= now})
                end = days[day][start][0].end
                out.append({"day": day, "label": f"{start:%H:%M}–{end:%H:%M}",
                            "number": index + 1, "seats": seats})
            rows.append(out)
        drafted = {(c.day, c.start, c.line) for c in cells}
        emptied = []
        for key, cell in sorted(live.items()):
            status, person = state(cell)
            begun = datetime.combine(cell.day, cell.start, tz) <= now  # publishing keeps it
            if key not in drafted and not begun and (status, person) != (NOBODY, None):
                emptied.append(_("{day} {start} line {line}: {who}").format(
                    day=i18n.day(cell.day), start=f"{cell.start:%H:%M}", line=cell.line,
                    who=said(status, person)))
        summary = dict(row.summary)
        # The planner's words, in the reader's language (a draft from before the planner
        # kept them so: its English).
        summary["capacity"] = capacity_texts(summary)
        summary["penalties"] = [{**p, "text": penalty_text(p)} for p in summary["penalties"]]
        maker = by_id.get(row.made_by_id) if row.made_by_id is not None else None
        return {
            "monday": row.monday, "columns": columns, "rows": rows, "differ": differ,
            "emptied": emptied, "summary": summary, "status_line": status_line(summary),
            "status_word": status_word(summary["status"]),
            "made_at": row.made_at.astimezone(tz), "made_by": maker.name if maker else None,
            "published_at": row.published_at.astimezone(tz) if row.published_at else None,
            "has_plan": summary.get("status") in ("optimal", "feasible"),
        }

    def week_cell(self) -> Response:
        viewer = self.guard(Role.COORDINATOR, post=True)
        if isinstance(viewer, Response):
            return viewer
        form = request.form
        who = form.get("who", "")
        who = "nobody" if who in ("", "nobody") else "@" + who.lstrip("@")
        args = " ".join([form.get("day", ""), form.get("turn", ""), form.get("line", ""), who])
        return self.after_action(self.run(viewer, "assign", args),
                                 f"/desk/week?start={form.get('day', '')}")

    def week_swap(self) -> Response:
        viewer = self.guard(Role.COORDINATOR, post=True)
        if isinstance(viewer, Response):
            return viewer
        form = request.form
        args = " ".join(["@" + form.get("a", "").lstrip("@"), "@" + form.get("b", "").lstrip("@"),
                         form.get("day", ""), form.get("turn", "")])
        return self.after_action(self.run(viewer, "swap", args),
                                 f"/desk/week?start={form.get('day', '')}")

    def week_field(self) -> date | Response:
        """The Monday of the form's ``week`` (any day of it), or the refusal naming it."""
        day = parse_date(request.form.get("week", ""))
        if day is None:
            return self.refuse(400, _("week: give a day of the week as YYYY-MM-DD (its "
                                      "Monday is the week planned)."))
        return day - timedelta(days=day.weekday())

    def week_plan(self) -> Response:
        """Plan the week: /plan WEEK, solved in the background as in chat (the summary
        comes as a DM; the draft shows here once it is made)."""
        viewer = self.guard(Role.COORDINATOR, post=True)
        if isinstance(viewer, Response):
            return viewer
        monday = self.week_field()
        if isinstance(monday, Response):
            return monday
        return self.after_action(self.run(viewer, "plan", f"{monday:%Y-%m-%d}"),
                                 f"/desk/week?start={monday:%Y-%m-%d}")

    def week_publish(self) -> Response:
        """Publish the week's draft as /plan publish does: first its question (a page with
        the confirmation form), then, with ``confirm=yes``, /plan publish WEEK confirm."""
        viewer = self.guard(Role.COORDINATOR, post=True)
        if isinstance(viewer, Response):
            return viewer
        monday = self.week_field()
        if isinstance(monday, Response):
            return monday
        confirm = request.form.get("confirm", "")
        if confirm not in ("", "yes"):
            return self.refuse(400, _("confirm: publish from the confirmation page (yes), or "
                                      "leave it out to be asked."))
        iso = f"{monday:%Y-%m-%d}"
        back = f"/desk/week?start={iso}"
        if confirm:
            return self.after_action(self.run(viewer, "plan", f"publish {iso} confirm"), back)
        result = self.run(viewer, "plan", f"publish {iso}")
        if not result.ok:
            return self.after_action(result, back)
        question = shown(result.reply)  # its Publish button is the form of the page
        return self.page("publish.html", monday=monday, question=question["text"], back=back)

    def week_yaml(self) -> Response:
        return self.week_file("yaml", "application/yaml", export_yaml)

    def week_csv(self) -> Response:
        return self.week_file("csv", "text/csv", lambda session, monday: export_csv(
            session, monday, monday + timedelta(days=6)))

    def week_file(self, extension: str, mimetype: str,
                  write: Callable[[Session, date], str]) -> Response:
        """The week's timetable as a download, written by the CLI's own exporter."""
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        monday = self.monday()
        with reading(self.services.sessions) as session:
            body = write(session, monday)
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename=timetable-{monday}.{extension}"})

    # ----------------------------------------------------------------- callbacks

    def callbacks(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        which = request.args.get("show", "today")
        if which not in ("mine", "today", "all"):
            which = "today"
        listing = self.run(viewer, "callbacks", which)
        now = self.now()
        rules = rules_of(self.settings)
        days: list[tuple[date, bool, list[Interval], set[datetime]]] = []
        problem = None
        with reading(self.services.sessions) as session:
            try:
                pool = find_pool(session, self.services, None)
            except CommandError as exc:
                pool, problem = None, exc.message
            if pool is not None:
                calendar = calendar_for(session, pool, now, rules)
                for day in days_ahead(now, rules):
                    free = {i.start for i in bookable(calendar, day, now, rules) if i.free > 0}
                    days.append((day, calendar.closed(day), calendar.day(day), free))
        return self.page("callbacks.html", listing=shown(listing.reply), which=which,
                         days=days, problem=problem, tz=self.settings.timezone,
                         booking=request.args.get("at", ""),
                         can_close=viewer.allows(Role.COORDINATOR))

    def callbacks_book(self) -> Response:
        viewer = self.guard(post=True)
        if isinstance(viewer, Response):
            return viewer
        phone = " ".join((request.form.get("phone") or "").split())
        at = request.form.get("at", "")
        if not phone:
            return self.refuse(400, _("phone: give the number to call back."))
        when: datetime | None = None
        try:  # a time at the ends of the calendar has no local time: no slot either
            given = datetime.fromisoformat(at)
            if given.tzinfo is not None:
                when = given.astimezone(self.settings.timezone)
        except (ValueError, OverflowError):
            pass
        if when is None:
            return self.refuse(400, _("at: choose a slot from the grid."))
        args = f"{phone.replace(' ', '')} {when:%Y-%m-%d %H:%M}"
        return self.after_action(self.run(viewer, "callback", args), "/desk/callbacks")

    # ----------------------------------------------------------------- caller

    def caller(self) -> Response:
        viewer = self.guard(post=request.method == "POST")
        if isinstance(viewer, Response):
            return viewer
        found = None
        status = 200
        if request.method == "POST":  # a search: the query stays out of the URL
            query = " ".join((request.form.get("q") or "").split())
            if not query:
                return self.refuse(400, _("q: type a phone number, tax id, code or name."))
            result = self.run(viewer, "lookup", query)
            found, status = shown(result.reply), STATUS.get(result.outcome, 400)
        return self.page("caller.html", status, found=found, poll_ms=CALL_POLL_MS)

    def caller_current(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        since = self.now() - timedelta(hours=CURRENT_CALL_HOURS)
        with reading(self.services.sessions) as session:
            call = registry.last_for_person(session, viewer.person_id)
            if call is not None and call.rang_at < since:
                call = None
            if call is not None:
                session.expunge(call)
        etag = f"call-{call.call_id}" if call is not None else "no-call"
        etag = hashlib.sha256(etag.encode()).hexdigest()[:32]
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            card = shown(card_of(self.services, call)) if call is not None else None
            rang = call.rang_at.astimezone(self.settings.timezone) if call else None
            response = Response(render_template("desk/current_call.html", card=card,
                                                rang=rang), mimetype="text/html")
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
        return response

    # ----------------------------------------------------------------- stats

    def stats(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        period = (request.args.get("period") or "today").strip()
        try:  # the picker's word must be a period (chat would read others as a queue)
            parsed = parse_period(period, self.now(), self.settings.timezone)
        except CommandError as exc:
            return self.refuse(400, _("period: {problem}").format(problem=exc.message))
        result = self.run(viewer, "stats", f"{period} by category")
        reply = result.reply
        chart = parsed.single_day.isoformat() if parsed.single_day else None
        sections = tuple(Section(s.title, s.text, s.rows, s.buttons, None)
                         for s in reply.sections)
        return self.page("stats.html", STATUS.get(result.outcome, 400), period=period,
                         reply=shown(Reply(reply.text, sections, mentions=reply.mentions)),
                         chart=chart)

    def stats_csv(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        period_word = (request.args.get("period") or "today").strip()
        try:
            period = parse_period(period_word, self.now(), self.settings.timezone)
        except CommandError as exc:
            return self.refuse(400, _("period: {problem}").format(problem=exc.message))
        report = report_for(self.services, period, None, agents=False, hourly=True)
        return Response(csv_text(csv_rows(report, readable=True)), mimetype="text/csv", headers={
            "Content-Disposition": f"attachment; filename=stats-{period.first_day}"
                                   f"-{period.last_day}.csv"})

    def stats_chart(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        day = parse_date(request.args.get("day", "")) or self.today()
        if day > self.today():
            return self.refuse(400, _("day: the chart of a day to come has nothing to show."))
        period = day_period(day, self.settings.timezone, self.now())
        report = report_for(self.services, period, None, agents=False, hourly=True)
        title = _("Calls per hour, {day}").format(day=i18n.day(day, "day_year"))
        return Response(render_png(report.hourly, title),
                        mimetype="image/png")

    # ----------------------------------------------------------------- admins

    def people(self) -> Response:
        viewer = self.guard(Role.ADMIN)
        if isinstance(viewer, Response):
            return viewer
        result = self.run(viewer, "people", "")
        return self.page("reply_page.html", title=_("People"), reply=shown(result.reply))

    def audit(self) -> Response:
        viewer = self.guard(Role.ADMIN)
        if isinstance(viewer, Response):
            return viewer
        result = self.run(viewer, "audit", "")
        return self.page("reply_page.html", title=_("Audit: the latest requests"),
                         reply=shown(result.reply))

    def people_css(self) -> Response:
        viewer = self.guard()
        if isinstance(viewer, Response):
            return viewer
        with reading(self.services.sessions) as session:
            everyone = people.all_people(session)
        lines = []
        for person in everyone:
            colour = colour_of(person)
            lines.append(f".person-{person.id} {{ background: {colour}; "
                         f"color: {text_colour(colour)}; }}")
        return Response("\n".join(lines) + "\n", mimetype="text/css",
                        headers={"Cache-Control": "private, max-age=60"})

