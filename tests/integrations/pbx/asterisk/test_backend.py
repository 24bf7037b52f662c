"""The Asterisk backend beyond the contract: real captures, old servers, AMI's own refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.pbx import LiveQueue, MemberState, PbxError, WaitingCall
from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.backend import AsteriskPbx
from testing.fake_ami import NOISE, FakeAmi
from testing.shared_data import shared_data
from tests.conftest import T0
from tests.integrations.pbx.asterisk.replay_ami import Exchange, ReplayAmi, exchanges


def captured(name: str) -> str:
    """A real AMI conversation (skips, or fails under CI=true, when the data is absent)."""
    return shared_data("ami-captures", name).read_text()
TIMEOUT = 0.5
CAPTURED_QUEUE = "xxxxxxxxxxxxxxxx-tous"


def replay(script: list[Exchange], template: str) -> tuple[ReplayAmi, AsteriskPbx]:
    banner, _, rest = captured("login_ok.yaml").partition("\n")
    server = ReplayAmi(banner, [exchanges(rest)[0], *script])
    server.start()
    client = AmiClient("127.0.0.1", server.port, "u", "s", TIMEOUT)
    return server, AsteriskPbx(client, CAPTURED_QUEUE, template)


def captured_status() -> Exchange:
    return exchanges(captured("queue_status.yaml"))[4]  # the one with ActionID


@pytest.mark.parametrize("template", ["PJSIP/{extension}", "Agent/{extension}"])
def test_a_captured_queue_status_becomes_member_statuses(template: str) -> None:
    server, pbx = replay([captured_status()], template)
    try:
        status = {m.extension: m for m in pbx.queue_status()}
    finally:
        pbx.close()
        server.stop()
    assert list(status) == ["213", "214", "220", "333", "859", "999"]
    assert status["220"].calls_taken == 2 and status["333"].calls_taken == 8
    assert status["220"].last_call_at == datetime(2014, 10, 21, 9, 49, 30, tzinfo=UTC)
    assert status["213"].last_call_at is None
    assert status["999"].state is MemberState.DISCONNECTED and status["999"].paused
    assert status["999"].pause_reason is None and status["999"].paused_since is None
    others = [m for ext, m in status.items() if ext != "999"]
    assert all(m.state is MemberState.AVAILABLE and not m.paused for m in others)
    assert all(m.seconds_in_calls == 0 for m in status.values())


def test_the_template_is_tried_on_the_location_first() -> None:
    server, pbx = replay([captured_status()], "Local/id-{extension}@agentcallback")
    try:
        assert [m.extension for m in pbx.queue_status()] == ["10", "12", "3", "4", "7", "9"]
    finally:
        pbx.close()
        server.stop()


def test_adding_over_a_captured_queue_add() -> None:
    added = Exchange("QueueAdd", "action/transaction_uid/1/1",
                     captured("queue_add.yaml"))
    server, pbx = replay([added, captured_status()], "Agent/{extension}")
    try:
        pbx.add_member("402")
    finally:
        pbx.close()
        server.stop()
    assert server.errors == []
    [add] = [a for a in server.received if a["action"] == "QueueAdd"]
    assert (add["queue"], add["interface"]) == (CAPTURED_QUEUE, "Agent/402")


# ---------------------------------------------------------------------- against the fake


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    server = FakeAmi()
    server.start()
    for n in (101, 102, 103):
        server.devices[f"PJSIP/{n}"] = 1
    yield server
    server.stop()


@pytest.fixture
def pbx(fake: FakeAmi) -> Iterator[AsteriskPbx]:
    client = AmiClient("127.0.0.1", fake.port, fake.username, fake.secret, TIMEOUT)
    opened = AsteriskPbx(client, "support")
    yield opened
    opened.close()


def test_pause_reports_reason_and_since_when(fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101", calls_taken=4, last_call=1_700_000_000)
    fake.noise = NOISE
    pbx.pause("101", "  lunch\nbreak ")
    [sent] = fake.actions("QueuePause")
    assert (sent["interface"], sent["paused"], sent["queue"], sent["reason"]) == (
        "PJSIP/101", "true", "support", "lunch break")
    [member] = pbx.queue_status()
    stored = fake.member("support", "PJSIP/101")
    assert stored is not None
    assert member.paused and member.pause_reason == "lunch break"
    assert member.paused_since == datetime.fromtimestamp(stored.last_pause, UTC)
    assert member.calls_taken == 4
    assert member.last_call_at == datetime.fromtimestamp(1_700_000_000, UTC)
    pbx.resume("101")
    [member] = pbx.queue_status()
    assert not member.paused and member.pause_reason is None and member.paused_since is None
    assert fake.actions("QueuePause")[-1]["paused"] == "false"


def test_pausing_twice_or_resuming_someone_working_is_refused_before_asterisk_sees_it(
        fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101", paused=True, reason="training")
    fake.add_member("support", "PJSIP/102")
    with pytest.raises(PbxError, match=r"already paused \(training\)") as twice:
        pbx.pause("101", "lunch")
    assert twice.value.code == "already_paused"
    with pytest.raises(PbxError) as working:
        pbx.resume("102")
    assert working.value.code == "not_paused"
    with pytest.raises(PbxError) as stranger:
        pbx.pause("103")
    assert stranger.value.code == "not_member"
    assert fake.actions("QueuePause") == []


def test_a_member_gone_between_the_read_and_the_pause(fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101")
    fake.before["queuepause"] = lambda: fake.queues["support"].clear()
    with pytest.raises(PbxError, match="not a member") as gone:
        pbx.pause("101", "lunch")
    assert gone.value.code == "not_member"
    fake.add_member("support", "PJSIP/101")
    fake.before = {"queueremove": lambda: fake.queues["support"].clear()}
    with pytest.raises(PbxError) as removed:
        pbx.remove_member("101")
    assert removed.value.code == "not_member"


@pytest.mark.parametrize(("number", "in_call", "state"), [
    (0, False, MemberState.UNKNOWN), (1, False, MemberState.AVAILABLE),
    (2, True, MemberState.IN_CALL), (3, False, MemberState.BUSY),
    (4, False, MemberState.DISCONNECTED), (5, False, MemberState.DISCONNECTED),
    (6, False, MemberState.RINGING), (7, False, MemberState.RINGING),
    (8, False, MemberState.ON_HOLD), (42, False, MemberState.UNKNOWN),
    # A bridged agent-callback member whose device still reads idle.
    (1, True, MemberState.IN_CALL),
])
def test_device_state_numbers(fake: FakeAmi, pbx: AsteriskPbx, number: int, in_call: bool,
                              state: MemberState) -> None:
    fake.add_member("support", "PJSIP/101", in_call=in_call)
    fake.devices["PJSIP/101"] = number
    assert pbx.queue_status()[0].state is state


def test_an_old_server_without_event_lists_or_pause_reasons() -> None:
    server = FakeAmi(modern=False)
    server.start()
    server.devices["PJSIP/101"] = 1
    server.add_member("support", "PJSIP/101")
    pbx = AsteriskPbx(AmiClient("127.0.0.1", server.port, server.username, server.secret,
                                TIMEOUT), "support")
    try:
        pbx.pause("101", "lunch")
        [member] = pbx.queue_status()
        assert member.paused and member.pause_reason is None and member.paused_since is None
        assert member.state is MemberState.AVAILABLE
    finally:
        pbx.close()
        server.stop()


def test_agent_callback_members_are_driven_through_their_own_interface(
        fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "Local/id-9@agentcallback", name="Agent/220",
                    state_interface="SIP/abc")
    fake.devices["SIP/abc"] = 2
    [member] = pbx.queue_status()
    assert (member.extension, member.state) == ("220", MemberState.IN_CALL)
    pbx.pause("220", "break")
    assert fake.actions("QueuePause")[0]["interface"] == "Local/id-9@agentcallback"
    pbx.remove_member("220")
    assert fake.queues["support"] == {}


def test_adding_a_device_asterisk_does_not_know_is_taken_back(fake: FakeAmi,
                                                              pbx: AsteriskPbx) -> None:
    with pytest.raises(PbxError, match="does not exist") as unknown:
        pbx.add_member("555")
    assert unknown.value.code == "unknown_extension"
    assert [a["interface"] for a in fake.actions("QueueRemove")] == ["PJSIP/555"]
    assert fake.queues["support"] == {}


@pytest.mark.parametrize("extension", ["", "PJSIP/101", "10 1", "1" * 33])
def test_what_is_not_an_extension_never_reaches_asterisk(fake: FakeAmi, pbx: AsteriskPbx,
                                                         extension: str) -> None:
    for attempt in (pbx.add_member, pbx.pause, pbx.remove_member):
        with pytest.raises(PbxError) as refused:
            attempt(extension)
        assert refused.value.code == "unknown_extension"
    with pytest.raises(PbxError):
        pbx.set_members(["101", extension])
    assert fake.received == []


def test_asterisks_own_refusals(fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101")
    fake.add_member("support", "PJSIP/102", dynamic=False)
    with pytest.raises(PbxError) as twice:
        pbx.add_member("101")
    assert twice.value.code == "already_member"
    with pytest.raises(PbxError, match="static member") as static:
        pbx.remove_member("102")
    assert static.value.code == "rejected"
    fake.denied.add("queueadd")
    with pytest.raises(PbxError, match="agent' class") as denied:
        pbx.add_member("103")
    assert denied.value.code == "auth"


def test_a_queue_asterisk_does_not_have(fake: FakeAmi) -> None:
    client = AmiClient("127.0.0.1", fake.port, fake.username, fake.secret, TIMEOUT)
    pbx = AsteriskPbx(client, "sales")
    try:
        for attempt in (pbx.queue_status, lambda: pbx.add_member("101")):
            with pytest.raises(PbxError, match="no queue named 'sales'") as missing:
                attempt()
            assert missing.value.code == "no_such_queue"
    finally:
        pbx.close()


def test_set_members_goes_on_past_one_failure_and_reports_it(fake: FakeAmi,
                                                             pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101", paused=True, reason="lunch")
    fake.add_member("support", "PJSIP/102")
    with pytest.raises(PbxError, match="555 does not exist") as partly:
        pbx.set_members(["101", "555", "103", "101"])
    assert partly.value.code == "unknown_extension"
    assert {m.extension: m.paused for m in pbx.queue_status()} == {"101": True, "103": False}
    assert [a["interface"] for a in fake.actions("QueueAdd")] == ["PJSIP/555", "PJSIP/103"]


def test_call_records_without_a_queue_log_are_unsupported(pbx: AsteriskPbx) -> None:
    with pytest.raises(PbxError, match="ASTERISK_QUEUE_LOG") as unsupported:
        pbx.call_records(T0, T0)
    assert unsupported.value.code == "unsupported"


def test_call_records_come_from_the_queue_log_file(fake: FakeAmi, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    start = int(T0.timestamp())
    log.write_text(
        f"{start}|1.1|support|NONE|ENTERQUEUE||600111222|1\n"
        f"{start + 9}|1.1|support|PJSIP/101|CONNECT|9|1.2|3\n"
        f"{start + 99}|1.1|support|PJSIP/101|COMPLETEAGENT|9|90|1\n"
        f"{start + 100}|2.1|support|NONE|ENTERQUEUE||600333444|1\n"
        "garbage line\n"
        f"{start + 140}|2.1|support|NONE|ABANDON|1|1|40\n"
        f"{start + 7200}|3.1|support|NONE|ENTERQUEUE||600555666|1\n")
    client = AmiClient("127.0.0.1", fake.port, fake.username, fake.secret, TIMEOUT)
    pbx = AsteriskPbx(client, "support", queue_log=str(log))
    calls = pbx.call_records(T0, T0 + timedelta(hours=1))
    pbx.close()
    assert [(c.call_id, c.outcome, c.extension, c.wait_seconds, c.talk_seconds)
            for c in calls] == [("1.1", "answered", "101", 9.0, 90.0),
                                ("2.1", "abandoned", None, 40.0, None)]


def test_waiting_callers_come_with_the_queue_status(fake: FakeAmi, pbx: AsteriskPbx) -> None:
    fake.add_member("support", "PJSIP/101")
    fake.waiting["support"] = [("600111222", 95), ("600333444", 12)]
    fake.completed, fake.abandoned, fake.service_level_perf = 41, 3, "87.5"
    live = pbx.waiting_calls()
    assert live == LiveQueue(calls=2, waiting=(WaitingCall(1, "600111222", 95.0),
                                               WaitingCall(2, "600333444", 12.0)),
                             completed=41, abandoned=3, service_level_pct=87.5)
    assert live.longest_wait == 95.0
    assert [m.extension for m in pbx.queue_status()] == ["101"]


def test_a_captured_queue_status_has_its_counters_and_nobody_waiting() -> None:
    server, pbx = replay([captured_status()], "PJSIP/{extension}")
    try:
        live = pbx.waiting_calls()
    finally:
        pbx.close()
        server.stop()
    assert live == LiveQueue(calls=0, completed=60, abandoned=5, service_level_pct=0.0)


def test_the_interface_template_must_hold_the_extension(fake: FakeAmi) -> None:
    client = AmiClient("127.0.0.1", fake.port, "u", "s", TIMEOUT)
    with pytest.raises(ValueError, match=r"\{extension\}"):
        AsteriskPbx(client, "support", "PJSIP/101")


def test_freepbx_members_map_to_their_extension_under_the_default_template(
        fake: FakeAmi, pbx: AsteriskPbx) -> None:
    """FreePBX adds dynamic members as Local/9921@from-queue/n with state interface
    SIP/9921; with the default PJSIP/{extension} template they are extension 9921, so the
    boundary's set_members keeps them (and their pause) instead of adding PJSIP/9921."""
    fake.add_member("support", "Local/9921@from-queue/n", name="Joan Puig",
                    state_interface="SIP/9921", paused=True)
    fake.devices["SIP/9921"] = 1
    [member] = pbx.queue_status()
    assert (member.extension, member.paused) == ("9921", True)
    pbx.set_members(["9921"])
    assert fake.actions("QueueAdd") == [] and fake.actions("QueueRemove") == []
    pbx.set_members([])
    assert [a["interface"] for a in fake.actions("QueueRemove")] == ["Local/9921@from-queue/n"]
