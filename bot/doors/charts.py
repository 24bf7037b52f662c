"""GET /charts/<signed token>.png: the day's calls-per-hour chart for chat cards.

The token (``commands.links``, purpose ``charts``) is the credential: it names the day
and the queue and expires (``CHART_LINK_DAYS``). Anything but a genuine, unexpired token
gets a bare 401 before anything is read from the store. The image is drawn on request
from the figures, so it is never stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response

from bot.doors.http import unauthorized
from bot.runtime import Runtime
from commands import links
from commands.stats.card import CHART_PURPOSE, report_for
from commands.stats.chart import render_png
from commands.stats.period import day_period


def register(app: Flask, runtime: Runtime) -> None:
    door = ChartsDoor(runtime)
    app.add_url_rule("/charts/<token>.png", "charts", door.view, methods=["GET"])


def _payload(raw: Any) -> tuple[date, str | None] | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("d"), str):
        return None
    queue = raw.get("q")
    if queue is not None and not isinstance(queue, str):
        return None
    try:
        return date.fromisoformat(raw["d"]), queue
    except ValueError:
        return None


class ChartsDoor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def view(self, token: str) -> Response:
        services = self.runtime.services
        now = services.clock.now()
        found = _payload(links.read(services.settings, CHART_PURPOSE, token, now))
        if found is None:
            return unauthorized("Token")
        day, queue = found
        period = day_period(day, services.settings.timezone, now)
        report = report_for(services, period, queue, agents=False, hourly=True)
        title = f"Calls per hour, {day:%a %d %b %Y}" + (f", queue {queue}" if queue else "")
        return Response(render_png(report.hourly, title), mimetype="image/png",
                        headers={"Cache-Control": "private, max-age=300"})
