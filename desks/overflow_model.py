"""The desks' overflow chains and waits as region data in the database (`siaga import desks FILE.csv`).

The same lines as desks.csv always held, one row per desk that has an overflow chain or its own wait;
a desk without a row has neither. Stored as checked by `desks.config.parse_desks_csv` at import, and
checked again at every start against the facilities stored then (`desks.config.load_desk_table`).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.db import Base

COLUMNS_LINE = "desk,overflow,max_wait_s"
STORED = "stored desks (siaga import desks)"  # the source named by an error about the stored table


class DeskOverflowRow(Base):
    __tablename__ = "desk_overflow"

    desk: Mapped[str] = mapped_column(String(64), primary_key=True)  # a dispatch/consultation facility
    overflow: Mapped[str] = mapped_column(String(400), default="")  # desk codes separated by |, in order
    max_wait_s: Mapped[int] = mapped_column(Integer)


def stored_desks_csv(session: Session) -> str:
    """The stored table as desks.csv text, so one parser checks a file and the stored table alike."""
    rows = session.scalars(select(DeskOverflowRow).order_by(DeskOverflowRow.desk)).all()
    return "\n".join([COLUMNS_LINE, *(f"{r.desk},{r.overflow},{r.max_wait_s}" for r in rows)]) + "\n"
