"""The command contract: Context in, Reply out, declared once, enforced by the dispatcher."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from commands import words
from commands.links import LinkConfig
from integrations.clock import Clock
from integrations.directory import Directory
from integrations.hr import Hr
from integrations.pbx import Pbx

# Delivery priorities (re-exported for commands).
from store.messaging.outbox import ALERT as ALERT
from store.messaging.outbox import BROADCAST as BROADCAST
from store.messaging.outbox import URGENT as URGENT
from store.team.people import Person, Role

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


# A mention inside reply text: MENTION_OPEN + person key + MENTION_CLOSE (private-use
# characters nobody types). Renderers turn it into the platform's own mention.
MENTION_OPEN, MENTION_CLOSE = "\ue000", "\ue001"
_MENTION = re.compile(f"{MENTION_OPEN}([a-z0-9][a-z0-9_.-]{{0,63}}){MENTION_CLOSE}")
_SENTINELS = re.compile(f"[{MENTION_OPEN}{MENTION_CLOSE}]")


@dataclass(frozen=True)
class Mention:
    """A person a reply names: each platform mentions them natively when it can (their
    linked Google Chat or Slack account), and names them in plain text otherwise."""

    key: str
    name: str
    google_id: str | None = None
    slack_id: str | None = None

    @classmethod
    def of(cls, person: Person) -> Mention:
        return cls(person.key, person.name, person.google_chat_id, person.slack_id)

    @property
    def token(self) -> str:
        """What to write in the reply text where the mention goes."""
        return f"{MENTION_OPEN}{self.key}{MENTION_CLOSE}"


def mention(person: Person) -> str:
    """The text that mentions ``person`` (give ``Mention.of(person)`` to the Reply too)."""
    return Mention.of(person).token


@dataclass(frozen=True)
class Reply:
    """Platform-neutral answer. Text is plain (no markup); adapters do the formatting.

    Text (the reply's and its sections') may hold mention tokens (``mention(person)``);
    ``mentions`` says who they are, and ``pieces`` splits text for a renderer."""

    text: str
    sections: tuple[Section, ...] = ()
    private: bool = False
    mentions: tuple[Mention, ...] = ()

    def pieces(self, text: str) -> list[str | Mention]:
        """Plain strings and the Mentions between them. A token naming nobody in
        ``mentions`` becomes ``@key``; stray sentinel characters are dropped."""
        known = {m.key: m for m in self.mentions}
        result: list[str | Mention] = []
        at = 0
        for found in _MENTION.finditer(text):
            result.append(_SENTINELS.sub("", text[at:found.start()]))
            who = known.get(found.group(1))
            result.append(who if who is not None else f"@{_SENTINELS.sub('', found.group(1))}")
            at = found.end()
        result.append(_SENTINELS.sub("", text[at:]))
        return [p for p in result if p != ""]

    def plain(self, text: str, show: Callable[[Mention], str] = lambda m: f"@{m.key}") -> str:
        """``text`` with each mention shown by ``show`` (default ``@key``)."""
        return "".join(p if isinstance(p, str) else show(p) for p in self.pieces(text))

    def sections_shown(self, show: Callable[[Mention], str]) -> tuple[Section, ...]:
        """The sections with each mention in their text shown by ``show`` (for places,
        like Google Chat cards, that cannot mention anyone)."""
        if not self.mentions and not any(MENTION_OPEN in (s.text or "") for s in self.sections):
            return self.sections

        def shown(text: str | None) -> str | None:
            return None if text is None else self.plain(text, show)

        return tuple(Section(title=shown(s.title), text=shown(s.text),
                             rows=tuple((self.plain(k, show), self.plain(v, show))
                                        for k, v in s.rows),
                             buttons=s.buttons, image_url=s.image_url) for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "private": self.private,
            "mentions": [{"key": m.key, "name": m.name, "google_id": m.google_id,
                          "slack_id": m.slack_id} for m in self.mentions],
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
            mentions=tuple(Mention(key=str(m["key"]), name=str(m["name"]),
                                   google_id=m.get("google_id"), slack_id=m.get("slack_id"))
                           for m in data.get("mentions", [])),
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


class Config(LinkConfig, Protocol):
    """What commands read from the settings (bot.settings.Settings satisfies it), signed
    links' settings included."""

    @property
    def timezone(self) -> tzinfo: ...
    @property
    def access_contact(self) -> str: ...
    @property
    def pbx_timeout(self) -> float: ...
    @property
    def logout_reason_required(self) -> bool: ...
    @property
    def max_command_chars(self) -> int: ...
    # Shifts: holidays, notices, offline monitor, signed calendar links.
    @property
    def holidays_country(self) -> str: ...
    @property
    def holidays_subdiv(self) -> str: ...
    @property
    def shift_notice_minutes(self) -> int: ...
    @property
    def offline_grace_seconds(self) -> int: ...
    # The week planner.
    @property
    def plan_apart(self) -> bool: ...
    # Live alerts.
    @property
    def alert_ring_no_answer(self) -> int: ...
    @property
    def alert_ring_no_answer_pause(self) -> bool: ...
    @property
    def alert_waiting_callers(self) -> int: ...
    @property
    def alert_wait_seconds(self) -> int: ...
    @property
    def alert_unavailable_agents(self) -> int: ...
    @property
    def alert_service_level(self) -> int: ...
    @property
    def alert_pressure_to(self) -> str: ...
    @property
    def alert_nobody_to(self) -> str: ...
    @property
    def alert_service_level_to(self) -> str: ...
    # Call statistics.
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
    @property
    def default_region(self) -> str: ...
    @property
    def lookup_max_results(self) -> int: ...
    # Callbacks.
    @property
    def pbx_queue(self) -> str: ...
    @property
    def callback_horizon_days(self) -> int: ...
    @property
    def callback_min_lead_minutes(self) -> int: ...
    @property
    def callback_retry_minutes(self) -> int: ...
    @property
    def callback_max_attempts(self) -> int: ...
    @property
    def callback_expiry_minutes(self) -> int: ...


