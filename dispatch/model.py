"""Dispatch tables. Times are naive UTC, as everywhere else in the database.

A unit's status is not a column of `unit`: it is the newest row of `unit_status_change`, so every change
is kept with when, by whom and through what (the CLI now; DTMF and short codes later), and the history is
the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class UnitRow(Base):
    """An ambulance: where it is based, what it is for, and the phone that rings its crew."""

    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    base_facility: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # emergency | transport
    endpoint: Mapped[str] = mapped_column(String(64), unique=True)


class UnitStatusChange(Base):
    """One status change of one unit; the newest per unit is its status (none: available)."""

    __tablename__ = "unit_status_change"
    __table_args__ = (Index("ix_unit_status_change_unit_at", "unit", "at_utc", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    previous: Mapped[str] = mapped_column(String(20))
    at_utc: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))  # cli:<login>, later the crew's endpoint or a console user
    source: Mapped[str] = mapped_column(String(20))  # cli; later dtmf, short-code, softphone, console


class BedReportRow(Base):
    """A hospital's latest count for one bed class (RS Online / SIRANAP: total, used, queue, updated)."""

    __tablename__ = "bed_report"

    hospital: Mapped[str] = mapped_column(String(64), primary_key=True)
    bed_class: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    waiting: Mapped[int] = mapped_column(Integer)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)  # when the hospital counted
    received_utc: Mapped[datetime] = mapped_column(DateTime)  # when we were told
    source: Mapped[str] = mapped_column(String(100))  # import:<file> or token:<id>


class BedToken(Base):
    """A bearer token that may write one hospital's beds. Only its SHA-256 is kept: the token is 32 random
    bytes, so a fast hash is enough (nothing to guess), and a leaked table writes nothing."""

    __tablename__ = "bed_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital: Mapped[str] = mapped_column(String(64), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
