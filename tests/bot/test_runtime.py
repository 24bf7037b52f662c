"""DIRECTORY_BACKEND picks the directory in the composition root."""

from __future__ import annotations

import pytest

from bot.runtime import build_directory
from bot.settings import SettingsError
from integrations.directory.local import LocalDirectory
from integrations.directory.odoo import OdooDirectory
from store.db import make_engine, make_sessionmaker
from tests.conftest import make_settings


def test_local_by_default_and_odoo_when_asked() -> None:
    sessions = make_sessionmaker(make_engine("sqlite://"))
    assert isinstance(build_directory(make_settings(), sessions), LocalDirectory)
    odoo = build_directory(make_settings(
        DIRECTORY_BACKEND="odoo", ODOO_URL="https://odoo.example.org", ODOO_DATABASE="db",
        ODOO_USER="bot", ODOO_PASSWORD="key"), sessions)
    assert isinstance(odoo, OdooDirectory) and odoo.web_url == "https://odoo.example.org"
    crm = build_directory(make_settings(CRM_URL="https://crm.example.org"), sessions)
    assert crm.web_url == "https://crm.example.org"


def test_odoo_without_its_settings_names_each_missing_one() -> None:
    with pytest.raises(SettingsError) as caught:
        build_directory(make_settings(DIRECTORY_BACKEND="odoo", ODOO_URL="https://o.example"),
                        make_sessionmaker(make_engine("sqlite://")))
    assert caught.value.problems == [
        "ODOO_DATABASE is missing: required when DIRECTORY_BACKEND=odoo",
        "ODOO_USER is missing: required when DIRECTORY_BACKEND=odoo",
        "ODOO_PASSWORD is missing: required when DIRECTORY_BACKEND=odoo"]
