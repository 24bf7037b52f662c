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
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from store.i18n import LANGUAGES
from store.i18n import normalise as normalise_language

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


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_time(raw: str) -> tuple[int, time] | None:
    """'fri 15:00' → (4, 15:00): a weekday (its first three letters) and a time; None for
    empty. Raises ValueError for anything else."""
    if not raw.strip():
        return None
    parts = raw.lower().split()
    problem = ValueError("expected a weekday and a time, as 'fri 15:00' (mon … sun)")
    if len(parts) != 2 or parts[0][:3] not in WEEKDAYS:
        raise problem
    try:
        return WEEKDAYS.index(parts[0][:3]), time.fromisoformat(parts[1].zfill(5))
    except ValueError:
        raise problem from None


def _weekly(raw: str) -> str:
    weekly_time(raw)
    return raw.strip()


def _zone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Madrid") from None


def _zone_name(raw: str) -> str:
    """An IANA zone name or empty (kept as text: empty means "the team's zone")."""
    if raw.strip():
        _zone(raw)
    return raw.strip()


def _hhmm(raw: str) -> str:
    """HH:MM or empty."""
    value = raw.strip()
    if value:
        hours, sep, minutes = value.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
                and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("expected a time of day as HH:MM, e.g. 18:10")
    return value


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


