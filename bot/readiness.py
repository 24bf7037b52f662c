"""Deep readiness: is every system Switchboard talks to answering, and how fast?

``/readyz`` (the load balancers') asks only the database. ``/readyz?deep=1`` and
``switchboard doctor`` also ask the PBX, the HR system, the directory and the chat
platforms' token endpoints. Every check runs in a thread of its own and gets
``DEADLINE`` seconds; the whole answer comes within that (plus the database check), so
well inside 3 s. A check that did not finish is a failure ("no answer within …"), its
thread left to end on its own client timeout. A part that is not configured (no Slack
token, a local directory) is reported as skipped, never as a failure.

Each failure carries a fix: the settings to look at, in words.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.runtime import Runtime, build_pbx
from bot.settings import Settings
from integrations.errors import IntegrationError
from integrations.odoo import OdooClient
from integrations.pbx import PbxError, PbxUnreachable
from integrations.pbx.asterisk.events import CONNECTED
from store.migrate import pending_reason

DEADLINE = 2.5  # seconds each check gets; /readyz?deep=1 answers within 3 s
MEASURE_TIMEOUT = 10.0  # doctor: how long it waits to tell how slow a slow PBX is


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | failed | skipped
    detail: str
    seconds: float
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "detail": self.detail,
                               "seconds": round(self.seconds, 3)}
        if self.fix:
            out["fix"] = self.fix
        return out


class Skip(Exception):
    """Not configured: nothing to check."""


@dataclass(frozen=True)
class Probe:
    name: str
    run: Callable[[], str]  # the detail of a success; raises on failure, Skip when not set
    fix: Callable[[BaseException | None], str]  # None: it did not answer in time


# --------------------------------------------------------------------------- the probes


PBX_WHERE = {"areavoip": "AREAVOIP_BASE_URL", "irontec": "IRONTEC_BASE_URL",
             "asterisk": "AMI_HOST and AMI_PORT", "sim": "DATABASE_URL"}
PBX_LOGIN = {"areavoip": "AREAVOIP_API_KEY and AREAVOIP_TENANT",
             "irontec": "IRONTEC_USER and IRONTEC_PASSWORD",
             "asterisk": "AMI_USER and AMI_SECRET", "sim": ""}
ODOO_FIX = ("check ODOO_URL (reachable from this host), ODOO_DATABASE, ODOO_USER and "
            "ODOO_PASSWORD; ODOO_TIMEOUT={timeout:g}")


def probes(runtime: Runtime, http: httpx.Client) -> list[Probe]:
    settings, services = runtime.settings, runtime.services
    backend = settings.pbx_backend

    def pbx() -> str:
        members = services.pbx.queue_status()
        return f"{backend}: {len(members)} members in queue {settings.pbx_queue}"

    def pbx_fix(exc: BaseException | None) -> str:
        if isinstance(exc, PbxError) and exc.code == "auth":
            return f"the PBX refused the login: check {PBX_LOGIN[backend]}"
        if isinstance(exc, PbxError) and exc.code == "no_such_queue":
            return f"PBX_QUEUE={settings.pbx_queue!r} is not a queue on this PBX"
        if exc is None or isinstance(exc, PbxUnreachable):
            return (f"check that {PBX_WHERE[backend]} points at the PBX and that it is "
                    f"reachable from this host; PBX_TIMEOUT={settings.pbx_timeout:g}")
        return f"the PBX answered with an error: check {PBX_LOGIN[backend] or 'the PBX'}"

    def pbx_events() -> str:
        stream = runtime.pbx_events
        if stream is None:
            raise Skip("no PBX event stream in this process (Asterisk with AMI_EVENTS only, "
                       "started with the background work)")
        status = stream.status
        if status.state != CONNECTED:
            raise PbxUnreachable(f"AMI event session {status.state}: "
                                 f"{status.error or 'not connected yet'}")
        return f"AMI event session connected; {status.events} events handled"

    def odoo_version(backend: object, local: str) -> tuple[OdooClient, str]:
        client = getattr(backend, "client", None)
        if not isinstance(client, OdooClient):
            raise Skip(local)
        answer = client.call("common", "version", [])  # asked every time, never cached
        found = answer.get("server_version") if isinstance(answer, dict) else None
        return client, f"Odoo {found or '(version not stated)'}"

    def hr() -> str:
        client, version = odoo_version(
            services.hr, "local: absences from the store and the holidays library")
        uid = client.call("common", "login", [client.database, client.user, client.password])
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise IntegrationError("Odoo", f"login refused for {client.user!r} on database "
                                           f"{client.database!r}")
        return f"{version}, logged in as uid {uid}"

    def directory() -> str:
        return odoo_version(services.directory, "local: the store's directory")[1]

    def odoo_fix(exc: BaseException | None) -> str:
        return ODOO_FIX.format(timeout=settings.odoo_timeout)

    def google_tokens() -> str:
        if not settings.google_chat_audience:
            raise Skip("GOOGLE_CHAT_AUDIENCE is empty: the Google Chat door is off")
        from bot.doors.google_chat.auth import CHAT_CERTS_URL, GOOGLE_CERTS_URL

        url = settings.google_chat_certs_url or (
            CHAT_CERTS_URL if settings.google_chat_auth_mode == "project_number"
            else GOOGLE_CERTS_URL)
        answer = http.get(url)
        answer.raise_for_status()
        return f"{len(answer.json())} signing keys"

    def google_api() -> str:
        if not settings.google_chat_service_account_file:
            raise Skip("GOOGLE_CHAT_SERVICE_ACCOUNT_FILE is empty: no Chat API delivery")
        import google.auth.transport.requests
        from google.oauth2 import service_account

        from bot.delivery.senders import GOOGLE_CHAT_SCOPE

        load: Any = service_account.Credentials.from_service_account_file
        credentials = load(settings.google_chat_service_account_file,
                           scopes=[GOOGLE_CHAT_SCOPE])
        credentials.refresh(google.auth.transport.requests.Request())
        return "a Chat API access token was issued"

    def slack() -> str:
        if not settings.slack_bot_token:
            raise Skip("SLACK_BOT_TOKEN is empty: no Slack delivery")
        from bot.delivery.senders import SLACK_DEFAULT_API

        base = settings.slack_api_url or SLACK_DEFAULT_API
        answer = http.post(base.rstrip("/") + "/auth.test",
                           headers={"Authorization": f"Bearer {settings.slack_bot_token}"})
        answer.raise_for_status()
        body = answer.json()
        if not body.get("ok"):
            raise IntegrationError("Slack", f"auth.test answered {body.get('error')!r}")
        return f"bot token valid for team {body.get('team', '?')}"

    return [
        Probe("pbx", pbx, pbx_fix),
        Probe("pbx_events", pbx_events, lambda exc: (
            "the event session cannot stay logged in: check AMI_USER and AMI_SECRET and that "
            "the manager user may read the call and agent classes (manager.conf)")),
        Probe("hr", hr, odoo_fix),
        Probe("directory", directory, odoo_fix),
        Probe("google_chat_tokens", google_tokens, lambda exc: (
            "the token signing keys must be reachable over HTTPS from this host (outbound "
            "access to www.googleapis.com, or GOOGLE_CHAT_CERTS_URL)")),
        Probe("google_chat_api", google_api, lambda exc: (
            "check GOOGLE_CHAT_SERVICE_ACCOUNT_FILE (a readable service account key, not "
            "revoked) and outbound HTTPS to oauth2.googleapis.com")),
        Probe("slack", slack, lambda exc: (
            "check SLACK_BOT_TOKEN (xoxb-…, not revoked) and outbound HTTPS to slack.com"
            + (" (SLACK_API_URL)" if settings.slack_api_url else ""))),
    ]


# --------------------------------------------------------------------------- running


def database(runtime: Runtime) -> Check:
    started = time.perf_counter()
    reason = pending_reason(runtime.engine)
    seconds = time.perf_counter() - started
    if reason is None:
        return Check("database", "ok", "reachable and migrated", seconds)
    fix = ("run `switchboard db upgrade`" if "db upgrade" in reason
           else "check DATABASE_URL and that the database server is up and reachable")
    return Check("database", "failed", reason, seconds, fix)


def run_probe(probe: Probe) -> Check:
    started = time.perf_counter()
    try:
        detail = probe.run()
    except Skip as skip:
        return Check(probe.name, "skipped", str(skip), time.perf_counter() - started)
    except Exception as exc:
        message = exc.message if isinstance(exc, IntegrationError) else \
            f"{type(exc).__name__}: {exc}"
        return Check(probe.name, "failed", message[:300], time.perf_counter() - started,
                     probe.fix(exc))
    return Check(probe.name, "ok", detail, time.perf_counter() - started)


def deep(runtime: Runtime, *, deadline: float | None = None) -> list[Check]:
    """The database, then every probe at once, each given ``deadline`` seconds
    (DEADLINE)."""
    deadline = DEADLINE if deadline is None else deadline
    checks = [database(runtime)]
    http = httpx.Client(timeout=deadline)
    found: dict[str, Check] = {}
    listed = probes(runtime, http)

    def run(probe: Probe) -> None:
        found[probe.name] = run_probe(probe)

    threads = [threading.Thread(target=run, args=(p,), name=f"readyz-{p.name}", daemon=True)
               for p in listed]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - (time.perf_counter() - started)))
    for probe in listed:
        check = found.get(probe.name)
        checks.append(check or Check(probe.name, "failed",
                                     f"no answer within {deadline:g} s", deadline,
                                     probe.fix(None)))
    if all(t.ident is not None and not t.is_alive() for t in threads):
        http.close()  # else the late ones still use it; it goes with them
    return checks


def measure_pbx(settings: Settings, runtime: Runtime) -> float | None:
    """Seconds the PBX takes to list the queue with a generous timeout (None: not even
    then) — what doctor says when PBX_TIMEOUT is too short."""
    patient = build_pbx(settings.replace(pbx_timeout=MEASURE_TIMEOUT),
                        runtime.services.sessions, runtime.services.clock)
    started = time.perf_counter()
    try:
        patient.queue_status()
    except PbxUnreachable:
        return None
    except PbxError:
        pass  # it answered, if only to refuse
    return time.perf_counter() - started
