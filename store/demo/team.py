"""The demo team, for local runs and for the other capabilities to build on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from store.callbacks.capacity_io import load_demo_capacity
from store.demo.callers import load_demo_callers
from store.demo.shifts import load_demo_timetable
from store.team import people
from store.team.people_io import ImportReport, import_people

DEMO_PEOPLE = """\
- {key: ada, name: Ada Admin, role: admin, email: ada@switchboard.example, extension: "200"}
- {key: carla, name: Carla Coordinator, role: coordinator, email: carla@switchboard.example,
   extension: "201", groups: [morning]}
- {key: dani, name: Dani Coordinator, role: coordinator, email: dani@switchboard.example,
   extension: "202", groups: [afternoon]}
- {key: alice, name: Alice Agent, email: alice@switchboard.example, extension: "211",
   groups: [morning], ideal_load: 8}
- {key: bruno, name: Bruno Agent, email: bruno@switchboard.example, extension: "212",
   groups: [morning], ideal_load: 8}
- {key: chen, name: Chen Agent, email: chen@switchboard.example, extension: "213",
   groups: [morning], ideal_load: 8}
- {key: diego, name: Diego Agent, email: diego@switchboard.example, extension: "214",
   groups: [morning], ideal_load: 8}
- {key: elena, name: Elena Agent, email: elena@switchboard.example, extension: "215",
   groups: [afternoon], ideal_load: 8}
- {key: farah, name: Farah Agent, email: farah@switchboard.example, extension: "216",
   groups: [afternoon], ideal_load: 8}
- {key: gael, name: Gael Agent, email: gael@switchboard.example, extension: "217",
   groups: [afternoon], ideal_load: 8}
- {key: hana, name: Hana Agent, email: hana@switchboard.example, extension: "218",
   groups: [afternoon], ideal_load: 8}
"""


# What each capability adds to the demo once the team exists (a timetable, callback
# capacity, a directory …): functions of (session, now), run in this order.
DEMO_PARTS: tuple[Callable[[Session, datetime], object], ...] = (
    load_demo_timetable,
    load_demo_callers,
    load_demo_capacity,
)


def load_demo(
    session: Session, now: datetime, *, only_if_empty: bool = True
) -> ImportReport | None:
    """Load the demo team and every capability's demo data; with only_if_empty, do nothing
    when people already exist."""
    if only_if_empty and people.count(session) > 0:
        return None
    report = import_people(session, DEMO_PEOPLE, now)
    for part in DEMO_PARTS:
        part(session, now)
    return report
