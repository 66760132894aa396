"""The audit log as the console shows it: the newest entries a reader may see.

The table and its writer are `kernel.audit` (a domain's service audits its own changes); `record` is
re-exported for the console's own entries (logins, staff edits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import AuditEntry, record

__all__ = ["AuditView", "recent", "record"]


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    user_name: str
    action: str
    facility_code: str | None
    summary: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at.isoformat()}


def recent(session: Session, facilities: set[str] | None, limit: int = 100) -> list[AuditView]:
    """The newest entries; `facilities` limits them to what the reader may see (None: everything).

    An entry without a facility (a multi-facility import) is shown only to national users.
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if facilities is not None:
        query = query.where(AuditEntry.facility_code.in_(sorted(facilities)))
    return [
        AuditView(
            e.id,
            e.at.replace(tzinfo=UTC),
            e.user_name,
            e.action,
            e.facility_code,
            e.summary,
            e.before,
            e.after,
        )
        for e in session.scalars(query)
    ]
