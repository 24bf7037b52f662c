"""The explicit registry of commands. Order is the order /help lists them.

Importing it loads every command module; nothing else in ``commands`` needs to."""

from __future__ import annotations

from commands.callbacks import callback as callbacks_callback
from commands.callbacks import listing as callbacks_listing
from commands.callbacks import slots
from commands.callers import lookup, operation
from commands.calls import listing as calls_listing
from commands.calls import typify
from commands.core import Command
from commands.queue import alerts, board, breaks, members, offline, pause, pause_overdue
from commands.shifts import holidays, onshift, timetable, upcoming
from commands.shifts.planning import busy
from commands.shifts.planning import chat as planning_chat
from commands.stats import card as stats_card
from commands.team import announce, help, language, pbx_sync, people, whoami

COMMANDS: tuple[Command, ...] = (
    help.COMMAND,
    whoami.COMMAND,
    language.COMMAND,
    # The queue, for everyone: oneself; coordinators: anyone.
    pause.PAUSE_COMMAND,
    pause.RESUME_COMMAND,
    board.COMMAND,
    members.LOGIN,
    members.LOGOUT,
    breaks.COMMAND,
    # Callbacks (/slots changes and the report: coordinators).
    callbacks_callback.COMMAND,
    callbacks_listing.COMMAND,
    slots.COMMAND,
    # Coordinators.
    members.ADD,
    members.REMOVE,
    pause_overdue.COMMAND,
    announce.COMMAND,
    people.PEOPLE,
    people.AUDIT,
    pbx_sync.COMMAND,
    # Shifts: everyone reads, coordinators change.
    onshift.COMMAND,
    upcoming.COMMAND,
    offline.COMMAND,
    alerts.COMMAND,
    timetable.ASSIGN,
    timetable.SWAP,
    timetable.LOG,
    holidays.COMMAND,
    # The week planner: everyone says when they are busy; coordinators plan.
    busy.COMMAND,
    planning_chat.COMMAND,
    # Caller identification and the call registry.
    lookup.COMMAND,
    operation.COMMAND,
    typify.COMMAND,
    calls_listing.COMMAND,
    # Call statistics, for everyone (agents: team totals and their own row).
    stats_card.COMMAND,
)
