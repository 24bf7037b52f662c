"""The one reader of the environment.

Defaults come from the ``env_variables`` of ``app.yaml`` (so a local run and an
App Engine deployment read the same file); the process environment overrides
them. Every problem is reported at once, naming the variable and what it
expects, and the process stops before anything else runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_YAML = PROJECT_ROOT / "app.yaml"


class SettingsError(Exception):
    """One or more variables are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


# --- parsers: each returns the typed value or raises ValueError("expected ...") ---


def _str(raw: str) -> str:
    return raw


def _nonempty(raw: str) -> str:
    if not raw.strip():
        raise ValueError("expected a non-empty value")
    return raw.strip()


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number between {lo} and {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a whole number between {lo} and {hi}")
        return value

    return parse


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a positive number (seconds)") from None
    if value <= 0:
        raise ValueError("expected a positive number (seconds)")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _zone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Madrid") from None


def _database_url(raw: str) -> str:
    url = raw.strip()
    if not url.startswith(("sqlite:", "postgresql")):
        raise ValueError(
            "expected sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
        )
    return url


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError("expected one of " + ", ".join(options))
        return value

    return parse


def _space(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    platform, _, name = value.partition(":")
    if platform not in {"google", "slack", "console"} or not name:
        raise ValueError("expected google:spaces/NAME, slack:CHANNEL_ID or console:NAME")
    if platform == "google" and not name.startswith("spaces/"):
        raise ValueError("expected google:spaces/NAME")
    return value


def _command_map(raw: str) -> dict[int, str]:
    """``1=pause,2=resume`` → {1: "pause", 2: "resume"}."""
    result: dict[int, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        number, sep, name = item.partition("=")
        if not sep or not number.strip().isdigit() or not name.strip():
            raise ValueError("expected ID=COMMAND pairs separated by commas, e.g. 1=pause,2=resume")
        result[int(number)] = name.strip().lstrip("/")
    return result


def _url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


@dataclass(frozen=True)
class Var:
    env: str
    parse: Callable[[str], Any]
    default: str | None  # None means required
    doc: str


def _var(env: str, parse: Callable[[str], Any], default: str | None, doc: str) -> Any:
    return field(metadata={"var": Var(env, parse, default, doc)})


@dataclass(frozen=True)
class Settings:
    # --- core ---
    database_url: str = _var("DATABASE_URL", _database_url, "sqlite:///switchboard.db",
                             "SQLAlchemy URL of the store")
    timezone: ZoneInfo = _var("TIMEZONE", _zone, "Europe/Madrid", "the team's IANA time zone")
    host: str = _var("SWITCHBOARD_HOST", _nonempty, "127.0.0.1", "address the HTTP server binds")
    port: int = _var("SWITCHBOARD_PORT", _int_in(0, 65535), "8080", "port of the HTTP server")
    log_level: str = _var("LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info",
                          "logging level")
    background_jobs: bool = _var("BACKGROUND_JOBS", _bool, "true",
                                 "run the scheduler (outbox delivery, reminders, simulator) "
                                 "inside the web process")
    access_contact: str = _var("ACCESS_CONTACT", _str, "",
                               "who to ask for access (defaults to the admins in the store)")
    default_region: str = _var("PHONE_REGION", _nonempty, "ES",
                               "region used to read national phone numbers")
    # --- chat doors and proactive delivery ---
    team_space: str = _var("TEAM_SPACE", _space, "", "team space, e.g. google:spaces/AAAA")
    coordinators_space: str = _var("COORDINATORS_SPACE", _space, "",
                                   "coordinators' space, e.g. slack:C0123")
    google_chat_auth_mode: str = _var(
        "GOOGLE_CHAT_AUTH_MODE", _choice("project_number", "endpoint_url", "addon"),
        "project_number", "how Google Chat bearer tokens are verified")
    google_chat_audience: str = _var("GOOGLE_CHAT_AUDIENCE", _str, "",
                                     "project number or endpoint URL expected as token audience")
    google_chat_addon_email: str = _var("GOOGLE_CHAT_ADDON_EMAIL", _str, "",
                                        "the add-on's service account email (addon mode)")
    google_chat_certs_url: str = _var("GOOGLE_CHAT_CERTS_URL", _url, "",
                                      "where token signing keys are fetched (tests)")
    google_chat_commands: dict[int, str] = _var("GOOGLE_CHAT_COMMANDS", _command_map, "",
                                                "slash command ids, e.g. 1=pause,2=resume")
    google_chat_service_account_file: str = _var("GOOGLE_CHAT_SERVICE_ACCOUNT_FILE", _str, "",
                                                 "service account key for the Chat API")
    google_chat_api_endpoint: str = _var("GOOGLE_CHAT_API_ENDPOINT", _url, "",
                                         "Chat API endpoint override (tests)")
    slack_signing_secret: str = _var("SLACK_SIGNING_SECRET", _str, "",
                                     "Slack request signing secret")
    slack_bot_token: str = _var("SLACK_BOT_TOKEN", _str, "", "Slack bot token (xoxb-…)")
    slack_api_url: str = _var("SLACK_API_URL", _url, "", "Slack Web API base URL override (tests)")
    outbox_max_attempts: int = _var("OUTBOX_MAX_ATTEMPTS", _int_in(1, 100), "8",
                                    "delivery attempts before a message is dead-lettered")
    # --- PBX ---
    pbx_backend: str = _var("PBX_BACKEND", _choice("sim", "areavoip", "irontec", "asterisk"),
                            "sim", "which PBX to drive")
    pbx_queue: str = _var("PBX_QUEUE", _nonempty, "support", "the PBX queue name or id")
    pbx_timeout: float = _var("PBX_TIMEOUT", _positive_float, "3", "seconds per PBX request")
    areavoip_base_url: str = _var("AREAVOIP_BASE_URL", _url, "", "proxyapi.php URL")
    areavoip_api_key: str = _var("AREAVOIP_API_KEY", _str, "", "Areavoip API key")
    areavoip_tenant: str = _var("AREAVOIP_TENANT", _str, "", "Areavoip tenant")
    irontec_base_url: str = _var("IRONTEC_BASE_URL", _url, "", "Irontec ApiRest base URL")
    irontec_user: str = _var("IRONTEC_USER", _str, "", "Irontec API user")
    irontec_password: str = _var("IRONTEC_PASSWORD", _str, "", "Irontec API password")
    ami_host: str = _var("AMI_HOST", _str, "", "Asterisk manager host")
    ami_port: int = _var("AMI_PORT", _int_in(1, 65535), "5038", "Asterisk manager port")
    ami_user: str = _var("AMI_USER", _str, "", "Asterisk manager user")
    ami_secret: str = _var("AMI_SECRET", _str, "", "Asterisk manager secret")
    ami_interface_template: str = _var("AMI_INTERFACE", _nonempty, "PJSIP/{extension}",
                                       "queue member interface for an extension")
    sim_traffic: bool = _var("SIM_TRAFFIC", _bool, "false",
                             "run the simulated caller traffic (make run turns it on)")
    sim_calls_per_hour: float = _var("SIM_CALLS_PER_HOUR", _positive_float, "60",
                                     "simulated arrival rate")
    sim_talk_seconds: float = _var("SIM_TALK_SECONDS", _positive_float, "180",
                                   "mean simulated talk time")
    sim_patience_seconds: float = _var("SIM_PATIENCE_SECONDS", _positive_float, "90",
                                       "mean simulated caller patience")
    sim_seed: int = _var("SIM_SEED", _int_in(0, 2**31 - 1), "7", "seed of the traffic simulator")
    logout_reason_required: bool = _var("LOGOUT_REASON_REQUIRED", _bool, "false",
                                        "refuse /logout without a reason")

    @classmethod
    def variables(cls) -> list[Var]:
        return [f.metadata["var"] for f in fields(cls)]

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        app_yaml: Path | None = APP_YAML,
    ) -> Settings:
        """Read app.yaml defaults, then the environment; raise SettingsError on any problem."""
        environ = os.environ if environ is None else environ
        defaults = read_app_yaml_env(app_yaml) if app_yaml else {}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            var: Var = f.metadata["var"]
            raw = environ.get(var.env, defaults.get(var.env, var.default))
            if raw is None:
                problems.append(f"{var.env} is missing: {var.doc}")
                continue
            try:
                values[f.name] = var.parse(str(raw))
            except ValueError as exc:
                problems.append(f"{var.env}={raw!r} is malformed: {exc}")
        if problems:
            raise SettingsError(problems)
        settings = cls(**values)
        problems = settings._cross_checks()
        if problems:
            raise SettingsError(problems)
        return settings

    def replace(self, **changes: Any) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)

    def _cross_checks(self) -> list[str]:
        needs: dict[str, list[tuple[str, str]]] = {
            "areavoip": [("AREAVOIP_BASE_URL", self.areavoip_base_url),
                         ("AREAVOIP_API_KEY", self.areavoip_api_key),
                         ("AREAVOIP_TENANT", self.areavoip_tenant)],
            "irontec": [("IRONTEC_BASE_URL", self.irontec_base_url),
                        ("IRONTEC_USER", self.irontec_user),
                        ("IRONTEC_PASSWORD", self.irontec_password)],
            "asterisk": [("AMI_HOST", self.ami_host), ("AMI_USER", self.ami_user),
                         ("AMI_SECRET", self.ami_secret)],
        }
        return [
            f"{env} is missing: required when PBX_BACKEND={self.pbx_backend}"
            for env, value in needs.get(self.pbx_backend, [])
            if not value
        ]


def read_app_yaml_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    env = data.get("env_variables") or {}
    if not isinstance(env, dict):
        raise SettingsError([f"{path}: env_variables must be a mapping"])
    return {str(k): "" if v is None else str(v) for k, v in env.items()}
