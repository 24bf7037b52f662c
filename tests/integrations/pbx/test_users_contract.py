"""One contract for pbx sync's user operations, against every backend's wire protocol:
list the users with the PBX's own free mark, rename, free, and create where it can."""

from __future__ import annotations

import pytest

from integrations.pbx import PbxError
from integrations.pbx.base import UserSync
from tests.integrations.pbx.harness import Harness
from tests.integrations.pbx.test_contract import harness  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("harness")


def users(h: Harness) -> dict[str, tuple[str, bool]]:
    sync: UserSync = h.pbx  # type: ignore[assignment]
    return {u.extension: (u.name, u.free) for u in sync.users()
            if u.extension in {"301", "302", "303", "304"}}


def test_users_rename_free_and_create(harness: Harness) -> None:  # noqa: F811
    sync: UserSync = harness.pbx  # type: ignore[assignment]
    harness.seed_users({"301": "Old Name", "302": "Someone Gone", "303": ""})
    listed = users(harness)
    assert listed["301"] == ("Old Name", False)
    assert listed["302"] == ("Someone Gone", False)
    assert listed["303"][1] is True  # the PBX's free mark
    sync.set_user("301", "Núria Puig", "nuria@example.org")
    sync.free_user("302")
    after = users(harness)
    assert after["301"][0] in ("Núria Puig", "Nuria Puig")  # Irontec keeps ASCII names
    # What the PBX lists is what stored_as said it would keep: a second sync finds nothing.
    listed = {u.extension: u for u in sync.users()}
    wanted = sync.stored_as("301", "Núria Puig", "nuria@example.org")
    assert (listed["301"].name, listed["301"].email) == (wanted.name, wanted.email)
    assert after["302"][1] is True
    if sync.can_create:
        sync.set_user("304", "New Person", None)
        assert users(harness)["304"] == ("New Person", False)
    else:
        with pytest.raises(PbxError) as refused:
            sync.set_user("304", "New Person", None)
        assert refused.value.code == "unknown_extension"
