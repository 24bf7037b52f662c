"""GET /charts/<signed token>.png: a genuine, unexpired token gets the day's chart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.app import create_app
from commands import links
from commands.core import Services
from commands.stats.card import chart_url
from integrations.clock import FixedClock
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from tests.conftest import T0, make_settings

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def client(services: Services) -> FlaskClient:
    settings = make_settings(DATABASE_URL="sqlite://", SECRET_KEY="chart-test-key")
    services.settings = settings
    with transaction(services.sessions) as session:
        save_calls(session, "sim", [
            CallInfo("a", "support", T0, "answered", wait_seconds=5, talk_seconds=60,
                     answered_at=T0 + timedelta(seconds=5), extension="211"),
            CallInfo("b", "support", T0 + timedelta(hours=2), "abandoned", wait_seconds=30)],
            region="ES")
    return create_app(settings, services).test_client()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_a_signed_link_serves_the_days_chart(client: FlaskClient, services: Services) -> None:
    url = chart_url(services, T0.date(), None)
    assert url.startswith("http://127.0.0.1:8080/charts/") and url.endswith(".png")
    answer = client.get(path_of(url))
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data.startswith(PNG) and len(answer.data) > 5000


def test_forged_expired_or_foreign_tokens_are_refused(client: FlaskClient, services: Services,
                                                      clock: FixedClock) -> None:
    url = chart_url(services, T0.date(), "support")
    token = url.rsplit("/", 1)[1].removesuffix(".png")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other = links.token(services.settings, "calendar", {"d": T0.date().isoformat(), "q": None})
    for candidate in (forged, other, "x" * 3000, "not-a-token"):
        answer = client.get(f"/charts/{candidate}.png")
        assert answer.status_code == 401 and answer.data == b""
    assert client.get(path_of(url)).status_code == 200
    clock.advance(timedelta(days=31))
    assert client.get(path_of(url)).status_code == 401


def test_a_day_without_calls_still_draws(client: FlaskClient, services: Services) -> None:
    answer = client.get(path_of(chart_url(services, date(2026, 11, 1), None)))
    assert answer.status_code == 200 and answer.data.startswith(PNG)


@pytest.mark.parametrize("payload", [
    {"d": "9999-12-31", "q": None},  # once an OverflowError: a 500
    {"d": "0001-01-01", "q": None},
    {"d": "2026-11-23", "q": "sup\x00port"},  # once a 500 on PostgreSQL
    {"d": "2026-11-23", "q": "s" * 65},
])
def test_a_genuine_token_for_an_impossible_day_or_queue_is_404(
        client: FlaskClient, services: Services, payload: dict[str, str | None]) -> None:
    token = links.token(services.settings, "charts", payload)
    answer = client.get(f"/charts/{token}.png")
    assert answer.status_code == 404 and b"no chart" in answer.data


def test_the_chart_speaks_the_language_of_its_message(client: FlaskClient, services: Services,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The link carries the language of the card it went with; a link from before
    languages (none named) draws in the team's; a language that is not a text is no
    token this door signs."""
    from bot.doors import charts
    from commands.stats import chart
    from store import i18n

    drawn: list[tuple[str, str, str]] = []

    def spy(hourly: Any, title: str) -> bytes:
        figure = chart.draw(hourly, title)
        drawn.append((i18n.current(), title, figure.axes[0].get_xlabel()))
        return PNG

    monkeypatch.setattr(charts, "render_png", spy)
    with i18n.speaking("es"):
        spanish = chart_url(services, T0.date(), "support")
    assert client.get(path_of(spanish)).status_code == 200
    i18n.set_team_language("ca")
    old = links.token(services.settings, "charts", {"d": "2026-11-23", "q": None})
    assert client.get(f"/charts/{old}.png").status_code == 200
    with i18n.speaking("en"):  # an English reader's card, in a Catalan team
        english = chart_url(services, T0.date(), None)
    i18n.set_team_language("pt")
    assert client.get(path_of(english)).status_code == 200
    assert drawn == [("es", "Llamadas por hora, lun 23 de nov de 2026, cola support", "hora"),
                     ("ca", "Trucades per hora, dl. 23 de nov. 2026", "hora"),
                     ("en", "Calls per hour, Mon 23 Nov 2026", "hour")]
    odd = links.token(services.settings, "charts", {"d": "2026-11-23", "q": None, "l": 7})
    assert client.get(f"/charts/{odd}.png").status_code == 401
