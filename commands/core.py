"""The command contract: Context in, Reply out, declared once, enforced by the dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from integrations.clock import Clock
from integrations.pbx import Pbx
from store.people import Person, Role

# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Button:
    """A button that runs ``/command args`` as the person who clicks it."""

    label: str
    command: str
    args: str = ""

    @property
    def text(self) -> str:
        return f"/{self.command} {self.args}".strip()


@dataclass(frozen=True)
class Section:
    title: str | None = None
    text: str | None = None
    rows: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    image_url: str | None = None


@dataclass(frozen=True)
class Reply:
    """Platform-neutral answer. Text is plain (no markup); adapters do the formatting."""

    text: str
    sections: tuple[Section, ...] = ()
    private: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "private": self.private,
            "sections": [
                {
                    "title": s.title,
                    "text": s.text,
                    "rows": [list(r) for r in s.rows],
                    "buttons": [{"label": b.label, "command": b.command, "args": b.args}
                                for b in s.buttons],
                    "image_url": s.image_url,
                }
                for s in self.sections
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=str(data.get("text", "")),
            private=bool(data.get("private", False)),
            sections=tuple(
                Section(
                    title=s.get("title"),
                    text=s.get("text"),
                    rows=tuple((str(k), str(v)) for k, v in s.get("rows", [])),
                    buttons=tuple(Button(**b) for b in s.get("buttons", [])),
                    image_url=s.get("image_url"),
                )
                for s in data.get("sections", [])
            ),
        )


# --------------------------------------------------------------------------- errors


class CommandError(Exception):
    """A command could not do what was asked; the message is shown to the asker as is."""

    outcome = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CommandError):
    """The arguments were wrong; the reply adds the command's usage."""

    outcome = "usage"


class Denied(CommandError):
    """The asker may not do this (beyond the command's declared role)."""

    outcome = "denied"


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class Where:
    platform: str  # console | google | slack | clock
    space: str | None = None
    thread: str | None = None
    is_dm: bool = True


@dataclass(frozen=True)
class Context:
    person: Person
    command: str
    text: str
    arg_text: str
    args: tuple[str, ...]
    where: Where
    now: datetime
    # Every command the dispatcher knows (what /help lists); commands never import the registry.
    commands: tuple[Command, ...] = ()

    @property
    def role(self) -> Role:
        return self.person.role_enum


class Config(Protocol):
    """What commands read from the settings (bot.settings.Settings satisfies it)."""

    @property
    def timezone(self) -> tzinfo: ...
    @property
    def access_contact(self) -> str: ...
    @property
    def pbx_timeout(self) -> float: ...
    @property
    def logout_reason_required(self) -> bool: ...
    # Call statistics.
    @property
    def default_region(self) -> str: ...
    @property
    def pbx_queue(self) -> str: ...
    @property
    def pbx_timezone_name(self) -> str: ...
    @property
    def ami_interface_template(self) -> str: ...
    @property
    def short_abandon_seconds(self) -> int: ...
    @property
    def service_level_seconds(self) -> int: ...
    @property
    def daily_report_time(self) -> str: ...
    @property
    def import_max_bytes(self) -> int: ...
    # Signed links (commands.links): chart images.
    @property
    def secret_key(self) -> str: ...
    @property
    def public_url(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


TEAM, COORDINATORS = "team", "coordinators"


def person_target(person: Person) -> str:
    return f"person:{person.key}"


class Notifier(Protocol):
    """Proactive messages. ``send`` writes an outbox row in the caller's transaction;
    delivery happens after commit, with retries. Targets: ``team``, ``coordinators``,
    ``person:KEY``. A key already used is not sent again (returns False)."""

    def send(self, session: Session, target: str, reply: Reply, *, key: str) -> bool: ...


@dataclass
class Services:
    """Everything a command may use; built once by the composition root."""

    sessions: sessionmaker[Session]
    settings: Config
    clock: Clock
    pbx: Pbx
    notifier: Notifier


CommandFn = Callable[[Context, Services], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    run: CommandFn
    summary: str
    usage: str
    role: Role = Role.AGENT
    # Other names and plain phrases that run it: "pausa", "pause me", "who is on shift".
    aliases: tuple[str, ...] = ()

    def allowed(self, person: Person) -> bool:
        return person.role_enum.allows(self.role)
