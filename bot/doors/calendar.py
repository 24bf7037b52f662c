"""GET /calendar/<token>.ics: a person's turns as an iCalendar feed.

The token is the verification: signed with SECRET_KEY and carrying the feed version
(commands/shifts/calendar_feed.py). A forged, malformed or revoked token gets a bare 404 —
the same answer as a path that does not exist — and nothing else is read.
"""

from __future__ import annotations

from flask import Flask, Response

from bot.runtime import Runtime
from commands.shifts.calendar_feed import build_feed, person_of_token
from store.db import reading


def register(app: Flask, runtime: Runtime) -> None:
    def view(token: str) -> Response:
        services = runtime.services
        now = services.clock.now()
        with reading(services.sessions) as session:
            person = person_of_token(session, services.settings, token, now)
            if person is None:
                return Response("not found\n", status=404, mimetype="text/plain")
            body = build_feed(session, services.settings, person, now)
        return Response(body, mimetype="text/calendar",
                        headers={"Cache-Control": "private, max-age=300",
                                 "Content-Disposition": 'inline; filename="shifts.ics"'})

    app.add_url_rule("/calendar/<token>.ics", "calendar", view, methods=["GET"])
