"""Pulling a day's call records from the PBX backend: asked first, saved after, idempotent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from commands.calls.pull import pull_day, pull_recent
from commands.core import Services
from integrations.clock import FixedClock
from integrations.pbx.areavoip.backend import AreavoipPbx
from store.calls.records import CallRecord
from store.db import transaction
from tests.conftest import MADRID, T0
from tests.integrations.pbx.areavoip.fake_areavoip import FakeAreavoip
from tests.integrations.pbx.areavoip.test_backend import simplecdr


@pytest.fixture
def areavoip(demo: Services) -> Iterator[tuple[Services, FakeAreavoip]]:
    with FakeAreavoip() as fake:
        pbx = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue, timezone=MADRID,
                          timeout=0.5, helpline_numbers=["900123456"])
        yield dataclasses.replace(demo, pbx=pbx), fake
        pbx.close()


def test_a_day_is_pulled_and_pulling_it_again_changes_nothing(
        areavoip: tuple[Services, FakeAreavoip]) -> None:
    services, fake = areavoip
    fake.cdrs = [simplecdr("2026-11-23 09:00:00"),
                 simplecdr("2026-11-23 09:30:00", "NO ANSWER", duration=30, billsec=0),
                 simplecdr("2026-11-23 10:00:00", sc_direction="OUT")]
    first = pull_day(services, date(2026, 11, 23))
    assert first is not None and (first.source, first.fetched, first.saved.created) == (
        "areavoip", 2, 2)
    again = pull_day(services, date(2026, 11, 23))
    assert again is not None and (again.saved.created, again.saved.updated,
                                  again.saved.unchanged) == (0, 0, 2)
    with transaction(services.sessions) as session:
        rows = session.scalars(select(CallRecord).order_by(CallRecord.entered_at)).all()
        assert [(r.source, r.queue, r.outcome, r.caller, r.dialled, r.extension, r.person_id
                 is not None) for r in rows] == [
            ("areavoip", "666", "answered", "+34600111222", "+34900123456", "101", False),
            ("areavoip", "666", "abandoned", "+34600111222", "+34900123456", None, False)]


def test_after_midnight_yesterday_is_pulled_too(areavoip: tuple[Services, FakeAreavoip],
                                               clock: FixedClock) -> None:
    services, _fake = areavoip
    clock.set(T0.replace(hour=0, minute=30))
    assert [r.day for r in pull_recent(services)] == [date(2026, 11, 22), date(2026, 11, 23)]
    clock.set(T0.replace(hour=9))
    assert [r.day for r in pull_recent(services)] == [date(2026, 11, 23)]


def test_the_sim_has_nothing_to_pull(demo: Services) -> None:
    assert pull_day(demo, date(2026, 11, 23)) is None
