"""A Tomàtic week for the demo team (the week of T0, Monday 2026-11-23), as Tomàtic writes
it: unquoted 09:00 (a string to YAML) and 10:15 (base 60 to YAML 1.1), ``ningu`` cells,
a ``festiu`` day, and the keys Switchboard ignores."""

from __future__ import annotations

from datetime import date

from commands.core import Services
from store.db import transaction
from store.shifts.timetable_io import import_weeks, parse_tomatic

WEEK = date(2026, 11, 23)

TOMATIC_WEEK = """\
week: '2026-11-23'
days:
- dl
- dm
- dx
- dj
- dv
hours:
- 09:00
- 10:15
- '11:30'
- '12:45'
- '14:00'
turns:
- T1
- T2
timetable:
  dl:
  - [alice, bruno]
  - [chen, diego]
  - [elena, ningu]
  - [farah, gael]
  dm:
  - [hana, alice]
  - [bruno, chen]
  - [ningu, ningu]
  - [diego, elena]
  dx:
  - [festiu, festiu]
  - [festiu, festiu]
  - [festiu, festiu]
  - [festiu, festiu]
  dj:
  - [alice, chen]
  - [bruno, diego]
  - [elena, farah]
  - [gael, hana]
  dv:
  - [gael, hana]
  - [alice, bruno]
  - [chen, diego]
  - [elena, farah]
names:
  alice: Alícia
colors:
  alice: ff0000
extensions:
  alice: '3001'
overload: {alice: 1}
penalties:
- - 5
  - alice té altres 1 persones amb telèfon a la mateixa taula
cost: 10
log: {}
"""

# day code → the people of each turn (no ningu), as imported above.
EXPECTED = {
    "dl": [["alice", "bruno"], ["chen", "diego"], ["elena"], ["farah", "gael"]],
    "dm": [["hana", "alice"], ["bruno", "chen"], [], ["diego", "elena"]],
    "dj": [["alice", "chen"], ["bruno", "diego"], ["elena", "farah"], ["gael", "hana"]],
    "dv": [["gael", "hana"], ["alice", "bruno"], ["chen", "diego"], ["elena", "farah"]],
}


def import_week(services: Services, text: str = TOMATIC_WEEK) -> None:
    with transaction(services.sessions) as session:
        import_weeks(session, [parse_tomatic(text)], services.clock.now())