def _language(raw: str) -> str:
    """A language Switchboard speaks: ``ca``, or as locales and GNU's LANGUAGE list write
    it (``pt_BR``, ``ca:es``: the first one spoken)."""
    for item in raw.split(":"):
        if (code := normalise_language(item)) is not None:
            return code
    raise ValueError("expected one of " + ", ".join(LANGUAGES))


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
    # Each variable's doc is its line in docs/configuration.md (`make docs` writes the page).
    # --- core ---
    database_url: str = _var("DATABASE_URL", _database_url, "sqlite:///switchboard.db",
                             "the store: an SQLite file (sqlite:///PATH) or "
                             "postgresql+psycopg://USER@HOST:PORT/DB")
    timezone: ZoneInfo = _var("TIMEZONE", _zone, "Europe/Madrid", "the team's IANA time zone")
    language: str = _var("LANGUAGE", _language, "en",
                         "the team's language: the team space's, and anyone's who has chosen "
                         "none and whose chat platform says none (en, ca, es or pt)")
    host: str = _var("SWITCHBOARD_HOST", _nonempty, "127.0.0.1",
                     "address `run` and `serve` listen on")
    port: int = _var("SWITCHBOARD_PORT", _int_in(0, 65535), "8080",
                     "port `run` and `serve` listen on (0: any free port)")
    log_level: str = _var("LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info",
                          "logging level: debug, info, warning or error")
    log_format: str = _var("LOG_FORMAT", _choice("text", "json"), "text",
                           "log lines: text (for a console) or json (one JSON object per "
                           "line, for a log collector)")
    metrics_token: str = _var("METRICS_TOKEN", _str, "",
                              "bearer token GET /metrics asks for (with neither this nor "
                              "METRICS_PORT, /metrics is not served)")
    metrics_port: int = _var("METRICS_PORT", _int_in(0, 65535), "0",
                             "a second port gunicorn listens on, the only one serving "
                             "/metrics (0: none; keep it off the load balancer)")
    background_jobs: bool = _var("BACKGROUND_JOBS", _bool, "true",
                                 "run the scheduler (outbox delivery, reminders, simulator) "
                                 "inside the web process")
    access_contact: str = _var("ACCESS_CONTACT", _str, "",
                               "who strangers are told to ask for access (empty: the admins "
                               "in the store)")
    default_region: str = _var("PHONE_REGION", _nonempty, "ES",
                               "region used to read national phone numbers, e.g. ES or BR")
    # --- chat doors and proactive delivery ---
    team_space: str = _var("TEAM_SPACE", _space, "",
                           "the team's space: google:spaces/AAAA, slack:C0123 or "
                           "console:NAME (empty: the console)")
    coordinators_space: str = _var("COORDINATORS_SPACE", _space, "",
                                   "the coordinators' space, written as TEAM_SPACE (empty: "
                                   "the console)")
    google_chat_auth_mode: str = _var(
        "GOOGLE_CHAT_AUTH_MODE", _choice("project_number", "endpoint_url", "addon"),
        "project_number",
        "how Google Chat bearer tokens are verified: project_number, endpoint_url or addon")
    google_chat_audience: str = _var("GOOGLE_CHAT_AUDIENCE", _str, "",
                                     "the token audience: the project number "
                                     "(project_number), or the endpoint's exact HTTPS URL")
    google_chat_addon_email: str = _var("GOOGLE_CHAT_ADDON_EMAIL", _str, "",
                                        "addon mode: the add-on's service account, "
                                        "service-…@gcp-sa-gsuiteaddons.iam.gserviceaccount.com")
    google_chat_certs_url: str = _var("GOOGLE_CHAT_CERTS_URL", _url, "",
                                      "where token signing keys are fetched (empty: Google's; "
                                      "tests)")
    google_chat_commands: dict[int, str] = _var("GOOGLE_CHAT_COMMANDS", _command_map, "",
                                                "slash command ids, e.g. "
                                                "1=pause,2=resume,3=queue")
    google_chat_service_account_file: str = _var("GOOGLE_CHAT_SERVICE_ACCOUNT_FILE", _str, "",
                                                 "service account key for the Chat API; "
                                                 "Google Chat delivery is on when set")
    google_chat_api_endpoint: str = _var("GOOGLE_CHAT_API_ENDPOINT", _url, "",
                                         "Chat API endpoint override (empty: Google's; tests)")
    slack_signing_secret: str = _var("SLACK_SIGNING_SECRET", _str, "",
                                     "Slack request signing secret (empty: /slack/events "
                                     "refuses every request)")
    slack_bot_token: str = _var("SLACK_BOT_TOKEN", _str, "",
                                "Slack bot token (xoxb-…); Slack delivery is on when set")
    slack_api_url: str = _var("SLACK_API_URL", _url, "",
                              "Slack Web API base URL override (empty: Slack's; tests)")
    outbox_max_attempts: int = _var("OUTBOX_MAX_ATTEMPTS", _int_in(1, 100), "8",
                                    "delivery attempts before a message is dead-lettered")
    outbox_threads: int = _var("OUTBOX_THREADS", _int_in(1, 64), "8",
                               "messages sent at once per chat platform (each thread its own "
                               "HTTP client)")
    # --- PBX ---
    pbx_backend: str = _var("PBX_BACKEND", _choice("sim", "areavoip", "irontec", "asterisk"),
                            "sim", "which PBX to drive: sim, areavoip, irontec or asterisk")
    pbx_queue: str = _var("PBX_QUEUE", _nonempty, "support", "the PBX queue name or id")
    pbx_timeout: float = _var("PBX_TIMEOUT", _positive_float, "3", "seconds per PBX request")
    areavoip_base_url: str = _var("AREAVOIP_BASE_URL", _url, "",
                                  "Areavoip proxyapi.php URL (required with areavoip)")
    areavoip_api_key: str = _var("AREAVOIP_API_KEY", _str, "",
                                 "Areavoip API key (required with areavoip)")
    areavoip_tenant: str = _var("AREAVOIP_TENANT", _str, "",
                                "Areavoip tenant (required with areavoip)")
    irontec_base_url: str = _var("IRONTEC_BASE_URL", _url, "",
                                 "Irontec ApiRest base URL (required with irontec)")
    irontec_user: str = _var("IRONTEC_USER", _str, "",
                             "Irontec API user (required with irontec)")
    irontec_password: str = _var("IRONTEC_PASSWORD", _str, "",
                                 "Irontec API password (required with irontec)")
    ami_host: str = _var("AMI_HOST", _str, "", "Asterisk manager host (required with asterisk)")
    ami_port: int = _var("AMI_PORT", _int_in(1, 65535), "5038", "Asterisk manager port")
    ami_user: str = _var("AMI_USER", _str, "", "Asterisk manager user (required with asterisk)")
    ami_secret: str = _var("AMI_SECRET", _str, "",
                           "Asterisk manager secret (required with asterisk)")
    ami_interface_template: str = _var("AMI_INTERFACE", _nonempty, "PJSIP/{extension}",
                                       "the queue member interface of an extension, with "
                                       "{extension} once")
    ami_events: bool = _var("AMI_EVENTS", _bool, "true",
                            "listen to Asterisk's events on a second manager session (the "
                            "outcome of each \"Call now\"); needs the call and agent classes")
    sim_traffic: bool = _var("SIM_TRAFFIC", _bool, "false",
                             "simulated callers on the sim PBX (make run turns it on)")
    sim_calls_per_hour: float = _var("SIM_CALLS_PER_HOUR", _positive_float, "60",
                                     "the simulator's arrival rate (calls per hour)")
    sim_talk_seconds: float = _var("SIM_TALK_SECONDS", _positive_float, "180",
                                   "the simulator's mean talk time (seconds)")
    sim_patience_seconds: float = _var("SIM_PATIENCE_SECONDS", _positive_float, "90",
                                       "the simulated callers' mean patience (seconds)")
    sim_seed: int = _var("SIM_SEED", _int_in(0, 2**31 - 1), "7", "seed of the traffic simulator")
    logout_reason_required: bool = _var("LOGOUT_REASON_REQUIRED", _bool, "false",
                                        "refuse /logout without a reason")
    # --- limits and retention (speed and hostile input) ---
    max_command_chars: int = _var("MAX_COMMAND_CHARS", _int_in(1, 100_000), "4000",
                                  "longest chat message or command text accepted (\"too "
                                  "long\" beyond)")
    max_content_length: int = _var("MAX_CONTENT_LENGTH", _int_in(1024, 100_000_000),
                                   "1000000", "largest HTTP request body accepted, in bytes "
                                   "(413 beyond)")
    import_max_bytes: int = _var("IMPORT_MAX_BYTES", _int_in(1, 1_000_000_000), "5000000",
                                 "largest YAML or CSV file an import reads (bytes; a "
                                 "queue_log and a directory CSV are streamed, any size)")
    audit_retention_days: int = _var("AUDIT_RETENTION_DAYS", _int_in(1, 36500), "400",
                                     "days the audit trail is kept (pruned daily)")
    inbound_retention_hours: int = _var("INBOUND_RETENTION_HOURS", _int_in(1, 8760), "24",
                                        "hours redelivery keys of chat events are kept")
    outbox_retention_days: int = _var("OUTBOX_RETENTION_DAYS", _int_in(1, 36500), "30",
                                      "days sent outbox messages are kept (pruned daily; "
                                      "failed ones stay)")
    public_url: str = _var("PUBLIC_URL", _url, "",
                           "the HTTPS address people reach this app at (calendar and chart "
                           "links); defaults to http://SWITCHBOARD_HOST:SWITCHBOARD_PORT")
    secret_key: str = _var("SECRET_KEY", _str, "",
                           "signs calendar and chart links and the desk's session cookie: a "
                           "long random value, required to serve (only `make run` works "
                           "without one, with a development key)")
    # --- the desk (the web console under /desk) ---
    desk_google_client_id: str = _var("DESK_GOOGLE_CLIENT_ID", _str, "",
                                      "the desk's Google OAuth client id (empty: no Google "
                                      "sign-in; `make run` prints a one-time link instead)")
    desk_google_client_secret: str = _var("DESK_GOOGLE_CLIENT_SECRET", _str, "",
                                          "the desk's Google OAuth client secret")
    desk_oidc_discovery_url: str = _var(
        "DESK_OIDC_DISCOVERY_URL", _url,
        "https://accounts.google.com/.well-known/openid-configuration",
        "the OpenID provider's discovery document (Google's; tests use a local one)")
    desk_session_hours: int = _var("DESK_SESSION_HOURS", _int_in(1, 720), "12",
                                   "hours a desk sign-in lasts")
    desk_wall_frame_ancestors: str = _var("DESK_WALL_FRAME_ANCESTORS", _str, "",
                                          "origins allowed to frame the wall board, "
                                          "space-separated (empty: none may)")
    # --- shifts, absences, holidays, scheduler leadership ---
    holidays_country: str = _var("HOLIDAYS_COUNTRY", _str, "ES",
                                 "country of the public holidays (holidays library), or "
                                 "empty for none")
    holidays_subdiv: str = _var("HOLIDAYS_SUBDIV", _str, "",
                                "subdivision of the public holidays, e.g. CT")
    hr_backend: str = _var("HR_BACKEND", _choice("local", "odoo"), "local",
                           "where absences come from: local (the store, `absences import`) "
                           "or odoo")
    odoo_url: str = _var("ODOO_URL", _url, "",
                         "Odoo base URL: one JSON-RPC client (/jsonrpc) for both Odoo "
                         "backends; the four ODOO_ values are required with HR_BACKEND=odoo "
                         "or DIRECTORY_BACKEND=odoo")
    odoo_database: str = _var("ODOO_DATABASE", _str, "", "Odoo database name")
    odoo_user: str = _var("ODOO_USER", _str, "", "Odoo login")
    odoo_password: str = _var("ODOO_PASSWORD", _str, "", "Odoo password or API key")
    odoo_timeout: float = _var("ODOO_TIMEOUT", _positive_float, "10",
                               "seconds per Odoo request")
    shift_notice_minutes: int = _var("SHIFT_NOTICE_MINUTES", _int_in(0, 120), "5",
                                     "minutes before a turn boundary the change is announced")
    offline_check_seconds: int = _var("OFFLINE_CHECK_SECONDS", _int_in(5, 3600), "60",
                                      "how often agents on turn are checked for connection")
    offline_grace_seconds: int = _var("OFFLINE_GRACE_SECONDS", _int_in(0, 86400), "120",
                                      "how long an agent on turn may be disconnected before "
                                      "it is reported")
    plan_apart: bool = _var("PLAN_APART", _bool, "true",
                            "solve each week plan in a child process that exits afterwards, "
                            "so a serving process never keeps the solver's memory")
    alert_check_seconds: int = _var("ALERT_CHECK_SECONDS", _int_in(5, 3600), "30",
                                    "how often the live alerts look at the queue")
    alert_ring_no_answer: int = _var("ALERT_RING_NO_ANSWER", _int_in(0, 100), "3",
                                     "calls in a row an agent lets ring out before they are "
                                     "told (twice as many: the coordinators too); 0: off")
    alert_ring_no_answer_pause: bool = _var("ALERT_RING_NO_ANSWER_PAUSE", _bool, "false",
                                            "also pause an agent who let that many calls "
                                            "ring out")
    alert_waiting_callers: int = _var("ALERT_WAITING_CALLERS", _int_in(0, 10000), "5",
                                      "callers waiting that put the queue under pressure; "
                                      "0: off")
    alert_wait_seconds: int = _var("ALERT_WAIT_SECONDS", _int_in(0, 86400), "120",
                                   "a longest wait that puts the queue under pressure; 0: off")
    alert_unavailable_agents: int = _var("ALERT_UNAVAILABLE_AGENTS", _int_in(1, 10000), "2",
                                         "agents on turn paused or offline for the pressure "
                                         "alert to name them")
    alert_service_level: int = _var("ALERT_SERVICE_LEVEL", _int_in(0, 100), "80",
                                    "service level target (%) of the last 30 minutes; "
                                    "heard at most once per turn; 0: off")
    alert_pressure_to: str = _var("ALERT_PRESSURE_TO", _choice("team", "coordinators"), "team",
                                  "who hears the queue-under-pressure alert")
    alert_nobody_to: str = _var("ALERT_NOBODY_TO", _choice("team", "coordinators"), "team",
                                "who hears the nobody-in-the-queue alert")
    alert_service_level_to: str = _var("ALERT_SERVICE_LEVEL_TO",
                                       _choice("team", "coordinators"), "coordinators",
                                       "who hears the service-level alert")
    leader_ttl_seconds: int = _var("LEADER_TTL_SECONDS", _int_in(2, 3600), "30",
                                   "how soon a dead scheduler leader is replaced")
    misfire_grace_seconds: int = _var("MISFIRE_GRACE_SECONDS", _int_in(0, 86400), "300",
                                      "a clock job missed by less than this (a restart) still "
                                      "runs, once; older ones are skipped and logged")
    tasks_token: str = _var("TASKS_TOKEN", _str, "",
                            "bearer token for POST /tasks/<job> (refused when empty)")
    trust_appengine_headers: bool = _var("TRUST_APPENGINE_HEADERS", _bool, "false",
                                         "accept X-Appengine-Cron: true on /tasks/<job> (only "
                                         "behind App Engine, which strips it from outside "
                                         "requests)")
    gae_env: str = _var("GAE_ENV", _str, "",
                        "set by App Engine itself; there the database must be PostgreSQL "
                        "(an SQLite DATABASE_URL stops the start-up)")
    # --- call statistics ---
    pbx_timezone_name: str = _var("PBX_TIMEZONE", _zone_name, "",
                                  "the PBX's IANA time zone for its local times (Areavoip "
                                  "CDRs, the realtime queue_log export); empty: TIMEZONE")
    helpline_numbers: str = _var("HELPLINE_NUMBERS", _str, "",
                                 "the helpline's own numbers, comma-separated: Areavoip calls "
                                 "to other numbers of the tenant are not statistics (empty: "
                                 "every inbound call)")
    irontec_stats_url: str = _var("IRONTEC_STATS_URL", _url, "",
                                  "Irontec statistics Elasticsearch URL (basic auth)")
    irontec_stats_user: str = _var("IRONTEC_STATS_USER", _str, "",
                                   "Irontec statistics user")
    irontec_stats_password: str = _var("IRONTEC_STATS_PASSWORD", _str, "",
                                       "Irontec statistics password")
    irontec_stats_index: str = _var("IRONTEC_STATS_INDEX", _nonempty, "sharedstats",
                                    "Irontec statistics index")
    pbx_webhook_secret: str = _var("PBX_WEBHOOK_SECRET", _str, "",
                                   "HMAC secret of POST /pbx/events (refused when empty)")
    short_abandon_seconds: int = _var("SHORT_ABANDON_SECONDS", _int_in(0, 3600), "5",
                                      "abandons that waited less are short: counted apart, "
                                      "neither offered nor abandoned")
    service_level_seconds: int = _var("SERVICE_LEVEL_SECONDS", _int_in(1, 3600), "20",
                                      "the service level threshold (answered within it, "
                                      "inclusive)")
    daily_report_time: str = _var("DAILY_REPORT_TIME", _hhmm, "",
                                  "HH:MM of the daily stats (empty: the day's last turn "
                                  "boundary + 10 min, or 18:00 on a day without turns)")
    pbx_sync_at: str = _var("PBX_SYNC_AT", _weekly, "",
                            "when the pbx-sync job applies pbx sync every week, as 'fri "
                            "15:00' (mon … sun); empty: never (the default)")
    asterisk_pjsip_include: str = _var("ASTERISK_PJSIP_INCLUDE", _str, "",
                                       "path of the PJSIP include file pbx sync writes "
                                       "Asterisk's users to (empty: pbx sync is not offered)")
    asterisk_queue_log: str = _var("ASTERISK_QUEUE_LOG", _str, "",
                                   "path of the PBX's queue_log file: the asterisk backend's "
                                   "call records (empty: import it with the CLI)")
    # --- callbacks and the IVR API ---
    callback_horizon_days: int = _var("CALLBACK_HORIZON_DAYS", _int_in(1, 365), "7",
                                      "callbacks can be booked up to this many days ahead "
                                      "(the last day whole)")
    callback_min_lead_minutes: int = _var("CALLBACK_MIN_LEAD_MINUTES", _int_in(0, 1440), "15",
                                          "and no sooner than this many minutes from now")
    callback_retry_minutes: int = _var("CALLBACK_RETRY_MINUTES", _int_in(1, 1440), "15",
                                       "minutes after a no answer before the next attempt")
    callback_max_attempts: int = _var("CALLBACK_MAX_ATTEMPTS", _int_in(1, 20), "3",
                                      "attempts before a callback fails (the coordinators "
                                      "are told)")
    callback_expiry_minutes: int = _var("CALLBACK_EXPIRY_MINUTES", _int_in(1, 10080), "60",
                                        "a due callback nobody took within this many minutes "
                                        "of its time expires (the coordinators are told)")
    ivr_rate_per_minute: int = _var("IVR_RATE_PER_MINUTE", _int_in(1, 1_000_000), "600",
                                    "IVR API requests per key per minute, all workers and "
                                    "replicas together: exact under 200, otherwise at most "
                                    "1 % over per process")
    callback_dial_context: str = _var("CALLBACK_DIAL_CONTEXT", _nonempty, "from-internal",
                                      "Asterisk dialplan context a callback's Call now "
                                      "dials the customer from")
    # --- caller identification ---
    directory_backend: str = _var("DIRECTORY_BACKEND", _choice("local", "odoo"), "local",
                                  "where callers are identified: local (the store) or odoo")
    lookup_max_results: int = _var("LOOKUP_MAX_RESULTS", _int_in(1, 500), "20",
                                   "accounts a lookup may show before asking to narrow it")
    crm_url: str = _var("CRM_URL", _url, "",
                        "web address that operations with a relative URL template open "
                        "(default: ODOO_URL with the Odoo directory)")

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
        problems = [
            f"{env} is missing: required when PBX_BACKEND={self.pbx_backend}"
            for env, value in needs.get(self.pbx_backend, [])
            if not value
        ]
        for backend in ("HR_BACKEND", "DIRECTORY_BACKEND"):
            if getattr(self, backend.lower()) != "odoo":
                continue
            problems += [f"{env} is missing: required when {backend}=odoo"
                         for env, value in (("ODOO_URL", self.odoo_url),
                                            ("ODOO_DATABASE", self.odoo_database),
                                            ("ODOO_USER", self.odoo_user),
                                            ("ODOO_PASSWORD", self.odoo_password)) if not value]
        from store.shifts.calendar_days import check_country

        if (holidays := check_country(self.holidays_country, self.holidays_subdiv)) is not None:
            problems.append(holidays)
        if self.gae_env and self.database_url.startswith("sqlite"):
            problems.append(f"DATABASE_URL={self.database_url!r} is SQLite, but this is App "
                            f"Engine (GAE_ENV={self.gae_env!r}): an instance's disk is not a "
                            "database; use PostgreSQL (Cloud SQL)")
        return problems


    def serving_problems(self, *, local: bool = False) -> list[str]:
        """What stops this configuration from serving HTTP; ``local`` is ``make run``
        (``switchboard run``: the demo on this machine), where an empty SECRET_KEY means
        the public development key — but never on App Engine (GAE_ENV)."""
        from commands.links import DEVELOPMENT_KEY

        key = self.secret_key.strip()
        if local and not self.gae_env and not key:
            return []
        how = ("set a long random value, e.g. the output of "
               "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
        if not key:
            return [f"SECRET_KEY is empty: it signs calendar and chart links, and with the "
                    f"public development key anyone could forge them; {how} (only `make "
                    "run`, on this machine, works without one)"]
        if key == DEVELOPMENT_KEY:
            return [f"SECRET_KEY is the public development key: anyone could forge calendar "
                    f"and chart links; {how}"]
        return []


def read_app_yaml_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    env = data.get("env_variables") or {}
    if not isinstance(env, dict):
        raise SettingsError([f"{path}: env_variables must be a mapping"])
    return {str(k): "" if v is None else str(v) for k, v in env.items()}
