"""The explicit registry of commands. Order is the order /help lists them."""

from __future__ import annotations

from commands import (
    announce,
    breaks,
    callbacks,
    callbacks_list,
    calls,
    help,
    lookup,
    offline,
    onshift,
    operation,
    pause_overdue,
    queue,
    queue_board,
    queue_members,
    shifts,
    slots,
    stats,
    team,
    timetable,
    typify,
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
    # Callbacks (/slots changes and the report: coordinators).
    callbacks.COMMAND,
    callbacks_list.COMMAND,
    slots.COMMAND,
    # Coordinators.
    queue_members.ADD,
    queue_members.REMOVE,
    pause_overdue.COMMAND,
    announce.COMMAND,
    team.PEOPLE,
    team.AUDIT,
    # Shifts: everyone reads, coordinators change.
    onshift.COMMAND,
    shifts.COMMAND,
    offline.COMMAND,
    timetable.ASSIGN,
    timetable.SWAP,
    timetable.LOG,
    # Caller identification and the call registry.
    lookup.COMMAND,
    operation.COMMAND,
    typify.COMMAND,
    calls.COMMAND,
    # Call statistics, for everyone (agents: team totals and their own row).
    stats.COMMAND,
)
