"""The directory: lines, their numbers, schedules and chains, centres, associations and service numbers, and their versions."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base


class DirectoryRevision(Base):
    """A counter bumped by every change to lines, centres or schedules, so workers refresh their cache."""

    __tablename__ = "directory_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]


class DirectoryChange(Base):
    """One version of a line's or centre's document, as its file says it, with who made it, when and why.

    Every change writes one (a load, a console or phone edit, the command line, a restore): the newest is the
    current state, and the newest written by a load tells what the files last said."""

    __tablename__ = "directory_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # line | centre
    target_slug: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(16))  # load | console | phone | cli | restore | baseline
    reason: Mapped[str] = mapped_column(String(400), default="")
    document: Mapped[str] = mapped_column(Text)  # the file's exact text ("" once the line is deleted)


class ScheduleRow(Base):
    __tablename__ = "schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    holiday_country: Mapped[str | None] = mapped_column(String(2))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    closes_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True)

    shifts: Mapped[list[WeeklyShift]] = relationship(
        cascade="all, delete-orphan", order_by="(WeeklyShift.weekday, WeeklyShift.starts)"
    )
    closures: Mapped[list[ClosureRow]] = relationship(
        cascade="all, delete-orphan", order_by="ClosureRow.starts_at"
    )
    overrides: Mapped[list[OverrideRow]] = relationship(
        cascade="all, delete-orphan", order_by="OverrideRow.starts_at"
    )


class WeeklyShift(Base):
    __tablename__ = "weekly_shift"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)  # <= starts: crosses midnight


class ClosureRow(Base):
    __tablename__ = "closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class OverrideRow(Base):
    __tablename__ = "schedule_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # open | closed
    starts_at: Mapped[datetime]
    until: Mapped[datetime | None]  # None: until the next scheduled change
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")


class LineRow(Base):
    __tablename__ = "line"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    display_number: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    # The rest of a line's settings (greeting, menu, voices, alternatives...) as its file describes them.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_file: Mapped[str | None] = mapped_column(String(200))

    schedule: Mapped[ScheduleRow] = relationship(cascade="all, delete-orphan", single_parent=True)
    numbers: Mapped[list[LineNumber]] = relationship(
        cascade="all, delete-orphan", order_by="LineNumber.position"
    )
    rules: Mapped[list[OverflowRuleRow]] = relationship(
        cascade="all, delete-orphan", order_by="OverflowRuleRow.position"
    )


class LineNumber(Base):
    __tablename__ = "line_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class OverflowRuleRow(Base):
    __tablename__ = "overflow_rule"
    __table_args__ = (UniqueConstraint("line_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["closed:holiday", "queue_length>=5"]
    action: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # as written in the line's file


class CentreRow(Base):
    __tablename__ = "centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(20))
    display_number: Mapped[str] = mapped_column(String(40), default="")
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)

    schedule: Mapped[ScheduleRow] = relationship(cascade="all, delete-orphan", single_parent=True)
    departments: Mapped[list[CentreDepartment]] = relationship(
        cascade="all, delete-orphan", order_by="CentreDepartment.department"
    )


class CentreDepartment(Base):
    """Which départements (or provinces) a centre serves; one centre per department in a network."""

    __tablename__ = "centre_department"
    __table_args__ = (UniqueConstraint("network", "department"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(8))


class AssociationRow(Base):
    """A local victim-support association callers can be oriented to (name, département, number, hours, topics)."""

    # Named to sort after directory_revision: the tests' TRUNCATE then locks tables in the order a snapshot reads them.
    __tablename__ = "local_association"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(8), index=True)
    number: Mapped[str] = mapped_column(String(20))
    display_number: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"mon": ["09:00-17:00"], ...}
    holidays: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"country": "FR", "subdivision": null, "closes": true}
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceNumber(Base):
    """A number of this app that is not a helpline: its ``To`` selects a staff flow (the coordinators' phone)."""

    __tablename__ = "service_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    purpose: Mapped[str] = mapped_column(String(32), default="coordinator")
