"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.absences import Absence, HrSyncState, NoServiceDay
from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.call_registry import CallTypification, RegisteredCall, TypificationCategory
from store.chat import ChatSpace, InboundEvent
from store.clockwork import CalendarFeed, ClockRun, OfflineEpisode
from store.directory import DirectoryAccount, DirectoryContact, DirectoryPhone, DirectoryWord
from store.operations import Operation
from store.outbox import OutboxMessage
from store.pbx import CallRecord, SimMember
from store.people import Person
from store.shifts import TimetableCell, TimetableChange, TimetableWeek, TurnDefinition

__all__ = ["Absence", "Activity", "AuditEntry", "Base", "CalendarFeed", "CallRecord",
           "CallTypification", "ChatSpace", "ClockRun", "DirectoryAccount", "DirectoryContact",
           "DirectoryPhone", "DirectoryWord", "HrSyncState", "InboundEvent", "NoServiceDay",
           "OfflineEpisode", "Operation", "OutboxMessage", "PauseReason", "Person",
           "RegisteredCall", "SimMember", "TimetableCell", "TimetableChange", "TimetableWeek",
           "TurnDefinition", "TypificationCategory"]
