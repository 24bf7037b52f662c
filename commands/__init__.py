"""The explicit registry of commands. Order is the order /help lists them."""

from __future__ import annotations

from commands import (
    announce,
    breaks,
    help,
    pause_overdue,
    queue,
    queue_board,
    queue_members,
    stats,
    team,
    whoami,
)
from commands.core import Command

COMMANDS: tuple[Command, ...] = (
    help.COMMAND,
    whoami.COMMAND,
    # The queue, for everyone: oneself; coordinators: anyone.
    queue.PAUSE_COMMAND,
    queue.RESUME_COMMAND,
    queue_board.COMMAND,
    queue_members.LOGIN,
    queue_members.LOGOUT,
    breaks.COMMAND,
    # Coordinators.
    queue_members.ADD,
    queue_members.REMOVE,
    pause_overdue.COMMAND,
    announce.COMMAND,
    team.PEOPLE,
    team.AUDIT,
    # Call statistics, for everyone (agents: team totals and their own row).
    stats.COMMAND,
)
