"""The composition root: which directory and which PBX, with which settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.runtime import build_directory, build_pbx
from bot.settings import SettingsError
from integrations.clock import FixedClock
from integrations.directory.local import LocalDirectory
from integrations.directory.odoo import OdooDirectory
from integrations.pbx.areavoip.backend import AreavoipPbx
from integrations.pbx.asterisk.backend import AsteriskPbx
from integrations.pbx.irontec.backend import IrontecPbx
from store.db import make_engine, make_sessionmaker
from tests.conftest import T0, make_settings


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
        make_settings(DIRECTORY_BACKEND="odoo", ODOO_URL="https://o.example")
    assert caught.value.problems == [
        "ODOO_DATABASE is missing: required when DIRECTORY_BACKEND=odoo",
        "ODOO_USER is missing: required when DIRECTORY_BACKEND=odoo",
        "ODOO_PASSWORD is missing: required when DIRECTORY_BACKEND=odoo"]


def test_each_backend_gets_its_statistics_settings() -> None:
    sessions = make_sessionmaker(make_engine("sqlite://"))
    clock = FixedClock(T0)
    areavoip = build_pbx(make_settings(
        PBX_BACKEND="areavoip", AREAVOIP_BASE_URL="http://x", AREAVOIP_API_KEY="k",
        AREAVOIP_TENANT="t", HELPLINE_NUMBERS="900123456, 931234567",
        PBX_TIMEZONE="Atlantic/Canary"), sessions, clock)
    assert isinstance(areavoip, AreavoipPbx)
    assert areavoip.helpline_numbers == ("900123456", "931234567")
    assert areavoip.timezone == ZoneInfo("Atlantic/Canary")
    irontec = {"PBX_BACKEND": "irontec", "IRONTEC_BASE_URL": "http://x", "IRONTEC_USER": "u",
               "IRONTEC_PASSWORD": "p"}
    plain = build_pbx(make_settings(**irontec), sessions, clock)
    assert isinstance(plain, IrontecPbx) and plain.stats is None
    with_stats = build_pbx(make_settings(**irontec, IRONTEC_STATS_URL="http://es:9200",
                                         IRONTEC_STATS_USER="s"), sessions, clock)
    assert isinstance(with_stats, IrontecPbx) and with_stats.stats is not None
    assert with_stats.stats.url == "http://es:9200" and with_stats.stats.index == "sharedstats"
    asterisk = build_pbx(make_settings(PBX_BACKEND="asterisk", AMI_HOST="pbx", AMI_USER="u",
                                       AMI_SECRET="s", ASTERISK_QUEUE_LOG="/tmp/queue_log"),
                         sessions, clock)
    assert isinstance(asterisk, AsteriskPbx) and asterisk.queue_log == "/tmp/queue_log"
    assert asterisk.queue_log_zone == ZoneInfo("Europe/Madrid")
