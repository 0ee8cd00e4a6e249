"""Database tables, one module per aggregate; every table is mapped on import of this package (Alembic and
the session need all of them), and each name is importable from here or from its own module."""

from store.models.accounts import (
    ConsoleAccount,
    ConsoleAccountScope,
    ConsoleLoginThrottle,
    ConsoleSession,
)
from store.models.audit import AuditEvent
from store.models.base import Base, UTCDateTime
from store.models.health import ServiceHealth
from store.models.callbacks import CallbackAttempt, CallbackRequest
from store.models.cases import CaseFile, CaseNote, CaseStep
from store.models.calls import Call, CallCategory, CallerFlag, CallEvent, EmailOutbox
from store.models.conversation import ConferenceLeg, Conversation
from store.models.directory import (
    AssociationRow,
    CentreDepartment,
    CentreRow,
    ClosureRow,
    DirectoryChange,
    DirectoryRevision,
    LineNumber,
    LineRow,
    OverflowRuleRow,
    OverrideRow,
    ScheduleRow,
    ServiceNumber,
    WeeklyShift,
)
from store.models.listeners import (
    Listener,
    ListenerPool,
    ListenerShift,
    ListenerStatusChange,
)
from store.models.queue import Offer, QueuedCaller, QueueEvent
from store.models.transfers import Transfer
from store.models.reports import (
    ReportCache,
    ReportCallerFirst,
    ReportCallForward,
    ReportHour,
    ReportQueueCaller,
)

__all__ = [
    "UTCDateTime",
    "Base",
    "DirectoryRevision",
    "DirectoryChange",
    "ScheduleRow",
    "WeeklyShift",
    "ClosureRow",
    "OverrideRow",
    "LineRow",
    "LineNumber",
    "OverflowRuleRow",
    "CentreRow",
    "CentreDepartment",
    "AssociationRow",
    "ServiceNumber",
    "Call",
    "CallEvent",
    "CallCategory",
    "CallerFlag",
    "EmailOutbox",
    "Listener",
    "ListenerPool",
    "ListenerShift",
    "ListenerStatusChange",
    "QueuedCaller",
    "Offer",
    "QueueEvent",
    "CallbackRequest",
    "CallbackAttempt",
    "CaseFile",
    "CaseNote",
    "CaseStep",
    "ConsoleAccount",
    "ConsoleAccountScope",
    "ConsoleSession",
    "ConsoleLoginThrottle",
    "AuditEvent",
    "Conversation",
    "ConferenceLeg",
    "ReportCache",
    "ReportHour",
    "ServiceHealth",
    "ReportQueueCaller",
    "ReportCallForward",
    "ReportCallerFirst",
    "Transfer",
]
