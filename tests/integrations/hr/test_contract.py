"""One contract for every Hr backend: the same leaves and holidays, told the same way;
and the Odoo backend against a local server speaking Odoo's JSON-RPC, errors included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from commands.core import Services
from integrations.errors import IntegrationError, Unreachable
from integrations.hr import Hr, Leave
from integrations.hr.base import kind_of
from integrations.hr.local import LocalHr
from integrations.hr.odoo import OdooHr
from integrations.odoo import OdooClient
from store.db import transaction
from store.shifts.absences import COMPANY, Absence, replace_no_service_days
from store.team import people
from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo, odoo_error
from testing.local_server import Response
from tests.conftest import MADRID

FIRST, LAST = date(2026, 11, 23), date(2026, 12, 31)
LEAVES = [  # email, from, to (UTC), kind, Odoo leave type
    ("alice@switchboard.example", datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
     datetime(2026, 11, 27, 17, 0, tzinfo=UTC), "vacation", "Paid Time Off"),
    ("bruno@switchboard.example", datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
     datetime(2026, 12, 2, 16, 0, tzinfo=UTC), "sick", "Sick Time Off"),
]
HOLIDAY = (date(2026, 12, 24), "Christmas Eve (company)")


def odoo_records(fake: FakeOdoo) -> None:
    fake.models["hr.employee"] = [
        {"id": 10 + n, "name": email.split("@")[0], "work_email": email}
        for n, (email, *_rest) in enumerate(LEAVES)]
    fake.models["hr.leave"] = [
        {"id": 500 + n, "employee_id": [10 + n, email], "state": "validate",
         "date_from": f"{starts:%Y-%m-%d %H:%M:%S}", "date_to": f"{ends:%Y-%m-%d %H:%M:%S}",
         "holiday_status_id": [1 + n, label]}
        for n, (email, starts, ends, _kind, label) in enumerate(LEAVES)]
    fake.models["hr.leave"].append({  # refused: not validated, never reported
        "id": 599, "employee_id": [10, "alice"], "state": "refuse",
        "date_from": "2026-12-10 08:00:00", "date_to": "2026-12-10 17:00:00",
        "holiday_status_id": [1, "Paid Time Off"]})
    fake.models["resource.calendar.leaves"] = [
        {"id": 1, "name": HOLIDAY[1], "resource_id": False,
         "date_from": "2026-12-23 23:00:00", "date_to": "2026-12-24 22:59:59"},
        {"id": 2, "name": "Alice's own", "resource_id": [3, "alice"],
         "date_from": "2026-12-14 08:00:00", "date_to": "2026-12-14 17:00:00"}]


def local_records(services: Services) -> None:
    with transaction(services.sessions) as session:
        for email, starts, ends, kind, _label in LEAVES:
            person = people.by_email(session, email)
            assert person is not None
            session.add(Absence(person_id=person.id, starts=starts, ends=ends, kind=kind,
                                source="local"))
        replace_no_service_days(session, COMPANY, [HOLIDAY])


@pytest.fixture
def fake() -> Iterator[FakeOdoo]:
    with FakeOdoo() as server:
        yield server


@pytest.fixture(params=["local", "odoo"])
def hr(request: pytest.FixtureRequest, demo: Services, fake: FakeOdoo) -> Iterator[Hr]:
    if request.param == "local":
        local_records(demo)
        yield LocalHr(demo.sessions, MADRID)
        return
    odoo_records(fake)
    client = OdooClient(fake.url, DB, LOGIN, PASSWORD, timeout=2)
    yield OdooHr(client, MADRID)
    client.close()


def shape(leaves: list[Leave]) -> list[tuple[str, datetime, datetime, str]]:
    return [(x.email, x.starts, x.ends, x.kind) for x in leaves]


def test_leaves_in_a_period(hr: Hr) -> None:
    assert shape(hr.leaves(FIRST, LAST)) == [(e, s, t, k) for e, s, t, k, _ in LEAVES]
    assert shape(hr.leaves(date(2026, 11, 28), date(2026, 11, 30))) == []
    assert shape(hr.leaves(date(2026, 12, 2), date(2026, 12, 2))) == [
        (e, s, t, k) for e, s, t, k, _ in LEAVES[1:]]


def test_public_holidays_in_a_period(hr: Hr) -> None:
    assert [(h.day, h.name) for h in hr.public_holidays(FIRST, LAST)] == [HOLIDAY]
    assert hr.public_holidays(FIRST, date(2026, 12, 1)) == []


def test_the_local_backend_adds_the_holidays_library(demo: Services) -> None:
    hr = LocalHr(demo.sessions, MADRID, "ES", "CT")
    days = {h.day: h.name for h in hr.public_holidays(date(2026, 12, 1), date(2026, 12, 31))}
    assert days[date(2026, 12, 8)] == "Immaculate Conception"
    assert days[date(2026, 12, 26)] == "Saint Stephen's Day"


def test_odoo_failures_are_integration_errors(demo: Services, fake: FakeOdoo) -> None:
    odoo_records(fake)
    client = OdooClient(fake.url, DB, LOGIN, PASSWORD, timeout=2)
    hr = OdooHr(client, MADRID)
    fake.fail_next.append(odoo_error("odoo.exceptions.AccessError",
                                     "You are not allowed to access 'Time Off' records."))
    with pytest.raises(IntegrationError, match="AccessError: You are not allowed"):
        hr.leaves(FIRST, LAST)
    fake.fail_next.append(Response(502, "<html>Bad Gateway</html>"))
    with pytest.raises(IntegrationError, match="HTTP 502"):
        hr.public_holidays(FIRST, LAST)
    del fake.models["hr.leave"]
    with pytest.raises(IntegrationError, match="KeyError"):
        hr.leaves(FIRST, LAST)
    client.close()
    dead = OdooHr(OdooClient("http://127.0.0.1:9", DB, LOGIN, PASSWORD, timeout=1), MADRID)
    with pytest.raises(Unreachable):
        dead.leaves(FIRST, LAST)


@pytest.mark.parametrize(("label", "kind"), [
    ("Paid Time Off", "vacation"), ("Vacances", "vacation"), ("Sick Time Off", "sick"),
    ("Baixa mèdica", "sick"), ("Formació", "busy"), ("Unpaid", "leave"),
    ("Compensatory Days", "leave"), ("Something", "other")])
def test_leave_types_become_kinds(label: str, kind: str) -> None:
    assert kind_of(label) == kind
