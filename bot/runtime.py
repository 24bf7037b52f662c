"""The composition root's parts: settings → engine, sessions, clients, dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.settings import Settings
from commands import COMMANDS
from commands.core import Services
from commands.dispatch import Dispatcher
from integrations.clock import SystemClock
from store.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    dispatcher: Dispatcher

    @property
    def engine(self) -> Engine:
        bind = self.services.sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    return Services(
        sessions=make_sessionmaker(engine),
        settings=settings,
        clock=SystemClock(settings.timezone),
    )


def build_runtime(settings: Settings, services: Services | None = None) -> Runtime:
    services = services or build_services(settings)
    return Runtime(settings=settings, services=services,
                   dispatcher=Dispatcher(COMMANDS, services))
