"""pbx sync: the PBX's users against the people list, in chat (sim) and from the command
line against local Areavoip, Irontec and Asterisk (AMI) servers; a second run finds none."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.main import main
from commands.core import Services
from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from store.team.audit import AuditEntry
from testing.fake_ami import FakeAmi
from tests.conftest import T0, Chat, Database
from tests.integrations.pbx.areavoip.fake_areavoip import FakeAreavoip
from tests.integrations.pbx.irontec.fake_irontec import FakeIrontec

DEMO_EXTENSIONS = ("200", "201", "202", "211", "212", "213", "214", "215", "216", "217",
                   "218")


def test_chat_shows_the_differences_and_applies_them(chat: Chat, demo: Services) -> None:
    assert chat.say("carla", "/pbx sync").startswith("Sorry, /pbx is for admins")
    first = chat.say("ada", "/pbx sync")
    assert first.startswith("The sim PBX differs from the people list in ")
    assert "• rename 211: Extension 211 → Alice Agent" in first
    assert first.rstrip().endswith("[Apply: /pbx sync apply]")
    assert isinstance(demo.pbx, SimPbx)
    demo.pbx.set_members(["211", "212"])
    demo.pbx.set_state("212", MemberState.IN_CALL)
    applied = chat.say("ada", "/pbx sync apply")
    assert "Left for the next run, in a call now:\n• rename 212: Extension 212 → Bruno Agent" \
        in applied
    assert "• rename 211: Extension 211 → Alice Agent" in applied
    demo.pbx.set_state("212", MemberState.AVAILABLE)
    assert chat.say("ada", "/pbx sync") == ("The sim PBX differs from the people list in 1 "
                                            "change(s):\n• rename 212: Extension 212 → Bruno "
                                            "Agent\n\n  [Apply: /pbx sync apply]")
    chat.say("ada", "/pbx sync apply")
    assert chat.say("ada", "/pbx sync") == (
        "The sim PBX agrees with the people list: nothing to change.")
    with transaction(demo.sessions) as session:
        changes = list(session.scalars(select(AuditEntry.text).where(
            AuditEntry.command == "pbx sync").order_by(AuditEntry.id)))
        summaries = list(session.scalars(select(OutboxMessage.target).where(
            OutboxMessage.key.like("pbx-sync:%"))))
    assert "rename 211: Extension 211 → Alice Agent" in changes
    assert len(changes) == len(DEMO_EXTENSIONS)  # every demo extension, once each
    assert summaries == ["person:ada", "person:ada"]  # one summary per applying run


@contextmanager
def areavoip() -> Iterator[dict[str, str]]:
    with FakeAreavoip(queue="support") as fake:
        fake.extensions.update({e: f"Old {e}" for e in DEMO_EXTENSIONS})
        fake.extensions["299"] = "Someone Gone"
        yield {"PBX_BACKEND": "areavoip", "AREAVOIP_BASE_URL": fake.url,
               "AREAVOIP_API_KEY": fake.api_key, "AREAVOIP_TENANT": fake.tenant}


@contextmanager
def irontec() -> Iterator[dict[str, str]]:
    with FakeIrontec(FixedClock(T0), queue="support") as fake:
        fake.agents.update({e: f"Old {e}" for e in DEMO_EXTENSIONS})
        fake.agents["299"] = "Someone Gone"
        yield {"PBX_BACKEND": "irontec", "IRONTEC_BASE_URL": fake.url,
               "IRONTEC_USER": fake.user, "IRONTEC_PASSWORD": fake.password}


@contextmanager
def asterisk(tmp_path: Path) -> Iterator[dict[str, str]]:
    server = FakeAmi(queues=("support",)).start()
    assert isinstance(server, FakeAmi)
    include = tmp_path / "switchboard_agents.conf"
    include.write_text('[299](switchboard-agent)\ncallerid="Someone Gone" <299>\n')
    try:
        yield {"PBX_BACKEND": "asterisk", "AMI_HOST": "127.0.0.1", "AMI_PORT": str(server.port),
               "AMI_USER": server.username, "AMI_SECRET": server.secret,
               "ASTERISK_PJSIP_INCLUDE": str(include), "AMI_EVENTS": "false"}
        assert len(server.actions("Command")) >= 1  # PJSIP was reloaded after writing
    finally:
        server.stop()


PEERS: dict[str, Callable[[Path], AbstractContextManager[dict[str, str]]]] = {
    "areavoip": lambda _: areavoip(),
    "irontec": lambda _: irontec(),
    "asterisk": asterisk,
}


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_the_cli_lists_applies_and_then_finds_nothing(peer: str, db: Database,
                                                      tmp_path: Path) -> None:
    with PEERS[peer](tmp_path) as env:
        environ = {"DATABASE_URL": db.url, "LOG_LEVEL": "warning", "PBX_QUEUE": "support",
                   "PBX_TIMEOUT": "2", **env}

        def run(*argv: str) -> tuple[int, str, str]:
            out, err = io.StringIO(), io.StringIO()
            return main(list(argv), environ=environ, out=out, err=err), out.getvalue(), \
                err.getvalue()

        assert run("demo")[0] == 0
        status, out, _ = run("pbx", "sync")
        assert status == 0
        assert f"The {peer} PBX differs from the people list" in out
        assert "free 299 (was Someone Gone)" in out
        if peer == "asterisk":
            assert "create 211 for Alice Agent" in out
        else:
            assert "rename 211: Old 211 → Alice Agent" in out
        status, out, err = run("pbx", "sync", "--apply")
        assert status == 0, err
        assert "change(s) made." in out
        status, out, _ = run("pbx", "sync")
        assert (status, out) == (0, f"The {peer} PBX agrees with the people list: nothing "
                                    "to change.\n")
