"""Pbx.originate: the sim and Asterisk place the call; Areavoip and Irontec say they cannot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.clock import FixedClock
from integrations.pbx import PbxError, PbxUnreachable
from integrations.pbx.areavoip.backend import AreavoipPbx
from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.backend import AsteriskPbx
from integrations.pbx.irontec.backend import IrontecPbx
from testing.fake_ami import FakeAmi
from tests.conftest import MADRID, T0
from tests.integrations.pbx.sim.harness import open_harness


@pytest.fixture
def ami() -> Iterator[tuple[FakeAmi, AsteriskPbx]]:
    server = FakeAmi(queues=("support",))
    server.start()
    pbx = AsteriskPbx(AmiClient("127.0.0.1", server.port, server.username, server.secret,
                                timeout=0.5), "support", "PJSIP/{extension}",
                      dial_context="callbacks")
    try:
        yield server, pbx
    finally:
        pbx.close()
        server.stop()


def test_asterisk_sends_an_async_originate(ami: tuple[FakeAmi, AsteriskPbx]) -> None:
    server, pbx = ami
    server.devices["PJSIP/211"] = 1
    assert pbx.originate("211", "+34612345678", "sb-test-1") is True  # it will report
    sent = server.actions("Originate")
    assert len(sent) == 1
    action = sent[0]
    assert action["actionid"] == "sb-test-1"  # the OriginateResponse will carry it
    assert (action["channel"], action["context"], action["exten"], action["priority"],
            action["async"]) == ("PJSIP/211", "callbacks", "+34612345678", "1", "true")
    assert action["callerid"] == "Callback <+34612345678>" and action["timeout"] == "30000"
    # The OriginateResponse that follows does not confuse the next action.
    assert pbx.queue_status() == []


def test_asterisk_refusals_and_bad_input(ami: tuple[FakeAmi, AsteriskPbx]) -> None:
    server, pbx = ami
    with pytest.raises(PbxError) as bad_number:
        pbx.originate("211", "call me", "sb-test-1")
    assert bad_number.value.code == "rejected"
    with pytest.raises(PbxError) as bad_extension:
        pbx.originate("21 1", "+34612345678", "sb-test-1")
    assert bad_extension.value.code == "unknown_extension"
    server.denied.add("originate")
    with pytest.raises(PbxError) as denied:
        pbx.originate("211", "+34612345678", "sb-test-1")
    assert denied.value.code == "auth"
    assert server.actions("Originate") != []


def test_asterisk_is_never_retried_after_sending(ami: tuple[FakeAmi, AsteriskPbx]) -> None:
    server, pbx = ami
    pbx.queue_status()  # connected
    server.drop_on("Originate", apply=True)
    with pytest.raises(PbxUnreachable, match="may or may not have been made"):
        pbx.originate("211", "+34612345678", "sb-test-1")
    assert len(server.actions("Originate")) == 1


def test_sim_places_the_call(tmp_path: Path) -> None:
    with open_harness("sqlite", tmp_path) as harness:
        harness.seed(["211"], ["211"])
        assert harness.pbx.originate("211", "+34612345678", "sb-test-1") is False
        assert [(e, n) for e, n, _ in harness.pbx.originated] == [("211", "+34612345678")]
        with pytest.raises(PbxError) as unknown:
            harness.pbx.originate("999", "+34612345678", "sb-test-1")
        assert unknown.value.code == "unknown_extension"


@pytest.mark.parametrize("pbx", [
    AreavoipPbx("http://127.0.0.1:1", "key", "tenant", "support", timezone=MADRID, timeout=0.1),
    IrontecPbx("http://127.0.0.1:1", "user", "secret", "support", clock=FixedClock(T0),
               timeout=0.1),
], ids=["areavoip", "irontec"])
def test_backends_that_cannot_originate_say_so(pbx: object) -> None:
    with pytest.raises(PbxError) as refused:
        pbx.originate("211", "+34612345678", "sb-test-1")  # type: ignore[attr-defined]
    assert refused.value.code == "unsupported" and "dial the number" in refused.value.message
