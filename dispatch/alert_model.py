"""The crew alert's table: one row per dispatch, written by the engine's crew alerter
(dispatch/crew_alerts.py) before each try goes out and when it ends, so a restarted alerter neither forgets
a crew nor rings one twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base


class CrewAlertRow(Base):
    __tablename__ = "crew_alert"

    dispatch_id: Mapped[int] = mapped_column(
        ForeignKey("incident_dispatch.id", ondelete="CASCADE"), primary_key=True
    )
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_try_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    messaged_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # the SIP MESSAGE went out
    answered_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # the crew took the call
    result: Mapped[str] = mapped_column(String(200), default="")  # what Asterisk said of the last try
