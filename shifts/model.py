"""Roster tables. Times are stored in UTC with the facility's zone beside them, so nothing is ambiguous.

UTC columns are naive `DateTime`s holding UTC (SQLite has no time zones; PostgreSQL's `timestamp`
behaves the same), and `timezone` says how to show them to the people who work them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    endpoint: Mapped[str] = mapped_column(String(64), unique=True)
    facility_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)


class Assignment(Base):
    """One person on one shift at one facility; a night shift belongs to the date it starts."""

    __tablename__ = "assignment"
    # The snapshot's question, "whose shift started within the longest shift before now and ends after
    # it", is answered from one covering index without touching the table (measured on a national
    # roster: 168 → 38 ms). (staff, start) finds a person's neighbouring shifts; (facility, date) serves
    # `roster show` and a re-import that replaces the same facilities and dates.
    __table_args__ = (
        Index(
            "ix_assignment_on_duty",
            "start_utc",
            "end_utc",
            "staff_id",
            "facility_code",
            "shift",
            "timezone",
            "shift_date",
        ),
        Index("ix_assignment_staff_start", "staff_id", "start_utc"),
        Index("ix_assignment_facility_date", "facility_code", "shift_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))  # leads ix_assignment_staff_start
    facility_code: Mapped[str] = mapped_column(String(64))  # leads ix_assignment_facility_date
    shift_date: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(20))
    start_utc: Mapped[datetime] = mapped_column(DateTime)  # leads ix_assignment_on_duty
    end_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # The ambulance unit this person crews on this shift (roster CSV `unit`, dispatch/), else None.
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)


class FacilityShift(Base):
    """A facility's own shift times, overriding the national pagi/siang/malam for new assignments."""

    __tablename__ = "facility_shift"

    facility_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    start_local: Mapped[str] = mapped_column(String(5))  # HH:MM in the facility's zone
    end_local: Mapped[str] = mapped_column(String(5))  # at or before the start: the next day


class Leave(Base):
    """A person is away (sick, cuti, training): none of their shifts count while it lasts."""

    __tablename__ = "staff_leave"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    start_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    end_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Swap(Base):
    """Someone else works a person's shifts for a while (tukar jaga); the roster itself stays as planned."""

    __tablename__ = "shift_swap"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    replacement_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    start_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    end_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class RosterRevision(Base):
    """A counter bumped by every roster write, so engines notice a change with one cheap read."""

    __tablename__ = "roster_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(Base):
    """One row per scheduled run that an engine claimed: the primary key is the lock.

    Engines sharing a database all see the same job come due; the first to insert its row runs it, the
    others get an integrity error and skip.
    """

    __tablename__ = "job_run"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    run_time: Mapped[datetime] = mapped_column(DateTime, primary_key=True)  # scheduled, UTC
    owner: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(DateTime)


class CoverageAlert(Base):
    """A coverage gap already warned about, so the hourly check warns once per gap, not every hour."""

    __tablename__ = "coverage_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(20))  # facility or kecamatan
    code: Mapped[str] = mapped_column(String(64), index=True)
    service: Mapped[str] = mapped_column(String(40))
    start_utc: Mapped[datetime] = mapped_column(DateTime)
    end_utc: Mapped[datetime] = mapped_column(DateTime)
    warned_at: Mapped[datetime] = mapped_column(DateTime)


class JobSchedule(Base):
    """When each shared roster job runs next, in plain columns, so a restart keeps a missed run.

    Only the time is stored: what a job does and when it repeats are the engine's own code
    (`siaga.scheduler`). APScheduler's SQLAlchemy job store kept pickled jobs instead, and unpickling a
    row is running whatever a writer of the shared database put there.
    """

    __tablename__ = "job_schedule"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    trigger: Mapped[str] = mapped_column(String(200))  # the trigger the time was planned with
    updated_at: Mapped[datetime] = mapped_column(DateTime)
