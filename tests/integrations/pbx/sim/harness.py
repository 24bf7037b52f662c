from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store import migrate
from store.db import make_sessionmaker, transaction
from store.team.people import Person
from tests.conftest import T0, Database, open_database


class SimHarness:
    reports_pause_reason = True
    states = tuple(MemberState)
    can_go_silent = False

    def __init__(self, db: Database) -> None:
        self.sessions = make_sessionmaker(db.engine)
        self.clock = FixedClock(T0)
        self.pbx = SimPbx(self.sessions, "support", self.clock)

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        with transaction(self.sessions) as session:
            for extension in devices:
                session.add(Person(key=f"p{extension}", name=f"Person {extension}",
                                   extension=extension, created_at=self.clock.now()))
        self.pbx.set_members(members)

    def set_device_state(self, extension: str, state: MemberState) -> None:
        self.pbx.set_state(extension, state)

    def seed_users(self, named: dict[str, str]) -> None:
        for extension, name in named.items():
            if name:
                self.pbx.set_user(extension, name, None)
            else:
                self.pbx.set_user(extension, "x", None)
                self.pbx.free_user(extension)

    def go_silent(self) -> None:
        raise NotImplementedError("the sim PBX is the database; it cannot go silent")


@contextmanager
def open_harness(database: str, tmp_path: Path) -> Iterator[SimHarness]:
    with open_database(database, tmp_path) as db:
        migrate.upgrade(db.engine)
        yield SimHarness(db)
