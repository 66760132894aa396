"""Desk tables: which topics of the consultation menu each staff member answers.

A table of its own rather than a column on `staff`: `create_all` adds a new table to an existing
database, while a new column would make every older database unusable (no migrations yet, see README).
A staff member without a row answers every topic.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga.db import Base


class StaffSkills(Base):
    __tablename__ = "staff_skills"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    # Topic codes (desks/topics.py), `|`-separated in menu order; "" means every topic.
    skills: Mapped[str] = mapped_column(String(200), default="")
