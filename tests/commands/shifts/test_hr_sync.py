"""Absences from the HR system: a sync replaces them; an HR system that is down leaves
the last known ones in place and tells the coordinators once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from commands.core import Services
from commands.shifts.hr_sync import sync_hr
from integrations.hr.odoo import OdooHr
from store.db import reading
from store.messaging.outbox import OutboxMessage
from store.shifts.absences import Absence, no_service_days
from testing.fake_odoo import FakeOdoo
from testing.local_server import Response
from tests.conftest import MADRID, Chat
from tests.integrations.odoo_series import CURRENT, serving


@pytest.fixture(params=["16.0", CURRENT])
def odoo(request: pytest.FixtureRequest, demo: Services) -> Iterator[FakeOdoo]:
    """Odoo 16.0, and the current series (hr.leave has work_entry_type_id, not
    holiday_status_id: a sync used to be refused whole)."""
    with serving(request.param) as (fake, client):
        demo.hr = OdooHr(client, MADRID)
        yield fake


def stored(services: Services) -> list[tuple[str, str | None]]:
    with reading(services.sessions) as session:
        return [(a.kind, a.external_id) for a in session.scalars(
            select(Absence).order_by(Absence.starts))]


def told(services: Services) -> list[str]:
    with reading(services.sessions) as session:
        return [m.body["text"] for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_sync_brings_leaves_and_holidays(demo: Services, odoo: FakeOdoo, chat: Chat) -> None:
    report = sync_hr(demo)
    assert report.summary() == "odoo: 2 absences, 1 public holidays"
    assert stored(demo) == [("vacation", "odoo:500"), ("sick", "odoo:501")]
    with reading(demo.sessions) as session:
        assert [d.name for d in no_service_days(session, *_december())] == [
            "Christmas Eve (company)"]
    assert "Alice Agent (T1)  absent: vacation" in chat.say("carla", "/onshift")
    odoo.models["hr.leave"] = odoo.models["hr.leave"][1:]  # alice's leave was cancelled
    sync_hr(demo)
    assert stored(demo) == [("sick", "odoo:501")]


def test_a_down_hr_system_keeps_the_last_absences_and_is_reported_once(
        demo: Services, odoo: FakeOdoo) -> None:
    sync_hr(demo)
    for _ in range(3):
        odoo.fail_next.append(Response(503, "<html>Service Unavailable</html>"))
        report = sync_hr(demo)
        assert report.error == "Odoo: answered HTTP 503"
    assert stored(demo) == [("vacation", "odoo:500"), ("sick", "odoo:501")]
    assert told(demo) == [
        "I could not refresh absences from odoo: Odoo: answered HTTP 503. I keep using the "
        "last known absences and will tell you when it works again."]
    sync_hr(demo)
    sync_hr(demo)
    assert told(demo)[1:] == ["Absences from odoo are up to date again."]


def test_the_local_backend_has_nothing_to_fetch(demo: Services) -> None:
    assert sync_hr(demo).summary() == "local: 0 absences, 0 public holidays"


def _december() -> tuple[object, object]:
    from datetime import date

    return date(2026, 12, 1), date(2026, 12, 31)
