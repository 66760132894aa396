"""The audit log's table and its one writer: every roster (and staff) change with who made it, when, and
the data before and after.

At the bottom because every front-end writes it: a domain's service records its own changes (the
console's user, `cli:<login>` for `siaga roster`), and the console records logins. An entry is written in
the same transaction as the change it describes, so the log and the roster never disagree. The console
reads it (`web.audit`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.db import Base


class AuditEntry(Base):
    """Who changed the roster (or a staff record), when, and what it looked like before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    facility_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[list | dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[list | dict | None] = mapped_column(JSON, nullable=True)


def record(
    session: Session,
    actor: str,
    action: str,
    facility_code: str | None,
    summary: str,
    before: Any,
    after: Any,
) -> None:
    """Add one entry to the caller's transaction. `facility_code` decides who may read it: None is for
    national readers only (a change spanning several facilities)."""
    session.add(
        AuditEntry(
            at=datetime.now(UTC).replace(tzinfo=None),
            user_name=actor[:64],
            action=action,
            facility_code=facility_code,
            summary=summary,
            before=before,
            after=after,
        )
    )
