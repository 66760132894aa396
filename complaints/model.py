"""Tables of the complaints desk: one row per complaint and one per step of its history.

Times are UTC without a zone, as elsewhere in the schema; the complaint's own zone (its facility's, or
the desk's) is kept beside them for the working calendar and for display. The deadlines are stored when
the complaint arrives, so a later change of the service-level settings never moves a promise already
made to a caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class ComplaintRow(Base):
    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # the number's sequence
    number: Mapped[str | None] = mapped_column(String(10), unique=True, nullable=True)  # set after insert
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(8))  # phone | web | cli
    caller: Mapped[str] = mapped_column(String(20), default="")  # personal: never shown in public
    category: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text, default="")  # personal unless text_public
    text_public: Mapped[bool] = mapped_column(Boolean, default=False)
    recording: Mapped[str | None] = mapped_column(String(300), nullable=True)  # personal
    facility_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    desk: Mapped[str] = mapped_column(String(32), default="", index=True)  # kabupaten/kota code, "" unknown
    zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_at: Mapped[datetime] = mapped_column(DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_response_due: Mapped[datetime] = mapped_column(DateTime)
    resolution_due: Mapped[datetime] = mapped_column(DateTime, index=True)


class ComplaintStepRow(Base):
    __tablename__ = "complaint_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)  # None for `received`
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    note_public: Mapped[bool] = mapped_column(Boolean, default=False)
    officer: Mapped[str] = mapped_column(String(64), default="")
