"""People's PBX member names: set with checks, and matched (pbx_name, else the name)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import store.db as store_db
from commands.core import Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from store.db import transaction
from store.shifts.absences import Absence, absent_at, overlapping
from store.team import people
from tests.conftest import T0, Chat


def test_member_names_match_the_pbx_name_else_the_name(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        person, before = people.set_pbx_name(session, "bruno", "  Bruno   (tarde) ")
        assert (person.pbx_name, before) == ("Bruno (tarde)", None)
        named = people.by_member_name(session)
        assert named[people.member_key("farah agent")].key == "farah"  # no pbx_name: name
        assert named[people.member_key("BRUNO (TARDE)")].key == "bruno"
        assert people.member_key("Bruno Agent") not in named  # a pbx_name replaces the name
        people.set_pbx_name(session, "bruno", None)
        assert people.by_key(session, "bruno").pbx_name is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("key", "name", "why"), [
    ("nobody", "X", "key: nobody has the key 'nobody'"),
    ("bruno", "a|b", "pbx_name: a member name has no '|'"),
    ("bruno", "x" * 129, "pbx_name: longer than 128"),
    ("bruno", "FARAH  ONE", "pbx_name: 'FARAH ONE' is farah's already"),
])
def test_a_bad_member_name_is_refused_naming_why(demo: Services, key: str, name: str,
                                                 why: str) -> None:
    with transaction(demo.sessions) as session:
        people.set_pbx_name(session, "farah", "Farah One")
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace("|", r"\|")), \
            transaction(demo.sessions) as session:
        people.set_pbx_name(session, key, name)


def test_two_people_of_one_name_map_to_nobody(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        people.by_key(session, "bruno").name = "Farah Agent"  # type: ignore[union-attr]
        session.flush()
        assert people.member_key("Farah Agent") not in people.by_member_name(session)


def test_people_shows_a_member_name_when_one_is_set(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        people.set_pbx_name(session, "bruno", "Bruno (tarde)")
    text = Chat(Dispatcher(COMMANDS, demo)).say("carla", "/people agent")
    assert "@bruno · agent · ext 212 · PBX name 'Bruno (tarde)'" in text
    (farah,) = [line for line in text.splitlines() if "@farah" in line]
    assert "PBX name" not in farah


@pytest.mark.parametrize("in_list_max", [200, 1])
def test_people_and_absences_by_id_are_those_asked_for_with_a_short_or_long_list(
        demo: Services, monkeypatch: pytest.MonkeyPatch, in_list_max: int) -> None:
    """A list longer than IN_LIST_MAX is not sent as an IN (the rows are filtered here
    instead): the answer is the same either way."""
    monkeypatch.setattr(store_db, "IN_LIST_MAX", in_list_max)
    with transaction(demo.sessions) as session:
        team = {p.key: p.id for p in people.all_people(session)}
        for key in ("alice", "bruno", "farah"):
            session.add(Absence(person_id=team[key], starts=T0 - timedelta(hours=1),
                                ends=T0 + timedelta(hours=8), kind="sick", source="local"))
    asked = [team["alice"], team["bruno"], team["carla"]]
    with transaction(demo.sessions) as session:  # a fresh session: nobody loaded yet
        assert sorted(people.by_ids(session, asked)) == sorted(asked)
    with transaction(demo.sessions) as session:
        assert sorted(absent_at(session, T0, asked)) == [team["alice"], team["bruno"]]
        assert sorted(a.person_id for a in overlapping(session, T0, T0 + timedelta(hours=1),
                                                       asked)) == [team["alice"], team["bruno"]]
        assert len(absent_at(session, T0)) == 3
