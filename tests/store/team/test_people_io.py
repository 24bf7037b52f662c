from datetime import UTC, datetime

import pytest

from commands.core import Services
from store.db import transaction
from store.team import people
from store.team.people_io import ImportRejected, export_people, import_people, parse_yaml

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

TOMATIC = """
persons:
  names: {ana: Ana Puig, bernat: Bernat Soler, carme: Carme Vila}
  extensions: {ana: 3001, bernat: 3002, carme: 3003}
  emails: {ana: ana@coop.example, bernat: bernat@coop.example}
  tables: {ana: 1, bernat: 2, carme: -1}
  colors: {ana: ff0000}
  erpusers: {ana: APuig}
  idealloads: {bernat: 8}
  groups:
    admin: [ana]
    coordinators: [bernat, ana]
    matins: [carme, bernat]
"""


def test_tomatic_layout_maps_every_section(services: Services) -> None:
    with transaction(services.sessions) as session:
        report = import_people(session, TOMATIC, NOW)
        assert report.created == ["ana", "bernat", "carme"]
        ana = people.by_key(session, "ana")
        bernat = people.by_key(session, "bernat")
        carme = people.by_key(session, "carme")
        assert ana and bernat and carme
        assert (ana.role, ana.extension, ana.email, ana.desk, ana.color, ana.erp_user) == (
            "admin", "3001", "ana@coop.example", 1, "ff0000", "APuig")
        assert (bernat.role, bernat.ideal_load, bernat.groups) == ("coordinator", 8, ["matins"])
        assert (carme.role, carme.email, carme.groups) == ("agent", None, ["matins"])


def test_a_plain_list_round_trips_through_export(services: Services) -> None:
    with transaction(services.sessions) as session:
        import_people(session, TOMATIC, NOW)
        exported = export_people(session)
    with transaction(services.sessions) as session:
        report = import_people(session, exported, NOW)
        assert report.unchanged == ["ana", "bernat", "carme"]
        assert export_people(session) == exported


def test_every_mistake_is_reported_and_nothing_is_written(services: Services) -> None:
    bad = """
- {key: zoe, name: Zoe, role: supervisor, email: zoe@x.example, extension: "400"}
- {key: yan, name: Yan, email: "yan(at)x.example", extension: "401"}
- {key: xia, email: xia@x.example, extension: "400"}
- {key: wim, name: Wim, extension: "402", shoe_size: 44}
"""
    with pytest.raises(ImportRejected) as caught, transaction(services.sessions) as session:
        import_people(session, bad, NOW)
    found = [str(p) for p in caught.value.problems]
    assert found == [
        "entry 1 (zoe): role: 'supervisor' is not a role (expected one of agent, coordinator, admin)",
        "entry 2 (yan): email: 'yan(at)x.example' is not a valid address (expected name@domain.tld)",
        "entry 3 (xia): name: missing: every person needs a display name",
        "entry 4 (wim): shoe_size: unknown field (expected one of key, name, email, role, "
        "extension, google_chat_id, slack_id, groups, active, color, erp_user, ideal_load, desk, max_per_day, pbx_name, language)",
        "entry 3 (xia): extension: duplicate '400', also used by entry 1 (zoe)",
    ]
    with transaction(services.sessions) as session:
        assert people.count(session) == 0


def test_clashes_with_people_already_stored_are_caught(services: Services) -> None:
    with transaction(services.sessions) as session:
        import_people(session, "- {key: ann, name: Ann, email: ann@x.example, extension: '5'}",
                      NOW)
    with pytest.raises(ImportRejected) as caught, transaction(services.sessions) as session:
        import_people(session, "- {key: bob, name: Bob, email: ANN@x.example, extension: '5'}",
                      NOW)
    assert [p.field for p in caught.value.problems] == ["email", "extension"]
    assert "stored person ann" in caught.value.problems[0].why


def test_unreadable_files_are_rejected_with_a_reason() -> None:
    with pytest.raises(ImportRejected, match="problem"):
        parse_yaml("key: [unclosed")
    with pytest.raises(ImportRejected) as caught:
        parse_yaml("names: {a: A}\nshifts: {}\n")
    assert str(caught.value.problems[0]) == "file: shifts: unknown persons.yaml section"



def test_the_pbx_member_name_is_imported_and_unique_whatever_its_spacing(
        services: Services) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(services.sessions) as session:
        import_people(session, "- {key: ana, name: Ana Puig, pbx_name: '  Ana   P. '}\n"
                               "- {key: joan, name: Joan Vila}\n", now)
        ana = people.by_key(session, "ana")
        assert ana is not None and ana.pbx_name == "Ana P."
        assert "pbx_name: Ana P." in export_people(session)
    for clash, why in [
        ("- {key: joan, name: Joan Vila, pbx_name: ana  p.}\n",
         "entry 1 (joan): pbx_name: duplicate 'ana p.', also used by stored person ana"),
        ("- {key: joan, name: Joan Vila, pbx_name: 'Joan|V'}\n",
         "entry 1 (joan): pbx_name: a member name has no '|'"),
    ]:
        with transaction(services.sessions) as session, pytest.raises(ImportRejected) as bad:
            import_people(session, clash, now)
        assert str(bad.value.problems[0]).startswith(why)
