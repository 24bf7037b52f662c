from __future__ import annotations

from datetime import timedelta

from commands.links import read, token, url
from tests.conftest import T0, make_settings


def test_a_link_round_trips_until_it_expires() -> None:
    config = make_settings(SECRET_KEY="k1", PUBLIC_URL="https://sb.example.org/")
    link = url(config, "charts", {"day": "2026-11-30"}, ".png", expires=T0 + timedelta(hours=1))
    assert link.startswith("https://sb.example.org/charts/") and link.endswith(".png")
    raw = link.removeprefix("https://sb.example.org/charts/").removesuffix(".png")
    assert read(config, "charts", raw, T0) == {"day": "2026-11-30"}
    assert read(config, "charts", raw, T0 + timedelta(hours=2)) is None


def test_forged_foreign_or_cross_purpose_tokens_read_as_nothing() -> None:
    config = make_settings(SECRET_KEY="k1")
    raw = token(config, "calendar", {"key": "alice", "v": 1})
    assert read(config, "calendar", raw, T0) == {"key": "alice", "v": 1}
    assert read(config, "charts", raw, T0) is None
    assert read(make_settings(SECRET_KEY="k2"), "calendar", raw, T0) is None
    assert read(config, "calendar", raw[:-2] + "xx", T0) is None
    assert read(config, "calendar", "x" * 5000, T0) is None
    assert url(make_settings(), "calendar", 1).startswith("http://127.0.0.1:8080/calendar/")
