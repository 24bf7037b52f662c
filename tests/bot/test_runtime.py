"""The composition root wires each PBX backend with its call-statistics settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.runtime import build_pbx
from integrations.clock import FixedClock
from integrations.pbx.areavoip import AreavoipPbx
from integrations.pbx.asterisk import AsteriskPbx
from integrations.pbx.irontec import IrontecPbx
from store.db import make_engine, make_sessionmaker
from tests.conftest import T0, make_settings


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
