"""Call-record tables. Times are UTC; `call_id` is Asterisk's UNIQUEID, the key every report carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base


class CallRecord(Base):
    __tablename__ = "call_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, index=True, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    caller: Mapped[str] = mapped_column(String(40), default="")
    dialled: Mapped[str] = mapped_column(String(40), default="")
    service: Mapped[str] = mapped_column(String(20), default="")
    # ok | engine unreachable | engine hung | no plan | not routed (112 menu, unknown number)
    route_status: Mapped[str] = mapped_column(String(40), default="")
    location_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    location_label: Mapped[str] = mapped_column(String(200), default="")
    area_code: Mapped[str] = mapped_column(String(20), default="")
    area_name: Mapped[str] = mapped_column(String(200), default="")
    plan_json: Mapped[str] = mapped_column(Text, default="")  # targets, skipped (with reasons), notes
    outcome: Mapped[str | None] = mapped_column(
        String(20), nullable=True
    )  # answered | abandoned | unanswered
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_facility: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_attempt: Mapped[int | None] = mapped_column(Integer, nullable=True)
    time_to_answer_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # queue time included
    # Desks (queues): the desk that answered, or the last the caller waited at; seconds waited in queues
    # in all; position on entering the first desk; the desks tried in order ("a>b>c"); whether the caller
    # hung up while waiting in a queue.
    desk: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    queue_wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    queue_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    overflow_path: Mapped[str] = mapped_column(String(300), default="")
    abandoned_in_queue: Mapped[bool] = mapped_column(Boolean, default=False)
    # Callbacks (desks/callbacks.py): when the caller asked to be called back, when the first try went out,
    # when the caller answered one, and how many tries were made. Kept in step with the callback_request
    # table by the engine's callback helper.
    callback_requested: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    callback_placed: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    callback_answered: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    callback_tries: Mapped[int] = mapped_column(Integer, default=0)

    attempts: Mapped[list[CallAttempt]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallAttempt.n"
    )


class CallAttempt(Base):
    __tablename__ = "call_attempt"
    __table_args__ = (UniqueConstraint("call_record_id", "n"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_record_id: Mapped[int] = mapped_column(ForeignKey("call_record.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    endpoint: Mapped[str] = mapped_column(String(64))
    facility: Mapped[str | None] = mapped_column(String(64), nullable=True)
    facility_name: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ring_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str] = mapped_column(
        String(20)
    )  # answered | no answer | busy | unavailable | caller hung up
    dial_status: Mapped[str] = mapped_column(String(20))

    call: Mapped[CallRecord] = relationship(back_populates="attempts")


# The supervisors' console asks "calls located in my kabupaten" (area codes are hierarchical, so a range)
# and "calls my facilities answered", newest first: without these a page walks a whole day of the
# country's calls (~10 ms at 100,000 records), with them it is an index range (<1 ms).
Index("ix_call_record_area_started", CallRecord.area_code, CallRecord.started_at)
Index("ix_call_record_answered_started", CallRecord.answered_facility, CallRecord.started_at)
