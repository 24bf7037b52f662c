"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.base import Base
from store.cache_version import CacheVersion
from store.callbacks.bookings import Callback, CallbackEvent, CallbackRefusal
from store.callbacks.capacity import (
           CapacityOverride,
           CapacityPool,
           CapacityTemplate,
           SlotCounter,
           WeekDay,
           WeeklySchedule,
)
from store.callbacks.ivr_keys import IvrIdempotency, IvrKey, IvrRateWindow
from store.callers.directory import (
           DirectoryAccount,
           DirectoryContact,
           DirectoryNameWord,
           DirectoryPhone,
)
from store.callers.operations import Operation
from store.calls.records import CallRecord
from store.calls.registry import CallTypification, RegisteredCall, TypificationCategory
from store.messaging.chat import ChatSpace, InboundEvent
from store.messaging.clockwork import CalendarFeed, ClockRun, OfflineEpisode
from store.messaging.outbox import OutboxMessage
from store.queue.activity import Activity, PauseReason
from store.queue.alerts import AlertEpisode, AlertMute
from store.queue.sim_pbx import SimCall, SimMember
from store.shifts.absences import Absence, HrSyncState, KeptHoliday, NoServiceDay
from store.shifts.planning import AvailabilityRule, FixedTurn, PlanDraft
from store.shifts.timetable import TimetableCell, TimetableChange, TimetableWeek, TurnDefinition
from store.stats.rollups import CallStatsBasis, CallStatsHour
from store.team.audit import AuditEntry
from store.team.desk_sessions import DeskSession, DeskSignInLink
from store.team.people import Person

__all__ = [
    "Absence",
    "Activity",
    "AlertEpisode",
    "AlertMute",
    "AuditEntry",
    "AvailabilityRule",
    "Base",
    "CacheVersion",
    "CalendarFeed",
    "CallRecord",
    "CallStatsBasis",
    "CallStatsHour",
    "CallTypification",
    "Callback",
    "CallbackEvent",
    "CallbackRefusal",
    "CapacityOverride",
    "CapacityPool",
    "CapacityTemplate",
    "ChatSpace",
    "ClockRun",
    "DeskSession",
    "DeskSignInLink",
    "DirectoryAccount",
    "DirectoryContact",
    "DirectoryNameWord",
    "DirectoryPhone",
    "FixedTurn",
    "HrSyncState",
    "InboundEvent",
    "IvrIdempotency",
    "IvrKey",
    "IvrRateWindow",
    "KeptHoliday",
    "NoServiceDay",
    "OfflineEpisode",
    "Operation",
    "OutboxMessage",
    "PauseReason",
    "Person",
    "PlanDraft",
    "RegisteredCall",
    "SimCall",
    "SimMember",
    "SlotCounter",
    "TimetableCell",
    "TimetableChange",
    "TimetableWeek",
    "TurnDefinition",
    "TypificationCategory",
    "WeekDay",
    "WeeklySchedule",
]
