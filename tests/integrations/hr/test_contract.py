"""One contract for every Hr backend: the same leaves and holidays, told the same way —
the Odoo backend against each recorded Odoo series (16.0, 17.0, 18.0 and the current one,
tests/integrations/odoo_recordings) on a local server speaking Odoo's JSON-RPC; and the Odoo
backend's own business: the fields it asks about, the ones a server lacks, its errors."""

from __future__ import annotations

import re
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
from tests.integrations.odoo_series import CURRENT, SERIES, series, serving

FIRST, LAST = date(2026, 11, 23), date(2026, 12, 31)
LEAVES = [  # email, from, to (UTC), kind, Odoo leave type (as the recordings hold them)
    ("alice@switchboard.example", datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
     datetime(2026, 11, 27, 17, 0, tzinfo=UTC), "vacation", "Paid Time Off"),
    ("bruno@switchboard.example", datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
     datetime(2026, 12, 2, 16, 0, tzinfo=UTC), "sick", "Sick Time Off"),
]
HOLIDAY = (date(2026, 12, 24), "Christmas Eve (company)")


def local_records(services: Services) -> None:
    with transaction(services.sessions) as session:
        for email, starts, ends, kind, _label in LEAVES:
            person = people.by_email(session, email)
            assert person is not None
            session.add(Absence(person_id=person.id, starts=starts, ends=ends, kind=kind,
                                source="local"))
        replace_no_service_days(session, COMPANY, [HOLIDAY])


@pytest.fixture(params=["17.0"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(series(request.param)) as server:
        yield server


@pytest.fixture(params=["local", *(f"odoo-{s}" for s in SERIES)])
def hr(request: pytest.FixtureRequest, demo: Services) -> Iterator[Hr]:
    if request.param == "local":
        local_records(demo)
        yield LocalHr(demo.sessions, MADRID)
        return
    with serving(request.param.removeprefix("odoo-")) as (_fake, client):
        yield OdooHr(client, MADRID)


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


def hr_of(fake: FakeOdoo) -> OdooHr:
    return OdooHr(OdooClient(fake.url, DB, LOGIN, PASSWORD, timeout=2), MADRID)


def test_odoo_failures_are_integration_errors(fake: FakeOdoo) -> None:
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


@pytest.mark.parametrize("fake", SERIES, indirect=True)
def test_fields_get_is_asked_once_per_model_per_client(fake: FakeOdoo) -> None:
    hr = hr_of(fake)
    hr.leaves(FIRST, LAST)
    hr.public_holidays(FIRST, LAST)
    asked = {model: fake.fields_get_calls(model)
             for model in ("hr.leave", "hr.employee", "resource.calendar.leaves")}
    assert asked == {"hr.leave": 1, "hr.employee": 1, "resource.calendar.leaves": 1}
    assert hr.leaves(FIRST, LAST) and hr.public_holidays(FIRST, LAST)
    assert fake.fields_get_calls() == 3  # the second sync asks nothing more about fields
    kind = "work_entry_type_id" if fake.series and fake.series.name == CURRENT \
        else "holiday_status_id"
    reads = [r.json()["params"]["args"][6]["fields"] for r in fake.server.requests
             if r.json()["params"]["args"][3:5] == ["hr.leave", "search_read"]]
    assert reads == [["employee_id", "date_from", "date_to", kind]] * 2


@pytest.mark.parametrize("fake", [CURRENT], indirect=True)
def test_the_current_series_names_the_leave_type_work_entry_type_id(fake: FakeOdoo) -> None:
    """The issue: a read naming holiday_status_id was refused whole by the current series."""
    assert [x.kind for x in hr_of(fake).leaves(FIRST, LAST)] == ["vacation", "sick"]


def test_a_server_telling_no_leave_type_gives_kind_other(fake: FakeOdoo) -> None:
    fake.hide("hr.leave", "holiday_status_id")
    leaves = hr_of(fake).leaves(FIRST, LAST)
    assert [(x.email, x.kind) for x in leaves] == [(e, "other") for e, *_rest in LEAVES]


def test_a_leave_type_that_is_text_is_read_as_its_name(fake: FakeOdoo) -> None:
    fake.methods[("hr.leave", "fields_get")] = lambda _args, _kwargs: {
        "employee_id": {"type": "many2one", "relation": "hr.employee"},
        "date_from": {"type": "datetime"}, "date_to": {"type": "datetime"},
        "state": {"type": "selection"}, "holiday_status_id": {"type": "char"}}
    for row in fake.models["hr.leave"]:
        row["holiday_status_id"] = row["holiday_status_id"][1]
    assert [x.kind for x in hr_of(fake).leaves(FIRST, LAST)] == ["vacation", "sick"]


@pytest.mark.parametrize("fake", SERIES, indirect=True)
@pytest.mark.parametrize(("model", "field", "call"), [
    ("hr.leave", "state", "leaves"), ("hr.leave", "employee_id", "leaves"),
    ("hr.employee", "work_email", "leaves"),
    ("resource.calendar.leaves", "resource_id", "public_holidays")])
def test_a_field_without_which_the_answer_would_be_wrong_is_named(
        fake: FakeOdoo, model: str, field: str, call: str) -> None:
    fake.hide(model, field)
    hr = hr_of(fake)
    assert fake.series is not None
    version = fake.series.version["server_version"]
    with pytest.raises(IntegrationError, match=rf"{model} has no field '{field}' on this server "
                                               rf"\(Odoo {re.escape(version)}\)"):
        getattr(hr, call)(FIRST, LAST)
    # The model was not read: the error is the backend's, not the server refusing a read.
    assert (model, "search_read") not in {(m, method) for _s, m, method in fake.calls}


def test_a_holiday_without_a_name_is_called_public_holiday(fake: FakeOdoo) -> None:
    fake.hide("resource.calendar.leaves", "name")
    assert [(h.day, h.name) for h in hr_of(fake).public_holidays(FIRST, LAST)] == [
        (HOLIDAY[0], "Public holiday")]
