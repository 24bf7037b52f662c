"""The composition root's parts: settings → engine, sessions, clients, dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.delivery.notifier import OutboxNotifier
from bot.settings import Settings
from commands.callbacks.call_outcome import record_call_outcome
from commands.calls.queue_log_import import pbx_zone
from commands.core import Services
from commands.dispatch import Dispatcher
from commands.queue import alerts
from commands.registry import COMMANDS
from integrations.clock import Clock, SystemClock
from integrations.directory import Directory
from integrations.directory.local import LocalDirectory
from integrations.directory.odoo import OdooDirectory
from integrations.hr import Hr
from integrations.hr.local import LocalHr
from integrations.hr.odoo import OdooHr
from integrations.odoo import OdooClient
from integrations.pbx import Pbx
from integrations.pbx.areavoip.backend import AreavoipPbx
from integrations.pbx.asterisk.ami import AmiClient, Message
from integrations.pbx.asterisk.backend import AsteriskPbx, call_outcome
from integrations.pbx.asterisk.events import AmiEventStream
from integrations.pbx.irontec.backend import IrontecPbx
from integrations.pbx.irontec.stats import IrontecStats
from integrations.pbx.sim.backend import SimPbx
from store import i18n
from store.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

STATS_TIMEOUT = 10.0  # seconds: call records are bigger answers than queue status


@dataclass
class Runtime:
    settings: Settings
    services: Services
    dispatcher: Dispatcher
    # The PBX's live event stream, once the background work has started one.
    pbx_events: AmiEventStream | None = None

    @property
    def engine(self) -> Engine:
        bind = self.services.sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings, *, sessions: sessionmaker[Session] | None = None,
                   clock: Clock | None = None) -> Services:
    """Every client from the settings; ``sessions`` and ``clock`` default to an engine on
    DATABASE_URL and the system clock (benchmarks and simulations pass their own)."""
    sessions = sessions or make_sessionmaker(make_engine(settings.database_url))
    clock = clock or SystemClock(settings.timezone)
    i18n.set_team_language(settings.language)
    # One Odoo client serves both Odoo-backed interfaces (HR and the directory).
    odoo = build_odoo(settings) if "odoo" in (settings.hr_backend,
                                              settings.directory_backend) else None
    return Services(
        sessions=sessions,
        settings=settings,
        clock=clock,
        pbx=metrics.MeteredPbx(build_pbx(settings, sessions, clock)),
        notifier=OutboxNotifier(settings, clock),
        directory=build_directory(settings, sessions, odoo),
        hr=build_hr(settings, sessions, odoo),
        on_solve=metrics.planner_solved,
    )


def build_odoo(settings: Settings) -> OdooClient:
    return OdooClient(settings.odoo_url, settings.odoo_database, settings.odoo_user,
                      settings.odoo_password, timeout=settings.odoo_timeout)


def build_hr(settings: Settings, sessions: sessionmaker[Session],
             odoo: OdooClient | None = None) -> Hr:
    """HR_BACKEND: ``local`` (the store and the holidays library) or ``odoo``."""
    if settings.hr_backend == "odoo":
        return OdooHr(odoo or build_odoo(settings), settings.timezone)
    return LocalHr(sessions, settings.timezone, settings.holidays_country,
                   settings.holidays_subdiv)


def build_directory(settings: Settings, sessions: sessionmaker[Session],
                    odoo: OdooClient | None = None) -> Directory:
    """DIRECTORY_BACKEND: ``local`` (the store) or ``odoo`` (res.partner over JSON-RPC)."""
    if settings.directory_backend == "odoo":
        return OdooDirectory(odoo or build_odoo(settings), settings.default_region,
                             settings.crm_url)
    return LocalDirectory(sessions, settings.crm_url)


def build_pbx(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> Pbx:
    if settings.pbx_backend == "areavoip":
        return AreavoipPbx(settings.areavoip_base_url, settings.areavoip_api_key,
                           settings.areavoip_tenant, settings.pbx_queue,
                           timezone=pbx_zone(settings), timeout=settings.pbx_timeout,
                           helpline_numbers=settings.helpline_numbers.split(","),
                           region=settings.default_region)
    if settings.pbx_backend == "irontec":
        stats = None
        if settings.irontec_stats_url:
            stats = IrontecStats(settings.irontec_stats_url, settings.irontec_stats_index,
                                 user=settings.irontec_stats_user,
                                 password=settings.irontec_stats_password,
                                 queue=settings.pbx_queue,
                                 timeout=max(settings.pbx_timeout, STATS_TIMEOUT))
        return IrontecPbx(settings.irontec_base_url, settings.irontec_user,
                          settings.irontec_password, settings.pbx_queue, clock=clock,
                          timeout=settings.pbx_timeout, stats=stats)
    if settings.pbx_backend == "asterisk":
        client = AmiClient(settings.ami_host, settings.ami_port, settings.ami_user,
                           settings.ami_secret, timeout=settings.pbx_timeout,
                           on_state=metrics.ami_state)
        return AsteriskPbx(client, settings.pbx_queue, settings.ami_interface_template,
                           dial_context=settings.callback_dial_context,
                           queue_log=settings.asterisk_queue_log,
                           pjsip_include=settings.asterisk_pjsip_include,
                           queue_log_zone=pbx_zone(settings))
    return SimPbx(sessions, settings.pbx_queue, clock)


def build_pbx_events(settings: Settings, services: Services) -> AmiEventStream | None:
    """The PBX's live event stream where the backend has one (Asterisk, AMI_EVENTS)."""
    if settings.pbx_backend != "asterisk" or not settings.ami_events:
        return None

    # The Asterisk backend reads an event's member as it reads the queue's members.
    extension_of = getattr(services.pbx, "extension_of", None)

    def handle(event: Message) -> None:
        outcome = call_outcome(event)
        if outcome is not None:
            record_call_outcome(services, outcome)
            return
        name = (event.event or "").lower()
        extension = extension_of(event) if extension_of is not None else None
        if extension is None:
            return
        if name == "agentringnoanswer":
            alerts.ring_no_answer(services, extension)
        elif name == "agentconnect":
            alerts.answered(services, extension)

    return AmiEventStream(settings.ami_host, settings.ami_port, settings.ami_user,
                          settings.ami_secret, settings.pbx_timeout, handle)


def build_runtime(settings: Settings, services: Services | None = None) -> Runtime:
    # httpx logs request URLs at INFO, and the Areavoip API key travels in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    services = services or build_services(settings)
    runtime = Runtime(settings=settings, services=services,
                      dispatcher=Dispatcher(COMMANDS, services, observe=metrics.command_done))
    metrics.watch_pool(runtime.engine)
    return runtime
