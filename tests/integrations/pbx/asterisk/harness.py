"""The Asterisk backend over AMI against a local fake Asterisk manager."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from integrations.pbx import MemberState
from integrations.pbx.asterisk.ami import AmiClient
from integrations.pbx.asterisk.backend import AsteriskPbx
from testing.fake_ami import FakeAmi
from tests.integrations.pbx.harness import CONTRACT_TIMEOUT

QUEUE = "support"
TEMPLATE = "PJSIP/{extension}"

# The device state number (devicestate.h) that shows up as each canonical state.
DEVICE_STATES = {
    MemberState.UNKNOWN: 0,
    MemberState.AVAILABLE: 1,
    MemberState.IN_CALL: 2,
    MemberState.BUSY: 3,
    MemberState.DISCONNECTED: 5,
    MemberState.RINGING: 6,
    MemberState.ON_HOLD: 8,
}


class AsteriskHarness:
    reports_pause_reason = True
    states = tuple(DEVICE_STATES)
    can_go_silent = True

    def __init__(self, server: FakeAmi, pjsip_include: Path) -> None:
        self.server = server
        self.pjsip_include = pjsip_include
        self.pbx = AsteriskPbx(
            AmiClient("127.0.0.1", server.port, server.username, server.secret,
                      timeout=CONTRACT_TIMEOUT),
            QUEUE, TEMPLATE, pjsip_include=str(pjsip_include))

    def seed_users(self, named: dict[str, str]) -> None:
        """Sections the file already has, as the administrator's first sync left them."""
        body = "".join(f'\n[{e}](switchboard-agent)\ncallerid="{n}" <{e}>\n' if n
                       else f"\n[{e}](switchboard-agent)\ncallerid=<{e}>\n"
                       for e, n in named.items())
        existing = self.pjsip_include.read_text() if self.pjsip_include.exists() else ""
        self.pjsip_include.write_text(existing + body)

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        for extension in devices:
            self.server.devices[TEMPLATE.format(extension=extension)] = 1
        for extension in members:
            self.server.add_member(QUEUE, TEMPLATE.format(extension=extension))

    def set_device_state(self, extension: str, state: MemberState) -> None:
        self.server.devices[TEMPLATE.format(extension=extension)] = DEVICE_STATES[state]

    def go_silent(self) -> None:
        self.server.go_silent()


@contextmanager
def open_harness(option: str, tmp_path: Path) -> Iterator[AsteriskHarness]:
    server = FakeAmi(queues=(QUEUE,))
    server.start()
    harness = AsteriskHarness(server, tmp_path / "switchboard_agents.conf")
    try:
        yield harness
    finally:
        harness.pbx.close()
        server.stop()
