"""Dispatch tables. Times are naive UTC, as everywhere else in the database.

A unit's status is not a column of `unit`: it is the newest row of `unit_status_change`, so every change
is kept with when, by whom and through what (`source`: dtmf, short_code, softphone, console, cli, dispatch),
and the history is the audit trail.

An incident (`incident`) is what an operator opens from a call; each unit sent to it is one
`incident_dispatch` row, stamped as the unit's crew reports its way through the run. The incident keeps
the first time of each step (dispatched, on scene, at hospital) and its close, so its intervals are plain
columns that the board and the figures read without replaying any history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
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
    by: Mapped[str] = mapped_column(String(100))  # cli:<login>, the crew's endpoint, a console user
    source: Mapped[str] = mapped_column(
        String(20)
    )  # dtmf | short_code | softphone | console | cli | dispatch


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


class IncidentRow(Base):
    """One emergency an operator works: who called, where, what, how urgent, and the times of its run."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_kabupaten_opened", "kabupaten", "opened_utc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    caller: Mapped[str] = mapped_column(String(40), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    location_source: Mapped[str] = mapped_column(String(20), default="")
    area_code: Mapped[str] = mapped_column(String(20), default="")
    area_name: Mapped[str] = mapped_column(String(200), default="")
    kabupaten: Mapped[str | None] = mapped_column(String(20), nullable=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    category: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10))  # merah | kuning | hijau
    notes: Mapped[str] = mapped_column(Text, default="")
    operator: Mapped[str] = mapped_column(String(100))
    call_started_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    opened_utc: Mapped[datetime] = mapped_column(DateTime)
    dispatched_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    on_scene_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    at_hospital_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    close_reason: Mapped[str] = mapped_column(String(200), default="")


class IncidentDispatchRow(Base):
    """One unit sent to one incident, with the times its crew reported; `ended_utc` set when the unit is
    free of it again (returned, stood down or out of service)."""

    __tablename__ = "incident_dispatch"
    __table_args__ = (Index("ix_incident_dispatch_unit_ended", "unit", "ended_utc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    dispatched_utc: Mapped[datetime] = mapped_column(DateTime)
    en_route_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    on_scene_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    transporting_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    at_hospital_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    returning_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(40), default="")
