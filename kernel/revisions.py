"""A counter per kind of region data, bumped in the same transaction as each import, so every running
engine notices a re-import with one cheap read and rebuilds what it routes from.

At the bottom because several domains write region data (places in `geo`, the DID, kode-pos and
area-code tables in `routing`, the desks' overflow in `desks`) and the engine reads all their counters at
once. A rolled-back import rolls its bump back with it: a refused file never makes an engine reload.

Polled rather than announced (PostgreSQL's LISTEN/NOTIFY): the poll is one primary-key read every few
seconds, works the same on SQLite, and a listener would need its own connection per worker, reconnects
after a database restart, and the poll anyway for whatever it missed meanwhile.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.db import Base

# The kinds the engine's places depend on; the names are what the log and `data_revision.kind` show.
AREAS = "areas"
FACILITIES = "facilities"
CALLERS = "callers"
DIDS = "did"
KODE_POS = "kode-pos"
AREA_CODES = "area-codes"
DESKS = "desks"
KINDS = (AREAS, FACILITIES, CALLERS, DIDS, KODE_POS, AREA_CODES, DESKS)


class DataRevision(Base):
    """One row per kind of region data; `revision` grows by one with every write of that kind."""

    __tablename__ = "data_revision"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


def bump_data_revision(session: Session, kind: str) -> None:
    """Count one more write of `kind` in the caller's transaction (call it beside the write itself)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of region data {kind!r}; known: {', '.join(KINDS)}")
    # One UPDATE … SET revision = revision + 1: two imports committing at once on PostgreSQL each count,
    # where a read-then-write could give both the same number and an engine would miss the second.
    bumped = session.execute(
        update(DataRevision).where(DataRevision.kind == kind).values(revision=DataRevision.revision + 1)
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]
        session.add(DataRevision(kind=kind, revision=1))
        session.flush()


def data_revisions(session: Session) -> dict[str, int]:
    """Every kind's counter; a kind never written counts 0."""
    found = {kind: 0 for kind in KINDS}
    for kind, revision in session.execute(select(DataRevision.kind, DataRevision.revision)):
        found[kind] = revision
    return found
