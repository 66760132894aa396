"""Desk tables: which topics of the consultation menu each staff member answers, and callbacks.

A table of its own rather than a column on `staff`: `create_all` adds a new table to an existing
database, while a new column would make every older database unusable (no migrations yet, see README).
A staff member without a row answers every topic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class StaffSkills(Base):
    __tablename__ = "staff_skills"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    # Topic codes (desks/topics.py), `|`-separated in menu order; "" means every topic.
    skills: Mapped[str] = mapped_column(String(200), default="")


class CallbackRequest(Base):
    """A waiting caller's request to be called back (desks/callbacks.py): stored by the
    `callback-request` AGI script, placed by the engine's callback helper in the order callers asked."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)  # the waiting call's UNIQUEID
    desk: Mapped[str] = mapped_column(String(64), index=True)  # the desk's own queue (facility code)
    queue: Mapped[str] = mapped_column(String(80))  # the queue the caller was in (a topic queue, maybe)
    number: Mapped[str] = mapped_column(String(20))  # national number, checked (desks/callbacks.py)
    requested_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    entered_at: Mapped[datetime] = mapped_column(DateTime)  # when the caller joined the queue: their place
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)  # in the queue when they pressed 1
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending|answered|failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    # The call record's callback columns follow this row; False until they do (the record may be written
    # after the request, by another process).
    record_synced: Mapped[bool] = mapped_column(Boolean, default=False)


class CallbackTry(Base):
    """One try at calling the caller back: when, for how long, and whether they answered."""

    __tablename__ = "callback_try"
    __table_args__ = (UniqueConstraint("request_id", "n"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="ringing")  # ringing|answered|no answer|failed
    detail: Mapped[str] = mapped_column(String(200), default="")
