"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.absences import Absence, HrSyncState, NoServiceDay
from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.cache_version import CacheVersion
from store.call_registry import CallTypification, RegisteredCall, TypificationCategory
from store.callback_capacity import (
    CapacityOverride,
    CapacityPool,
    CapacityTemplate,
    SlotCounter,
    WeekDay,
    WeeklySchedule,
)
from store.callbacks import Callback, CallbackEvent, CallbackRefusal
from store.calls import CallRecord
from store.callstats import CallStatsBasis, CallStatsHour
from store.chat import ChatSpace, InboundEvent
from store.clockwork import CalendarFeed, ClockRun, OfflineEpisode
from store.directory import DirectoryAccount, DirectoryContact, DirectoryPhone, DirectoryWord
from store.ivr_keys import IvrIdempotency, IvrKey, IvrRateWindow
from store.operations import Operation
from store.outbox import OutboxMessage
from store.pbx import SimCall, SimMember
from store.people import Person
from store.shifts import TimetableCell, TimetableChange, TimetableWeek, TurnDefinition

__all__ = ["Absence", "Activity", "AuditEntry", "Base", "CacheVersion", "CalendarFeed",
           "CallRecord", "CallStatsBasis", "CallStatsHour", "CallTypification", "Callback",
           "CallbackEvent", "CallbackRefusal", "CapacityOverride", "CapacityPool",
           "CapacityTemplate", "ChatSpace", "ClockRun", "DirectoryAccount", "DirectoryContact",
           "DirectoryPhone", "DirectoryWord", "HrSyncState", "InboundEvent", "IvrIdempotency",
           "IvrKey", "IvrRateWindow", "NoServiceDay", "OfflineEpisode", "Operation",
           "OutboxMessage", "PauseReason", "Person", "RegisteredCall", "SimCall", "SimMember",
           "SlotCounter", "TimetableCell", "TimetableChange", "TimetableWeek", "TurnDefinition",
           "TypificationCategory", "WeekDay", "WeeklySchedule"]
