"""GET /charts/<signed token>.png: the day's calls-per-hour chart for chat cards.

The token (``commands.links``, purpose ``charts``) is the credential: it names the day,
the queue and the language of the message the link went with, and expires
(``CHART_LINK_DAYS``). The chart's title, axes and legend are drawn in that language (a
token from before languages names none: the team's language applies). Anything but a
genuine, unexpired token gets a bare 401 before anything is read from the store; a
genuine one naming a day no call can have (outside 1970–2099) or a queue no database can
hold (a NUL character) gets a 404. The image is drawn on request from the figures, so
it is never stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response

from bot.doors.http import storable, unauthorized
from bot.runtime import Runtime
from commands import links
from commands.stats.card import CHART_PURPOSE, report_for
from commands.stats.chart import render_png
from commands.stats.period import day_period
from store import i18n
from store.i18n import _


def register(app: Flask, runtime: Runtime) -> None:
    door = ChartsDoor(runtime)
    app.add_url_rule("/charts/<token>.png", "charts", door.view, methods=["GET"])


# The days a chart can be of: those a call record can have (store.calls.records).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2099, 12, 31)
NOT_FOUND = "no chart: the link names a day outside 1970–2099 or an impossible queue\n"


class NoChart(ValueError):
    """A genuine token whose day or queue no chart can be drawn for."""


def _payload(raw: Any) -> tuple[date, str | None, str | None] | None:
    """(day, queue, language) of a token's payload; None for one this door never signs.
    NoChart for a day or queue no chart can be drawn for (once a 500: date overflow, NUL).
    The language is one Switchboard speaks, else None (the team's)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("d"), str):
        return None
    queue, language = raw.get("q"), raw.get("l")
    if queue is not None and not isinstance(queue, str):
        return None
    if language is not None and not isinstance(language, str):
        return None
    try:
        day = date.fromisoformat(raw["d"])
    except ValueError:
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise NoChart(raw["d"])
    if queue is not None:
        try:
            storable(queue)
        except ValueError:
            raise NoChart(queue) from None
        if len(queue) > 64:
            raise NoChart(queue)
    return day, queue, i18n.normalise(language)


class ChartsDoor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def view(self, token: str) -> Response:
        services = self.runtime.services
        now = services.clock.now()
        try:
            found = _payload(links.read(services.settings, CHART_PURPOSE, token, now))
        except NoChart:
            return Response(NOT_FOUND, status=404, mimetype="text/plain")
        if found is None:
            return unauthorized("Token")
        day, queue, language = found
        with i18n.speaking(language):
            period = day_period(day, services.settings.timezone, now)
            report = report_for(services, period, queue, agents=False, hourly=True)
            shown = i18n.day(day, "day_year")
            title = (_("Calls per hour, {day}, queue {queue}").format(day=shown, queue=queue)
                     if queue else _("Calls per hour, {day}").format(day=shown))
            png = render_png(report.hourly, title)
        return Response(png, mimetype="image/png",
                        headers={"Cache-Control": "private, max-age=300"})
