"""Irontec backend: login and token reuse, exact REST requests, state and error mapping."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest

from integrations.clock import FixedClock
from integrations.pbx import MemberState, MemberStatus, PbxError, PbxUnreachable
from integrations.pbx.irontec.backend import IrontecPbx
from testing.local_server import Request, Response
from tests.conftest import T0
from tests.integrations.pbx.irontec.fake_irontec import BASE, FakeIrontec

TIMEOUT = 0.5


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def fake(clock: FixedClock) -> Iterator[FakeIrontec]:
    with FakeIrontec(clock) as server:
        yield server


@pytest.fixture
def pbx(fake: FakeIrontec, clock: FixedClock) -> Iterator[IrontecPbx]:
    backend = IrontecPbx(fake.url, fake.user, fake.password, fake.queue, clock=clock,
                         timeout=TIMEOUT)
    yield backend
    backend.close()


def wire(fake: FakeIrontec) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix(BASE)) for r in fake.requests]


def writes(fake: FakeIrontec) -> list[tuple[str, str]]:
    return [(m, p) for m, p in wire(fake) if m != "GET" and p != "/login"]


# ---------------------------------------------------------------------- login and tokens


def test_login_then_bearer_on_the_call(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    fake.seed(["101"], ["101"])
    pbx.queue_status()
    login, status = fake.requests
    assert (login.method, login.path) == ("POST", BASE + "/login")
    assert login.json() == {"username": "apiuser", "password": "s3cret"}
    assert "authorization" not in login.headers
    assert (status.method, status.path) == ("GET", BASE + "/queue/status/900")
    assert status.headers["authorization"] == "Bearer opaque-token-1"


def test_many_calls_log_in_once(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    fake.seed(["101", "102"], ["101"])
    pbx.queue_status()
    pbx.pause("101")
    pbx.resume("101")
    pbx.add_member("102")
    pbx.remove_member("102")
    assert fake.logins == 1
    assert len(fake.calls_to("POST", "/login")) == 1
    assert {r.headers["authorization"] for r in fake.requests[1:]} == {"Bearer opaque-token-1"}


def test_an_expired_token_means_one_new_login_and_the_call_succeeds(
        fake: FakeIrontec, pbx: IrontecPbx) -> None:
    fake.seed(["101"], ["101"])
    pbx.queue_status()
    fake.expire_tokens()
    assert [m.extension for m in pbx.queue_status()] == ["101"]
    assert fake.logins == 2
    assert wire(fake) == [("POST", "/login"), ("GET", "/queue/status/900"),
                          ("GET", "/queue/status/900"),  # refused with 401
                          ("POST", "/login"), ("GET", "/queue/status/900")]
    assert fake.requests[-1].headers["authorization"] == "Bearer opaque-token-2"


def test_a_token_refused_after_a_fresh_login_is_an_auth_error(fake: FakeIrontec,
                                                              pbx: IrontecPbx) -> None:
    fake.intercept = lambda r: (Response(401, {"message": "Unauthorized"})
                                if r.path.endswith("/queue/status/900") else None)
    with pytest.raises(PbxError, match="refused a fresh token") as caught:
        pbx.queue_status()
    assert caught.value.code == "auth"
    assert fake.logins == 2  # one login, one retry: no loop


def test_a_jwt_is_renewed_before_it_expires(fake: FakeIrontec, pbx: IrontecPbx,
                                            clock: FixedClock) -> None:
    fake.jwt_lifetime = timedelta(hours=1)
    fake.seed(["101"], ["101"])
    pbx.queue_status()
    clock.advance(timedelta(minutes=59))
    pbx.queue_status()
    assert fake.logins == 1
    clock.advance(timedelta(seconds=45))  # inside the last 30 s of the token's life
    pbx.queue_status()
    assert fake.logins == 2
    # Renewed before the call: no request was refused with 401 on the way.
    assert wire(fake) == [("POST", "/login"), ("GET", "/queue/status/900"),
                          ("GET", "/queue/status/900"),
                          ("POST", "/login"), ("GET", "/queue/status/900")]


def test_a_refused_login_is_an_auth_error(fake: FakeIrontec, clock: FixedClock) -> None:
    wrong = IrontecPbx(fake.url, fake.user, "wrong", fake.queue, clock=clock, timeout=TIMEOUT)
    with pytest.raises(PbxError, match=r"refused the login of API user 'apiuser' \(HTTP 401"
                       ) as caught:
        wrong.pause("101", "lunch")
    assert caught.value.code == "auth"
    assert wire(fake) == [("POST", "/login")]
    wrong.close()


def test_a_login_answer_without_token_is_an_auth_error(fake: FakeIrontec,
                                                       pbx: IrontecPbx) -> None:
    fake.intercept = lambda r: Response(200, {"ok": True}) if r.path.endswith("/login") else None
    with pytest.raises(PbxError, match="carried no token") as caught:
        pbx.queue_status()
    assert caught.value.code == "auth"


# ---------------------------------------------------------------------- queue status


@pytest.mark.parametrize(("device", "state"), [
    (0, MemberState.UNKNOWN),
    (1, MemberState.AVAILABLE),
    (2, MemberState.IN_CALL),
    (3, MemberState.BUSY),
    (4, MemberState.DISCONNECTED),
    (5, MemberState.DISCONNECTED),
    (6, MemberState.RINGING),
    (7, MemberState.RINGING),
    (8, MemberState.ON_HOLD),
    (9, MemberState.UNKNOWN),
])
def test_every_device_status_maps(fake: FakeIrontec, pbx: IrontecPbx, device: int,
                                  state: MemberState) -> None:
    fake.seed(["101"], ["101"])
    fake.devices["101"] = device
    assert pbx.queue_status()[0].state is state


def test_status_carries_pause_calls_and_last_call(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    """``lastcall`` is seconds since the last call and ``incall`` seconds in calls (as the
    production tool shows them), not a timestamp and a flag."""
    fake.seed(["101", "102"], ["102", "101"])
    fake.paused.add("102")
    fake.calls["102"], fake.lastcall["102"], fake.incall["102"] = 12, 185, 2520
    assert pbx.queue_status() == [
        MemberStatus("101", MemberState.AVAILABLE),
        MemberStatus("102", MemberState.AVAILABLE, paused=True, calls_taken=12,
                     seconds_in_calls=2520,
                     last_call_at=(T0 - timedelta(seconds=185)).astimezone(UTC)),
    ]


@pytest.mark.parametrize(("paused", "expected"), [
    (True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False),
    ("true", True), ("false", False), (None, False),
])
def test_paused_flag_spellings(fake: FakeIrontec, pbx: IrontecPbx, paused: Any,
                               expected: bool) -> None:
    fake.intercept = lambda r: (Response(200, [{"agent": 101, "status": {
        "paused": paused, "status": "1", "callstaken": "3", "incall": 0, "lastcall": 0}}])
        if r.path.endswith("/queue/status/900") else None)
    assert pbx.queue_status() == [MemberStatus("101", MemberState.AVAILABLE, paused=expected,
                                               calls_taken=3)]


def test_an_unreadable_status_is_an_error(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    fake.intercept = lambda r: (Response(200, [{"agent": "101"}])
                                if r.path.endswith("/queue/status/900") else None)
    with pytest.raises(PbxError, match="queue status entry could not be read"):
        pbx.queue_status()


# ---------------------------------------------------------------------- changes on the wire


def test_changes_send_the_documented_requests(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    fake.seed(["101", "102"], ["101"])
    pbx.add_member("102")
    pbx.pause("101", "lunch")
    pbx.resume("101")
    pbx.remove_member("102")
    assert writes(fake) == [("POST", "/queue/addagent"), ("PUT", "/agent/pause/101/900"),
                            ("PUT", "/agent/unpause/101/900"),
                            ("DELETE", "/queue/removeagent/102/900")]
    [add] = fake.calls_to("POST", "/queue/addagent")
    assert add.json() == {"agent": "102", "queue": "900", "priority": 1,
                          "id_dialplan_partition": 1}
    assert (fake.members, fake.paused) == (["101"], set())


@pytest.mark.parametrize(("operation", "code"), [
    (lambda p: p.pause("102", "x"), "not_member"),
    (lambda p: p.pause("999", "x"), "unknown_extension"),
    (lambda p: p.pause("103", "x"), "already_paused"),
    (lambda p: p.resume("101"), "not_paused"),
    (lambda p: p.add_member("101"), "already_member"),
    (lambda p: p.remove_member("102"), "not_member"),
    (lambda p: p.remove_member("999"), "unknown_extension"),
    (lambda p: p.set_members(["101", "998", "999"]), "unknown_extension"),
])
def test_refusals_are_specific_and_change_nothing(fake: FakeIrontec, pbx: IrontecPbx,
                                                  operation: Any, code: str) -> None:
    fake.seed(["101", "102", "103"], ["101", "103"])
    fake.paused.add("103")
    with pytest.raises(PbxError) as caught:
        operation(pbx)
    assert caught.value.code == code
    assert writes(fake) == []
    assert (fake.members, fake.paused) == (["101", "103"], {"103"})


def on_writes(response: Response) -> Any:
    def intercept(r: Request) -> Response | None:
        return response if r.method in {"POST", "DELETE", "PUT"} and "login" not in r.path \
            else None
    return intercept


@pytest.mark.parametrize(("answer", "code", "text"), [
    (Response(403, {"message": "Method not allowed"}), "rejected", "method not allowed"),
    (Response(420, {"code": 420, "message": "Agent 102 is already a member of queue 900"}),
     "already_member", "Agent 102 is already a member of queue 900"),
    (Response(420, {"code": 420, "message": "Agent 102 is not a member of queue 900"}),
     "not_member", "Agent 102 is not a member"),
    (Response(420, {"error": "priority must be between 1 and 10"}), "rejected",
     "priority must be between 1 and 10"),
    (Response(420, "plain text validation failure"), "rejected", "plain text validation"),
    (Response(550, {"code": 550, "message": "Agent 102 does not exist"}), "unknown_extension",
     "agent/extension does not exist"),
    (Response(500, "<h1>Fatal error</h1> in ApiRest"), "rejected",
     "HTTP 500 while adding 102 to queue 900: <h1>Fatal error</h1> in ApiRest"),
])
def test_vendor_errors_are_never_silent(fake: FakeIrontec, pbx: IrontecPbx, answer: Response,
                                        code: str, text: str) -> None:
    fake.seed(["101", "102"], ["101"])
    fake.intercept = on_writes(answer)
    with pytest.raises(PbxError) as caught:
        pbx.add_member("102")
    assert caught.value.code == code
    assert text in caught.value.message


def test_set_members_adds_and_removes_the_difference(fake: FakeIrontec,
                                                     pbx: IrontecPbx) -> None:
    fake.seed(["101", "102", "103"], ["101", "102"])
    fake.paused.add("102")
    pbx.set_members(["102", "103", "103"])
    assert writes(fake) == [("POST", "/queue/addagent"), ("DELETE", "/queue/removeagent/101/900")]
    assert (fake.members, fake.paused) == (["102", "103"], {"102"})


def test_set_members_with_nothing_to_change_only_reads(fake: FakeIrontec,
                                                       pbx: IrontecPbx) -> None:
    fake.seed(["101", "102"], ["101", "102"])
    pbx.set_members(["102", "101"])
    assert wire(fake) == [("POST", "/login"), ("GET", "/queue/status/900")]


def test_call_records_need_the_statistics_index(fake: FakeIrontec, pbx: IrontecPbx) -> None:
    with pytest.raises(PbxError, match="IRONTEC_STATS_URL") as caught:
        pbx.call_records(T0, T0 + timedelta(days=1))
    assert caught.value.code == "unsupported"
    assert fake.requests == []
    assert pbx.waiting_calls() is None


# ---------------------------------------------------------------------- the network


def test_a_silent_pbx_is_unreachable_within_the_timeout(fake: FakeIrontec,
                                                        pbx: IrontecPbx) -> None:
    fake.seed(["101"], ["101"])
    pbx.queue_status()
    fake.silent = True
    started = time.monotonic()
    with pytest.raises(PbxUnreachable, match=r"did not answer within 0\.5 s"):
        pbx.pause("101")
    assert time.monotonic() - started < TIMEOUT + 1


def test_a_silent_login_is_unreachable_within_the_timeout(fake: FakeIrontec,
                                                          pbx: IrontecPbx) -> None:
    fake.silent = True
    started = time.monotonic()
    with pytest.raises(PbxUnreachable, match=r"did not answer within 0\.5 s"):
        pbx.queue_status()
    assert time.monotonic() - started < TIMEOUT + 1


def test_a_refused_connection_says_so(clock: FixedClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pbx = IrontecPbx(f"http://127.0.0.1:{port}{BASE}", "u", "p", "900", clock=clock,
                     timeout=TIMEOUT)
    with pytest.raises(PbxUnreachable, match="refused the connection"):
        pbx.queue_status()
    pbx.close()
