"""Tables for the coarser location sources: DID/trunk numbers, kode pos and landline area codes.

Region data like the areas and facilities (`geo/model.py`): written whole by `siaga import did|kode-pos|
area-codes` (`routing/tables_store.py`), read once at engine start into `routing.tables.LocationTables`.
No foreign keys to `facility` or `area`: those are replaced by their own imports (`--replace`), which must
not be refused or cascade here. The references are checked when a table is imported and again when the
engine loads it, where an entry naming a place no longer stored is left out and logged.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class DidRow(Base):
    __tablename__ = "did_entry"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # normalised number (62…) or trunk:NAME
    facility_code: Mapped[str] = mapped_column(String(64), default="")  # exactly one of facility_code,
    area_code: Mapped[str] = mapped_column(String(32), default="")  # area_code is set
    label: Mapped[str] = mapped_column(String(200), default="")


class KodePosRow(Base):
    __tablename__ = "kode_pos"

    kode_pos: Mapped[str] = mapped_column(String(5), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200), default="")


class AreaCodePrefixRow(Base):
    __tablename__ = "area_code_prefix"

    prefix: Mapped[str] = mapped_column(String(5), primary_key=True)  # with its trunk 0, as dialled: "024"
    area_code: Mapped[str] = mapped_column(String(32))  # may lie outside the imported areas (see tables.py)
    name: Mapped[str] = mapped_column(String(200))
