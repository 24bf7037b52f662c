"""The explicit registry of commands. Order is the order /help lists them."""

from __future__ import annotations

from commands import help, team, whoami
from commands.core import Command

COMMANDS: tuple[Command, ...] = (
    help.COMMAND,
    whoami.COMMAND,
    team.PEOPLE,
    team.AUDIT,
)
