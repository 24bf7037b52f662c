"""Areavoip backend: the exact GET requests, state mapping, refusals, timeouts, CDRs."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.pbx import CallInfo, MemberState, MemberStatus, PbxError, PbxUnreachable
from integrations.pbx.areavoip.backend import AreavoipPbx
from testing.local_server import Request, Response
from tests.conftest import MADRID
from tests.integrations.pbx.areavoip.fake_areavoip import PATH, FakeAreavoip

TIMEOUT = 0.5


@pytest.fixture
def fake() -> Iterator[FakeAreavoip]:
    with FakeAreavoip() as server:
        yield server


@pytest.fixture
def pbx(fake: FakeAreavoip) -> Iterator[AreavoipPbx]:
    backend = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue,
                          timezone=MADRID, timeout=TIMEOUT)
    yield backend
    backend.close()


def query(r: Request) -> dict[str, str]:
    assert all(len(values) == 1 for values in r.query.values()), r.query
    return {name: values[0] for name, values in r.query.items()}


AUTH = {"tenant": "tenant1", "key": "k3y"}


# ---------------------------------------------------------------------- queue status


def test_queue_status_sends_the_documented_request(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101"], ["101"])
    pbx.queue_status()
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", PATH)
    assert query(request) == {"reqtype": "INFO", **AUTH, "info": "agentsconnected",
                              "queue": "666", "format": "json"}


@pytest.mark.parametrize(("device", "state"), [
    (None, MemberState.DISCONNECTED),
    ("UNAVAILABLE", MemberState.DISCONNECTED),
    ("INVALID", MemberState.DISCONNECTED),
    ("NOT_INUSE", MemberState.AVAILABLE),
    ("RINGING", MemberState.RINGING),
    ("RINGINUSE", MemberState.RINGING),
    ("INUSE", MemberState.IN_CALL),
    ("BUSY", MemberState.BUSY),
    ("ONHOLD", MemberState.ON_HOLD),
    ("UNKNOWN", MemberState.UNKNOWN),
    ("SOMETHING_NEW", MemberState.UNKNOWN),
])
def test_every_device_state_maps(fake: FakeAreavoip, pbx: AreavoipPbx,
                                 device: str | None, state: MemberState) -> None:
    fake.seed(["101"], ["101"])
    fake.devices["101"] = device
    assert pbx.queue_status()[0].state is state


def test_status_carries_counters_and_pause_but_no_reason(fake: FakeAreavoip,
                                                         pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102"], ["102", "101"])
    fake.paused.add("102")
    fake.calls["102"], fake.seconds["102"] = 7, 1234
    assert pbx.queue_status() == [
        MemberStatus("101", MemberState.AVAILABLE),
        MemberStatus("102", MemberState.AVAILABLE, paused=True, pause_reason=None,
                     paused_since=None, calls_taken=7, seconds_in_calls=1234),
    ]


def test_an_empty_queue_is_an_empty_list(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101"], [])
    assert pbx.queue_status() == []


def test_an_unreadable_status_is_an_error(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.intercept = lambda r: Response(200, {"101": {"0": "many", "2": "INUSE"}})
    with pytest.raises(PbxError, match="extension 101 could not be read"):
        pbx.queue_status()


# ---------------------------------------------------------------------- pause / resume


def test_pause_and_resume_send_the_documented_requests(fake: FakeAreavoip,
                                                       pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102"], ["101", "102"])
    pbx.pause("101", "lunch")
    pbx.pause("102")
    pbx.resume("101")
    agent = [query(r) for r in fake.requests if r.arg("reqtype") == "AGENT"]
    assert agent == [
        {"reqtype": "AGENT", **AUTH, "action": "pause", "queue": "666", "extension": "101",
         "reason": "lunch"},
        {"reqtype": "AGENT", **AUTH, "action": "pause", "queue": "666", "extension": "102",
         "reason": "notimplemented"},
        {"reqtype": "AGENT", **AUTH, "action": "unpause", "queue": "666", "extension": "101",
         "reason": "notimplemented"},
    ]
    assert fake.paused == {"102"}


@pytest.mark.parametrize(("operation", "code"), [
    (lambda p: p.pause("102", "x"), "not_member"),
    (lambda p: p.pause("999", "x"), "unknown_extension"),
    (lambda p: p.pause("103", "x"), "already_paused"),
    (lambda p: p.resume("101"), "not_paused"),
    (lambda p: p.resume("102"), "not_member"),
    (lambda p: p.add_member("101"), "already_member"),
    (lambda p: p.add_member("999"), "unknown_extension"),
    (lambda p: p.remove_member("102"), "not_member"),
    (lambda p: p.remove_member("999"), "unknown_extension"),
    (lambda p: p.set_members(["101", "999"]), "unknown_extension"),
])
def test_refusals_are_specific_and_change_nothing(fake: FakeAreavoip, pbx: AreavoipPbx,
                                                  operation: Any, code: str) -> None:
    fake.seed(["101", "102", "103"], ["101", "103"])
    fake.paused.add("103")
    with pytest.raises(PbxError) as caught:
        operation(pbx)
    assert caught.value.code == code
    assert fake.actions() == []
    assert (fake.members, fake.paused) == (["101", "103"], {"103"})


def test_adding_a_member_twice_does_not_call_the_pbx_to_add(fake: FakeAreavoip,
                                                            pbx: AreavoipPbx) -> None:
    fake.seed(["101"], ["101"])
    with pytest.raises(PbxError, match="already in queue 666"):
        pbx.add_member("101")
    assert [r.arg("reqtype") for r in fake.requests] == ["INFO"]


def test_an_answer_other_than_ok_is_an_error_with_its_text(fake: FakeAreavoip,
                                                           pbx: AreavoipPbx) -> None:
    fake.seed(["101"], ["101"])
    fake.intercept = lambda r: (Response(200, "ERROR: agent logged out")
                                if r.arg("reqtype") == "AGENT" else None)
    with pytest.raises(PbxError, match="ERROR: agent logged out") as caught:
        pbx.pause("101", "lunch")
    assert caught.value.code == "rejected"


def test_wrong_credentials_are_reported(fake: FakeAreavoip) -> None:
    fake.seed(["101"], ["101"])
    wrong = AreavoipPbx(fake.url, "bad-key", fake.tenant, fake.queue, timezone=MADRID,
                        timeout=TIMEOUT)
    with pytest.raises(PbxError, match="invalid tenant or key"):
        wrong.queue_status()
    wrong.close()


def test_an_http_error_is_reported_with_its_status(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.intercept = lambda r: Response(500, "<html>Internal Server Error</html>")
    with pytest.raises(PbxError, match="HTTP 500 to INFO: <html>Internal Server Error"):
        pbx.queue_status()


# ---------------------------------------------------------------------- membership


def test_add_member_sends_the_documented_request(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102"], ["101"])
    pbx.add_member("102")
    assert [query(r)["reqtype"] for r in fake.requests] == ["INFO", "MANAGEDB", "QUEUE"]
    assert query(fake.requests[1]) == {"reqtype": "MANAGEDB", **AUTH, "object": "extension",
                                       "action": "list", "format": "json"}
    assert query(fake.requests[2]) == {"reqtype": "QUEUE", **AUTH, "action": "add", "id": "666",
                                       "extension": "102", "type": "NF"}
    assert fake.members == ["101", "102"]


def test_removing_cleans_and_restores_the_others_with_their_pauses(fake: FakeAreavoip,
                                                                   pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102", "103"], ["103", "101", "102"])
    fake.paused.add("102")
    pbx.remove_member("101")
    assert fake.actions() == [("QUEUE", "clean"), ("QUEUE", "add", "103"),
                              ("QUEUE", "add", "102"), ("AGENT", "pause", "102")]
    clean = next(r for r in fake.requests if r.arg("action") == "clean")
    assert query(clean) == {"reqtype": "QUEUE", **AUTH, "action": "clean", "id": "666"}
    assert (fake.members, fake.paused) == (["103", "102"], {"102"})


def test_set_members_only_adds_when_nobody_leaves(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102", "103"], ["101"])
    fake.paused.add("101")
    pbx.set_members(["102", "101", "103", "102"])
    assert fake.actions() == [("QUEUE", "add", "102"), ("QUEUE", "add", "103")]
    assert (fake.members, fake.paused) == (["101", "102", "103"], {"101"})


def test_set_members_rebuilds_in_the_wanted_order_when_someone_leaves(
        fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102", "103"], ["101", "102"])
    fake.paused.add("102")
    pbx.set_members(["103", "102"])
    assert fake.actions() == [("QUEUE", "clean"), ("QUEUE", "add", "103"),
                              ("QUEUE", "add", "102"), ("AGENT", "pause", "102")]
    assert (fake.members, fake.paused) == (["103", "102"], {"102"})


def test_set_members_with_nothing_to_change_changes_nothing(fake: FakeAreavoip,
                                                            pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102"], ["101", "102"])
    pbx.set_members(["102", "101"])
    assert fake.actions() == []


def test_a_failed_restore_names_who_was_lost(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    fake.seed(["101", "102", "103"], ["101", "102", "103"])
    fake.intercept = lambda r: (Response(200, "ERROR: license limit")
                                if (r.arg("action"), r.arg("extension")) == ("add", "102")
                                else None)
    with pytest.raises(PbxError, match=r"could not be restored: 102 \(.*license limit"):
        pbx.remove_member("101")
    assert fake.members == ["103"]


# ---------------------------------------------------------------------- the network


def test_a_silent_pbx_is_unreachable_within_the_timeout(fake: FakeAreavoip,
                                                        pbx: AreavoipPbx) -> None:
    fake.silent = True
    started = time.monotonic()
    with pytest.raises(PbxUnreachable, match=r"did not answer within 0\.5 s"):
        pbx.queue_status()
    assert time.monotonic() - started < TIMEOUT + 1


def test_a_refused_connection_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pbx = AreavoipPbx(f"http://127.0.0.1:{port}{PATH}", "k", "t", "666", timezone=MADRID,
                      timeout=TIMEOUT)
    with pytest.raises(PbxUnreachable, match="refused the connection") as caught:
        pbx.pause("101")
    assert "k=" not in str(caught.value) and "key" not in str(caught.value)
    pbx.close()


# ---------------------------------------------------------------------- call records

HELPLINE = ("900123456", "+34 931 234 567")


@pytest.fixture
def cdr_pbx(fake: FakeAreavoip) -> Iterator[AreavoipPbx]:
    backend = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue, timezone=MADRID,
                          timeout=TIMEOUT, helpline_numbers=HELPLINE, region="ES")
    yield backend
    backend.close()


def simplecdr(start: str, disposition: str = "ANSWERED", duration: int = 100,
              billsec: int | None = 70, **extra: Any) -> dict[str, Any]:
    """A row in the production layout (``sc_*``), as the vendor sends it."""
    row = {"sc_te_id": "12", "tenantcode": "tenant1", "sc_start": start, "sc_direction": "IN",
           "sc_calleridnum": "600111222", "sc_calleridname": "", "sc_dialednum": "900123456",
           "sc_disposition": disposition, "sc_duration": str(duration),
           "sc_uniqueid": f"1763884800.{start[-8:].replace(':', '')}",
           "sc_whoanswered": "101-tenant1" if disposition == "ANSWERED" else ""}
    if billsec is not None:
        row["sc_billsec"] = str(billsec)
    return {**row, **extra}


def test_call_records_ask_one_whole_local_day_per_request(fake: FakeAreavoip,
                                                          cdr_pbx: AreavoipPbx) -> None:
    # 23:00 UTC on the 22nd is midnight in Madrid; the end (exclusive) is midnight on the 25th.
    cdr_pbx.call_records(datetime(2026, 11, 22, 23, 0, tzinfo=UTC),
                         datetime(2026, 11, 25, 0, 0, tzinfo=MADRID))
    assert [query(r) for r in fake.requests] == [
        {"reqtype": "INFO", **AUTH, "info": "simplecdrs", "start": f"2026-11-{d} 00:00:00",
         "end": f"2026-11-{d} 23:59:59", "format": "json"} for d in (23, 24)]


def test_a_day_of_production_rows_keeps_inbound_helpline_calls(fake: FakeAreavoip,
                                                             cdr_pbx: AreavoipPbx) -> None:
    fake.cdrs = [
        simplecdr("2026-11-23 09:00:00"),
        simplecdr("2026-11-23 09:05:00", sc_direction="OUT", sc_dialednum="600999888"),
        simplecdr("2026-11-23 09:06:00", sc_dialednum="931234567"),  # the other helpline number
        simplecdr("2026-11-23 09:07:00", sc_dialednum="932000000"),  # the tenant's, not ours
        simplecdr("2026-11-23 09:08:00", sc_direction="LOCAL"),
        simplecdr("2026-11-23 09:10:00", "NO ANSWER", duration=45, billsec=0),
        simplecdr("2026-11-23 09:20:00", "BUSY", duration=2, billsec=0),
        simplecdr("2026-11-24 09:00:00"),  # another day
    ]
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    calls = cdr_pbx.call_records(start, start + timedelta(days=1))
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=MADRID)
    assert calls[0] == CallInfo(
        call_id="1763884800.090000", queue="666", entered_at=nine, outcome="answered",
        caller="600111222", dialled="900123456", answered_at=nine + timedelta(seconds=30),
        ended_at=nine + timedelta(seconds=100), extension="101", wait_seconds=30.0,
        talk_seconds=70.0)
    assert [(c.entered_at.strftime("%H:%M"), c.outcome, c.wait_seconds, c.dialled)
            for c in calls] == [
        ("09:00", "answered", 30.0, "900123456"),
        ("09:06", "answered", 30.0, "931234567"),
        ("09:10", "abandoned", 45.0, "900123456"),
        ("09:20", "full", 2.0, "900123456"),
    ]
    assert all(c.entered_at.utcoffset() == timedelta(hours=1) for c in calls)


def test_an_unknown_disposition_is_a_timeout_with_a_warning(
        fake: FakeAreavoip, cdr_pbx: AreavoipPbx, caplog: pytest.LogCaptureFixture) -> None:
    fake.cdrs = [simplecdr("2026-11-23 09:00:00", "TRANSFERRED-ELSEWHERE", duration=12)]
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    [call] = cdr_pbx.call_records(start, start + timedelta(days=1))
    assert (call.outcome, call.wait_seconds) == ("timeout", 12.0)
    assert "unknown disposition 'TRANSFERRED-ELSEWHERE'" in caplog.text


def test_rows_without_billsec_do_not_invent_a_wait(fake: FakeAreavoip,
                                                   cdr_pbx: AreavoipPbx) -> None:
    fake.cdrs = [simplecdr("2026-11-23 09:00:00", billsec=None)]
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    [call] = cdr_pbx.call_records(start, start + timedelta(days=1))
    assert (call.outcome, call.wait_seconds, call.talk_seconds, call.answered_at,
            call.extension) == ("answered", None, None, None, "101")


def test_without_helpline_numbers_every_inbound_call_counts(fake: FakeAreavoip,
                                                            pbx: AreavoipPbx) -> None:
    fake.cdrs = [simplecdr("2026-11-23 09:00:00", sc_dialednum="932000000"),
                 simplecdr("2026-11-23 09:01:00", sc_direction="OUT")]
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    assert [c.dialled for c in pbx.call_records(start, start + timedelta(days=1))] == [
        "932000000"]


def test_no_call_records_is_an_empty_list(fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    assert pbx.call_records(start, start + timedelta(days=1)) == []


@pytest.mark.parametrize(("row", "problem"), [
    ({"sc_direction": "IN", "sc_duration": "1", "sc_disposition": "ANSWERED",
      "sc_dialednum": "900123456"},
     "field 'sc_start' is missing"),
    (simplecdr("23/11/2026 09:00"), "is not 'YYYY-MM-DD HH:MM:SS'"),
    (simplecdr("2026-11-23 09:00:00", sc_duration="seventy"),
     "sc_duration 'seventy' is not a whole number"),
    (["2026-11-23 09:00:00", "ANSWERED"], "it is not an object"),
])
def test_an_unreadable_row_is_left_out_and_named(
        fake: FakeAreavoip, cdr_pbx: AreavoipPbx, caplog: pytest.LogCaptureFixture,
        row: Any, problem: str) -> None:
    fake.intercept = lambda r: Response(200, [simplecdr("2026-11-23 08:00:00"), row])
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    calls = cdr_pbx.call_records(start, start + timedelta(days=1))
    assert [c.entered_at.hour for c in calls] == [8]
    assert "call record #2 of 2026-11-23 left out" in caplog.text and problem in caplog.text


def test_call_records_get_the_longer_timeout(fake: FakeAreavoip) -> None:
    fake.cdr_delay = 0.6  # slower than the ordinary timeout, faster than the CDR one
    start = datetime(2026, 11, 23, tzinfo=MADRID)
    patient = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue, timezone=MADRID,
                          timeout=0.2, cdr_timeout=2.0)
    assert patient.call_records(start, start + timedelta(days=1)) == []
    hasty = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue, timezone=MADRID,
                        timeout=0.2, cdr_timeout=0.3)
    with pytest.raises(PbxUnreachable, match=r"within 0\.3 s"):
        hasty.call_records(start, start + timedelta(days=1))
    patient.close()
    hasty.close()


def test_call_records_need_aware_times(pbx: AreavoipPbx) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pbx.call_records(datetime(2026, 11, 23), datetime(2026, 11, 24))  # noqa: DTZ001


def test_waiting_callers_are_not_reported(pbx: AreavoipPbx) -> None:
    assert pbx.waiting_calls() is None
