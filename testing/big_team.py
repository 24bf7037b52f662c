"""A contact centre of a thousand agents, for tests and benchmarks: the people (each with an
extension, a Google Chat id and a Slack id, in groups of fifty), and the simulated PBX's
queue with some of them paused past their limit and some disconnected.

    with transaction(sessions) as session:
        team = load_big_team(session, now, agents=1000)
    fill_sim_queue(services, team, over_limit=64, disconnected=48, paused=100)

or, the board the issue was measured on (and ``switchboard bench delivery`` times),
``team, trouble = troubled_team(services)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from commands.core import Services
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from store.db import transaction
from store.queue.sim_pbx import SimMember
from store.team.people import Person, Role

FIRST_EXTENSION = 3000
GROUP_SIZE = 50


@dataclass(frozen=True)
class BigTeam:
    agents: list[Person]
    coordinator: Person

    @property
    def extensions(self) -> list[str]:
        return [p.extension or "" for p in self.agents]


def load_big_team(session: Session, now: datetime, *, agents: int = 1000) -> BigTeam:
    """``agents`` agents (keys a0000…, extensions from 3000) and a coordinator ``boss``."""
    people = [Person(key=f"a{n:04d}", name=f"Agent {n:04d}", role=Role.AGENT.value,
                     email=f"a{n:04d}@big.example", extension=str(FIRST_EXTENSION + n),
                     google_chat_id=f"users/{10**11 + n}", slack_id=f"U{n:08d}",
                     groups=[f"g{n // GROUP_SIZE:02d}"], active=True, created_at=now)
              for n in range(agents)]
    boss = Person(key="boss", name="Big Boss", role=Role.COORDINATOR.value,
                  email="boss@big.example", google_chat_id="users/99", slack_id="U0BOSS",
                  groups=[], active=True, created_at=now)
    session.add_all([*people, boss])
    session.flush()
    return BigTeam(people, boss)


@dataclass(frozen=True)
class Trouble:
    over_limit: list[Person]  # paused for lunch (a 60-minute limit) 61 minutes ago
    disconnected: list[Person]
    paused: list[Person]  # on a break within its limit


def fill_sim_queue(services: Services, team: BigTeam, *, over_limit: int, disconnected: int,
                   paused: int, in_call: int = 0) -> Trouble:
    """Every agent in the simulated queue; ``over_limit`` of them paused for lunch 61
    minutes before the services' clock, the next ``disconnected`` disconnected, the next
    ``paused`` on a break since now, the next ``in_call`` in a call; the rest available."""
    pbx = getattr(services.pbx, "inner", services.pbx)  # a metered PBX wraps the simulator
    assert isinstance(pbx, SimPbx)
    pbx.set_members(team.extensions)
    now = services.clock.now()
    agents = team.agents
    late = agents[:over_limit]
    gone = agents[over_limit:over_limit + disconnected]
    breaks = agents[over_limit + disconnected:over_limit + disconnected + paused]
    calling = agents[over_limit + disconnected + paused:
                     over_limit + disconnected + paused + in_call]

    def where(group: list[Person]) -> ColumnElement[bool]:
        return SimMember.extension.in_([p.extension for p in group])

    with transaction(services.sessions) as session:
        if late:
            session.execute(update(SimMember).where(where(late)).values(
                paused=True, pause_reason="lunch", paused_since=now - timedelta(minutes=61)))
        if gone:
            session.execute(update(SimMember).where(where(gone)).values(
                state=MemberState.DISCONNECTED.value))
        if breaks:
            session.execute(update(SimMember).where(where(breaks)).values(
                paused=True, pause_reason="break", paused_since=now))
        if calling:
            session.execute(update(SimMember).where(where(calling)).values(
                state=MemberState.IN_CALL.value))
    return Trouble(late, gone, breaks)


def troubled_team(services: Services, agents: int = 1000) -> tuple[BigTeam, Trouble]:
    """``agents`` agents in the queue: 64 paused past their limit, 48 disconnected, 100 on
    a break, 300 in a call, the rest available."""
    with transaction(services.sessions) as session:
        team = load_big_team(session, services.clock.now(), agents=agents)
    return team, fill_sim_queue(services, team, over_limit=64, disconnected=48, paused=100,
                                in_call=300)
