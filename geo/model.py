"""Tables for places: areas (WKB outlines), facilities and the caller directory.

The engine reads them once at start into in-memory indices (`geo.store.load_region_from_db`); no call
ever waits on these tables.
"""

from __future__ import annotations

from sqlalchemy import Float, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class AreaRow(Base):
    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    geometry: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # WKB, lon/lat WGS-84


class FacilityRow(Base):
    __tablename__ = "facility"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    area_code: Mapped[str] = mapped_column(String(32), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    service_area: Mapped[str] = mapped_column(Text, default="")  # area codes separated by spaces


class KnownCallerRow(Base):
    __tablename__ = "known_caller"

    number: Mapped[str] = mapped_column(String(24), primary_key=True)  # normalised (62…)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(200), default="")