TEAM, COORDINATORS = "team", "coordinators"


def person_target(person: Person) -> str:
    return f"person:{person.key}"


class Notifier(Protocol):
    """Proactive messages. ``send`` writes an outbox row in the caller's transaction;
    delivery happens after commit, with retries. Targets: ``team``, ``coordinators``,
    ``person:KEY``. A key already used is not sent again (returns False). ``priority``:
    URGENT (the screen pop, an answer someone waits for), ALERT, or BROADCAST."""

    def send(self, session: Session, target: str, reply: Reply, *, key: str,
             priority: int = ALERT) -> bool: ...


@dataclass
class Services:
    """Everything a command may use; built once by the composition root."""

    sessions: sessionmaker[Session]
    settings: Config
    clock: Clock
    pbx: Pbx
    notifier: Notifier
    # The ERP/CRM (DIRECTORY_BACKEND, chosen in bot/runtime.py).
    directory: Directory
    # Leaves and public holidays (integrations.hr); None: only what the store holds.
    hr: Hr | None = field(default=None)
    # Told of every planner solve (its status and seconds): the metrics; None: nobody.
    on_solve: Callable[[str, float], None] | None = field(default=None)


CommandFn = Callable[[Context, Services], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    run: CommandFn
    summary: str
    usage: str
    role: Role = Role.AGENT
    # Other English names and plain phrases that run it: "pause me", "who is on shift".
    aliases: tuple[str, ...] = ()

    @property
    def phrases(self) -> Mapping[str, tuple[str, ...]]:
        """The same in the other languages, by language code (``commands/words.py``):
        every phrase runs the command whatever the asker's language; /help shows the
        asker's own first."""
        return words.PHRASES.get(self.name, {})

    @property
    def words(self) -> tuple[str, ...]:
        """Every name and phrase that runs it, in every language."""
        return (self.name, *self.aliases, *(p for ps in self.phrases.values() for p in ps))

    def words_in(self, language: str) -> tuple[str, ...]:
        """The phrases of ``language`` first, then the English aliases, then the rest."""
        own = tuple(self.phrases.get(language, ()))
        others = tuple(p for code, ps in self.phrases.items() if code != language for p in ps)
        return (*own, *self.aliases, *others)

    def allowed(self, person: Person) -> bool:
        return person.role_enum.allows(self.role)
