"""The AMI client: its parser on real captures, and its conversation with local peers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from integrations.pbx import PbxError, PbxUnreachable
from integrations.pbx.asterisk.ami import AmiClient, AmiError
from integrations.pbx.asterisk.ami_wire import (
    AmiProtocolError,
    Message,
    MessageParser,
    parse_banner,
)
from testing.fake_ami import NOISE, FakeAmi
from testing.shared_data import shared_data
from tests.integrations.pbx.asterisk.replay_ami import Exchange, ReplayAmi, exchanges

TIMEOUT = 0.5
QUEUE_STATUS_NAMES = ["Agent/220", "Agent/213", "Agent/859", "Agent/214", "Agent/333", "Agent/999"]


def capture(name: str) -> str:
    """A real AMI conversation (skips, or fails under CI=true, when the data is absent)."""
    return shared_data("ami-captures", name).read_text()


def parse(text: str, chunk: int = 0) -> list[Message]:
    parser = MessageParser()
    data = text.encode()
    if not chunk:
        return parser.feed(data)
    return [m for i in range(0, len(data), chunk) for m in parser.feed(data[i:i + chunk])]


# ---------------------------------------------------------------------- the parser


@pytest.mark.parametrize("chunk", [0, 1, 7])
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_queue_status_capture_with_an_echoed_action_id(chunk: int, line_end: str) -> None:
    messages = parse(capture("queue_status.yaml").replace("\n", line_end), chunk)
    ours = [m for m in messages if m.action_id == "trotro"]
    assert [m.get("Action") or m.response or m.event for m in ours] == (
        ["QueueStatus", "Success", "QueueParams"] + ["QueueMember"] * 6 + ["QueueStatusComplete"])
    members = [m for m in ours if m.event == "QueueMember"]
    assert [m.get("Name") for m in members] == QUEUE_STATUS_NAMES
    assert [m.get("CallsTaken") for m in members] == ["2", "0", "0", "0", "8", "0"]
    assert [(m.get("Status"), m.get("Paused")) for m in members][-1] == ("5", "1")
    assert all(m.get("PausedReason") is None and m.get("EventList") is None for m in ours)
    params = ours[2]
    assert (params.get("Holdtime"), params.get("TalkTime"), params.get("Completed"),
            params.get("Abandoned"), params.get("ServicelevelPerf")) == ("3", "303", "60", "5", "0.0")


def test_a_command_id_is_not_an_action_id_and_is_not_echoed() -> None:
    messages = parse(capture("queue_status.yaml"))
    sent = next(m for m in messages if m.get("CommandID") == "trotro")
    assert sent.action_id is None
    after = messages[messages.index(sent) + 1:messages.index(sent) + 10]
    assert [m.event for m in after[1:]] == ["QueueParams"] + ["QueueMember"] * 6 + ["QueueStatusComplete"]
    assert all(m.action_id is None and m.get("CommandID") is None for m in after)


def test_errors_empty_values_and_a_follows_block() -> None:
    messages = parse(capture("queue_status.yaml"))
    error = next(m for m in messages if m.response == "Error")
    assert error.get("Message") == "Missing action in request"
    state = next(m for m in messages if m.get("Message") == "Extension Status")
    assert state.get("Hint") == "" and state.get("Status") == "-1"
    follows = messages[-1]
    assert follows.response == "Follows" and follows.get("Privilege") == "Command"
    assert follows.output == (
        "HTTP Server Status:", "Prefix: ", "Server Enabled and Bound to 127.0.0.1:8080", "",
        "Enabled URI's:", "/httpstatus => Asterisk HTTP General Status",
        "/static/... => Asterisk HTTP Static Delivery", "/ws => Asterisk HTTP WebSocket", "",
        "Enabled Redirects:", "  None.")
    assert messages[-2].get("Command") == "http show status"


def test_output_glued_to_end_command_and_the_next_message() -> None:
    messages = parse("Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n"
                     "No such command 'x'--END COMMAND--\r\n\r\nEvent: Next\r\n\r\n")
    assert messages[0].output == ("No such command 'x'",) and messages[0].action_id == "9"
    assert messages[1].event == "Next"


def test_login_capture_has_a_banner_then_login_and_fully_booted() -> None:
    banner, _, rest = capture("login_ok.yaml").partition("\n")
    assert parse_banner(banner) == "1.3"
    login, accepted, booted = parse(rest)
    assert login.get("action") == "login" and login.action_id == "action/transaction_uid/1/1"
    assert (accepted.response, accepted.get("Message")) == ("Success", "Authentication accepted")
    assert accepted.action_id == login.action_id
    assert (booted.event, booted.get("Status")) == ("FullyBooted", "Fully Booted")


def test_a_banner_that_is_not_asterisk_is_refused() -> None:
    assert parse_banner("Asterisk Call Manager/13.0.0\r") == "13.0.0"
    with pytest.raises(AmiProtocolError):
        parse_banner("HTTP/1.1 400 Bad Request")


@pytest.mark.parametrize("chunk", [0, 5])
def test_capture_gaps_and_unsolicited_events_do_not_derail_the_parser(chunk: int) -> None:
    messages = parse(capture("agent_loggued_in.yaml"), chunk)
    assert not [k for m in messages for k, _ in m.headers if "[" in k or " " in k]
    pongs = [m for m in messages if m.get("Ping") == "Pong"]
    assert [m.action_id.rsplit("/", 1)[-1] for m in pongs if m.action_id] == [
        str(n) for n in range(22, 30)]
    assert pongs[6].get("Timestamp") == "1409169989.456835"
    # "[218 bytes missing in capture file]Event: Newexten" still starts a Newexten.
    update = next(m for m in messages if m.event == "ChannelUpdate")
    after_gap = messages[messages.index(update) + 1]
    assert (after_gap.event, after_gap.get("Priority"), after_gap.get("AppData")) == (
        "Newexten", "1", "XIVO_BASE_CONTEXT=default")
    assert any(m.event == "AGIExec" and m.get("CommandId") == "1220663899" for m in messages)
    added = next(m for m in messages if m.event == "QueueMemberAdded")
    assert (added.get("MemberName"), added.get("Status"), added.get("Paused")) == ("Agent/402", "2", "0")


def test_junk_in_the_middle_of_a_message() -> None:
    messages = parse("Event: A\r\nKey: 1\r\n!! garbage !!\r\nMore: 2\r\n"
                     "[9 bytes missing]Event: B\r\nKey: 3\r\n\r\n")
    assert [m.headers for m in messages] == [
        (("Event", "A"), ("Key", "1"), ("More", "2")), (("Event", "B"), ("Key", "3"))]


def test_a_line_without_end_is_not_buffered_forever() -> None:
    with pytest.raises(AmiProtocolError):
        MessageParser().feed(b"Event: " + b"x" * 70000)


def test_legacy_pause_event_and_queue_add_capture() -> None:
    messages = parse(capture("agent_not_in_pause.yaml"))
    assert [m.get("Status") for m in messages if m.event == "QueueMemberStatus"] == [
        "2", "2", "2", "1", "1"]
    paused = next(m for m in messages if m.event == "QueueMemberPaused")
    assert (paused.get("MemberName"), paused.get("Paused")) == ("Agent/999", "0")
    [added] = parse(capture("queue_add.yaml"))
    assert (added.response, added.get("Message")) == ("Success", "Added interface to queue")


# ---------------------------------------------------------------------- the client


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    server = FakeAmi()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeAmi) -> Iterator[AmiClient]:
    opened = AmiClient("127.0.0.1", fake.port, fake.username, fake.secret, timeout=TIMEOUT)
    yield opened
    opened.close()


def status(client: AmiClient) -> list[Message]:
    return list(client.list_action("QueueStatus", [("Queue", "support")],
                                   complete="QueueStatusComplete").events)


def test_login_and_every_action_carry_a_fresh_action_id(fake: FakeAmi, client: AmiClient) -> None:
    assert client.ping().get("Ping") == "Pong"
    status(client)
    client.ping()
    [login] = fake.actions("Login")
    assert (login["username"], login["secret"], login["events"]) == ("switchboard", "s3cret", "off")
    ids = [a["actionid"] for a in fake.received]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert client.version == "5.0.1"


def test_a_wrong_secret_is_an_auth_error_that_does_not_show_it(fake: FakeAmi) -> None:
    wrong = AmiClient("127.0.0.1", fake.port, "switchboard", "guess", timeout=TIMEOUT)
    with pytest.raises(PbxError) as refused:
        wrong.ping()
    assert refused.value.code == "auth"
    assert "Authentication failed" in refused.value.message and "AMI_SECRET" in refused.value.message
    assert "guess" not in str(refused.value)
    assert fake.actions("Ping") == []


def test_an_error_response_carries_asterisks_text(client: AmiClient) -> None:
    with pytest.raises(AmiError) as refused:
        client.action("Bogus")
    assert refused.value.reason == ("Invalid/unknown command: Bogus. "
                                    "Use Action: ListCommands to show available commands.")
    assert client.ping().get("Ping") == "Pong"  # the connection is still good


@pytest.mark.parametrize("modern", [True, False])
def test_lists_end_with_or_without_event_list_lines(modern: bool) -> None:
    server = FakeAmi(modern=modern)
    server.start()
    server.add_member("support", "PJSIP/101")
    server.add_member("support", "PJSIP/102")
    client = AmiClient("127.0.0.1", server.port, server.username, server.secret, TIMEOUT)
    try:
        reply = client.list_action("QueueStatus", [("Queue", "support")],
                                   complete="QueueStatusComplete")
        assert reply.response.get("Message") == "Queue status will follow"
        assert (reply.response.get("EventList") == "start") is modern
        assert [e.event for e in reply.events] == ["QueueParams", "QueueMember", "QueueMember"]
        assert client.ping().get("Ping") == "Pong"  # nothing of the list is left over
    finally:
        client.close()
        server.stop()


def test_a_modern_list_ends_on_event_list_complete_whatever_its_last_event_is_called(
        client: AmiClient) -> None:
    reply = client.list_action("QueueStatus", [("Queue", "support")], complete="SomeOtherName")
    assert [e.event for e in reply.events] == ["QueueParams"]


def test_answers_are_matched_by_action_id_among_other_traffic(fake: FakeAmi,
                                                             client: AmiClient) -> None:
    fake.add_member("support", "PJSIP/101")
    fake.noise = NOISE
    events = status(client)
    assert [e.get("Location") for e in events if e.event == "QueueMember"] == ["PJSIP/101"]
    with pytest.raises(AmiError):  # the foreign "Success" before it is not our answer
        client.action("QueueRemove", [("Queue", "support"), ("Interface", "PJSIP/999")])


def test_threads_share_one_connection_without_mixing_answers(fake: FakeAmi,
                                                            client: AmiClient) -> None:
    for n in range(101, 104):
        fake.add_member("support", f"PJSIP/{n}")
    fake.noise = NOISE
    failures: list[str] = []

    def work() -> None:
        for _ in range(10):
            found = [e.get("Location") for e in status(client) if e.event == "QueueMember"]
            if found != ["PJSIP/101", "PJSIP/102", "PJSIP/103"]:
                failures.append(repr(found))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert fake.connections == 1 and len(fake.actions("QueueStatus")) == 60


def test_reconnects_and_logs_in_again_after_the_server_hangs_up(fake: FakeAmi,
                                                               client: AmiClient) -> None:
    client.ping()
    fake.drop_connections()
    assert client.ping().get("Ping") == "Pong"
    fake.drop_connections()
    client.action("QueueAdd", [("Queue", "support"), ("Interface", "PJSIP/101")])
    assert len(fake.actions("Login")) == 3 and len(fake.actions("QueueAdd")) == 1
    assert fake.member("support", "PJSIP/101") is not None


def test_a_read_cut_off_after_sending_is_retried_once(fake: FakeAmi, client: AmiClient) -> None:
    fake.add_member("support", "PJSIP/101")
    client.ping()
    fake.drop_on("QueueStatus", apply=False)
    assert [e.get("Location") for e in status(client) if e.event == "QueueMember"] == ["PJSIP/101"]
    assert len(fake.actions("QueueStatus")) == 2 and fake.connections == 2


def test_a_write_cut_off_after_sending_is_not_repeated(fake: FakeAmi, client: AmiClient) -> None:
    fake.add_member("support", "PJSIP/101")
    client.ping()
    fake.drop_on("QueuePause", apply=True)
    with pytest.raises(PbxUnreachable, match="may or may not have been made"):
        client.action("QueuePause", [("Interface", "PJSIP/101"), ("Paused", "true")])
    assert len(fake.actions("QueuePause")) == 1
    member = fake.member("support", "PJSIP/101")
    assert member is not None and member.paused
    assert client.ping().get("Ping") == "Pong"  # and the next action reconnects


@pytest.mark.parametrize("when", ["before connecting", "while connected"])
def test_a_silent_server_fails_within_the_timeout(fake: FakeAmi, client: AmiClient,
                                                  when: str) -> None:
    if when == "while connected":
        client.ping()
    fake.go_silent()
    started = time.monotonic()
    expected = "did not answer QueuePause" if when == "while connected" else "did not greet"
    with pytest.raises(PbxUnreachable, match=expected + r".* within 0\.5 s"):
        client.action("QueuePause", [("Interface", "PJSIP/101"), ("Paused", "true")])
    assert time.monotonic() - started < TIMEOUT + 1


def test_a_closed_port_is_reported_as_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AmiClient("127.0.0.1", port, "u", "s", TIMEOUT)
    started = time.monotonic()
    with pytest.raises(PbxUnreachable, match="refused the connection"):
        client.ping()
    assert time.monotonic() - started < TIMEOUT + 1


def test_a_peer_that_is_not_asterisk_is_reported(fake: FakeAmi, client: AmiClient) -> None:
    fake.banner = "SSH-2.0-OpenSSH_9.6"
    with pytest.raises(PbxUnreachable, match="does not speak AMI"):
        client.ping()


def test_a_line_break_cannot_smuggle_headers_into_an_action(fake: FakeAmi,
                                                           client: AmiClient) -> None:
    with pytest.raises(ValueError, match="line break"):
        client.action("QueuePause", [("Interface", "PJSIP/101"), ("Paused", "true"),
                                     ("Reason", "lunch\r\nAction: Logoff")])
    assert fake.received == []


# ---------------------------------------------------------------------- replayed captures


def login_exchange() -> tuple[str, Exchange]:
    banner, _, rest = capture("login_ok.yaml").partition("\n")
    return banner, exchanges(rest)[0]


@pytest.mark.parametrize("crlf", [False, True])
def test_replay_a_ping_answered_after_gaps_and_a_flood_of_events(crlf: bool) -> None:
    banner, login = login_exchange()
    pings = exchanges(capture("agent_loggued_in.yaml"))
    assert [e.action for e in pings] == ["Ping"] * 8
    replay = ReplayAmi(banner, [login, pings[6]], crlf=crlf)  # /1/28, after the gaps
    assert "bytes missing in capture file" in pings[6].server
    replay.start()
    client = AmiClient("127.0.0.1", replay.port, "u", "s", TIMEOUT)
    try:
        assert client.ping().get("Timestamp") == "1409169989.456835"
        assert client.version == "1.3" and replay.errors == []
    finally:
        client.close()
        replay.stop()


def test_replay_an_old_servers_queue_status_without_event_list() -> None:
    banner, login = login_exchange()
    third = exchanges(capture("queue_status.yaml"))[4]
    assert (third.action.lower(), third.action_id) == ("queuestatus", "trotro")
    replay = ReplayAmi(banner, [login, third])
    replay.start()
    client = AmiClient("127.0.0.1", replay.port, "u", "s", TIMEOUT)
    try:
        reply = client.list_action("QueueStatus", [("Queue", "xxxxxxxxxxxxxxxx-tous")],
                                   complete="QueueStatusComplete")
        assert [e.get("Name") for e in reply.events if e.event == "QueueMember"] == QUEUE_STATUS_NAMES
    finally:
        client.close()
        replay.stop()


def test_an_answer_without_our_action_id_is_never_taken_for_ours() -> None:
    banner, login = login_exchange()
    unechoed = exchanges(capture("queue_status.yaml"))[3]  # the CommandID one
    assert unechoed.action_id is None and "Queue status will follow" in unechoed.server
    replay = ReplayAmi(banner, [login, unechoed])
    replay.start()
    client = AmiClient("127.0.0.1", replay.port, "u", "s", TIMEOUT)
    try:
        started = time.monotonic()
        with pytest.raises(PbxUnreachable, match="did not answer QueueStatus"):
            client.list_action("QueueStatus", complete="QueueStatusComplete")
        assert time.monotonic() - started < TIMEOUT + 1
    finally:
        client.close()
        replay.stop()
