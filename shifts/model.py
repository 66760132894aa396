"""Roster tables. Times are stored in UTC with the facility's zone beside them, so nothing is ambiguous."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga.db import Base

ROLES = ("doctor", "nurse", "midwife", "driver", "operator", "dispatcher")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    endpoint: Mapped[str] = mapped_column(String(64), unique=True)
    facility_code: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Assignment(Base):
    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    facility_code: Mapped[str] = mapped_column(String(64), index=True)
    shift_date: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(20))
    start_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    end_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))


class RosterRevision(Base):
    """A counter bumped by every roster write, so engines notice a change with one cheap read."""

    __tablename__ = "roster_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
