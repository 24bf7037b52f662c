"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.absences import Absence, HrSyncState, NoServiceDay
from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.chat import ChatSpace, InboundEvent
from store.clockwork import CalendarFeed, ClockRun, OfflineEpisode
from store.outbox import OutboxMessage
from store.pbx import CallRecord, SimMember
from store.people import Person
from store.shifts import TimetableCell, TimetableChange, TimetableWeek, TurnDefinition

__all__ = ["Absence", "Activity", "AuditEntry", "Base", "CalendarFeed", "CallRecord", "ChatSpace",
           "ClockRun", "HrSyncState", "InboundEvent", "NoServiceDay", "OfflineEpisode",
           "OutboxMessage", "PauseReason", "Person", "SimMember", "TimetableCell",
           "TimetableChange", "TimetableWeek", "TurnDefinition"]
