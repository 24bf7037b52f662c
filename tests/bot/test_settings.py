from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_come_from_app_yaml_and_environment_overrides(tmp_path: Path) -> None:
    app_yaml = tmp_path / "app.yaml"
    app_yaml.write_text("env_variables:\n  TIMEZONE: America/Sao_Paulo\n  SWITCHBOARD_PORT: '9000'\n")
    settings = Settings.load(environ={"SWITCHBOARD_PORT": "9100"}, app_yaml=app_yaml)
    assert settings.timezone == ZoneInfo("America/Sao_Paulo")
    assert settings.port == 9100


def test_the_project_app_yaml_is_a_valid_local_configuration() -> None:
    settings = Settings.load(environ={})
    assert settings.pbx_backend == "sim"
    assert settings.database_url.startswith("sqlite:")


def test_every_problem_is_named_with_what_is_expected() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"TIMEZONE": "Mars/Olympus", "SWITCHBOARD_PORT": "eighty",
                               "DATABASE_URL": "mysql://x"}, app_yaml=None)
    text = str(caught.value)
    assert "TIMEZONE='Mars/Olympus' is malformed: expected an IANA time zone" in text
    assert "SWITCHBOARD_PORT='eighty' is malformed: expected a whole number" in text
    assert "DATABASE_URL='mysql://x' is malformed" in text
    assert len(caught.value.problems) == 3


def test_a_pbx_backend_requires_its_own_credentials() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"PBX_BACKEND": "areavoip", "AREAVOIP_BASE_URL": "http://x"},
                      app_yaml=None)
    assert caught.value.problems == [
        "AREAVOIP_API_KEY is missing: required when PBX_BACKEND=areavoip",
        "AREAVOIP_TENANT is missing: required when PBX_BACKEND=areavoip",
    ]


def test_google_chat_command_ids_are_parsed() -> None:
    settings = Settings.load(environ={"GOOGLE_CHAT_COMMANDS": "1=pause, 2=/resume,3=onshift"},
                             app_yaml=None)
    assert settings.google_chat_commands == {1: "pause", 2: "resume", 3: "onshift"}
    with pytest.raises(SettingsError, match="GOOGLE_CHAT_COMMANDS"):
        Settings.load(environ={"GOOGLE_CHAT_COMMANDS": "pause"}, app_yaml=None)


def test_space_settings_name_their_platform() -> None:
    with pytest.raises(SettingsError, match="TEAM_SPACE"):
        Settings.load(environ={"TEAM_SPACE": "spaces/AAA"}, app_yaml=None)
    settings = Settings.load(environ={"TEAM_SPACE": "google:spaces/AAA"}, app_yaml=None)
    assert settings.team_space == "google:spaces/AAA"


def test_app_engine_refuses_an_sqlite_database() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"GAE_ENV": "standard"})  # app.yaml's local default: SQLite
    assert any("an instance's disk is not a database" in p for p in caught.value.problems)
    on_gae = Settings.load(environ={"GAE_ENV": "standard",
                                    "DATABASE_URL": "postgresql+psycopg://sb@/sb?host=/cloudsql/p:r:i"})
    assert on_gae.database_url.startswith("postgresql")


def test_the_odoo_hr_backend_needs_its_credentials() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"HR_BACKEND": "odoo", "ODOO_URL": "https://erp.example"},
                      app_yaml=None)
    assert caught.value.problems == [
        "ODOO_DATABASE is missing: required when HR_BACKEND=odoo",
        "ODOO_USER is missing: required when HR_BACKEND=odoo",
        "ODOO_PASSWORD is missing: required when HR_BACKEND=odoo"]


def test_a_holidays_country_the_library_does_not_know() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"HOLIDAYS_COUNTRY": "XX"}, app_yaml=None)
    assert caught.value.problems == [
        "HOLIDAYS_COUNTRY='XX': the holidays library does not know that country"]
    with pytest.raises(SettingsError) as subdiv:
        Settings.load(environ={"HOLIDAYS_COUNTRY": "ES", "HOLIDAYS_SUBDIV": "ZZ"}, app_yaml=None)
    assert subdiv.value.problems[0].startswith("HOLIDAYS_SUBDIV='ZZ': ")
    assert Settings.load(environ={"HOLIDAYS_COUNTRY": ""}, app_yaml=None).holidays_country == ""


def test_call_statistics_settings_are_checked() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"PBX_TIMEZONE": "Atlantis/Capital", "DAILY_REPORT_TIME": "6pm",
                               "SHORT_ABANDON_SECONDS": "-1"}, app_yaml=None)
    assert [p.split("=")[0] for p in caught.value.problems] == [
        "PBX_TIMEZONE", "SHORT_ABANDON_SECONDS", "DAILY_REPORT_TIME"]
    good = Settings.load(environ={"PBX_TIMEZONE": "Atlantic/Canary",
                                  "DAILY_REPORT_TIME": "18:10"}, app_yaml=None)
    assert (good.pbx_timezone_name, good.daily_report_time) == ("Atlantic/Canary", "18:10")


def test_the_weekly_pbx_sync_time_is_a_weekday_and_a_time() -> None:
    from datetime import time

    from bot.settings import weekly_time

    assert weekly_time("") is None
    assert weekly_time("fri 15:00") == (4, time(15, 0))
    assert weekly_time("Monday 9:30") == (0, time(9, 30))
    assert Settings.load(environ={"PBX_SYNC_AT": "fri 15:00"}, app_yaml=None).pbx_sync_at == \
        "fri 15:00"
    for bad in ("friday", "15:00", "fri 25:00", "someday 10:00"):
        with pytest.raises(SettingsError, match=r"PBX_SYNC_AT.*'fri 15:00'"):
            Settings.load(environ={"PBX_SYNC_AT": bad}, app_yaml=None)
