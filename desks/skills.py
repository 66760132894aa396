"""Reading and writing who answers which consultation topic (desks/topics.py), and refusing bad skills.

The edge around `desks.topics`: the region's staff.csv may carry an optional `skills` column
(`penyakit|apotek`, empty = every topic); `siaga sample load` writes it to the `staff_skills` table, and the
engine's desk-member sync reads that table to staff each topic queue. Two mistakes are refused, with the
place named, before anything is written or served:

- an unknown skill (a typo such as `apotik`): refused with the file's line;
- a topic no staff member of a consultation desk has: its queue would stay empty and every caller
  choosing it would be sent on to the plain desk only after the join fails; refused with the desk and topic,
  at load and again when the engine starts (the staff table may have changed since).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desks.model import StaffSkills
from desks.topics import ALL_SKILLS, BY_CODE, format_skills, parse_skills, uncovered_topics
from kernel.dataerrors import DataError, RowError
from kernel.messages import Message
from shifts.model import Staff

log = logging.getLogger("siaga.desks")

SKILLS_COLUMN = "skills"


def skills_from_staff_csv(path: Path) -> dict[str, frozenset[str]]:
    """staff_id → skills from the optional `skills` column (absent column: nobody has a list, so everyone
    answers every topic). Every unknown skill is refused with its line, all at once."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if SKILLS_COLUMN not in (reader.fieldnames or []):
            return {}
        found: dict[str, frozenset[str]] = {}
        errors: list[RowError] = []
        for row in reader:
            text = (row.get(SKILLS_COLUMN) or "").strip()
            if not text:
                continue
            try:
                found[row["staff_id"]] = parse_skills(text)
            except ValueError as exc:
                errors.append(
                    RowError(
                        str(path),
                        reader.line_num,
                        SKILLS_COLUMN,
                        Message(
                            "{staff}: {problem}",
                            staff=row["staff_id"],
                            problem=exc.args[0] if exc.args else str(exc),
                        ),
                    )
                )
    if errors:
        raise DataError(errors)
    return found


def read_skills(session: Session) -> dict[str, frozenset[str]]:
    """staff_id → skills of everyone with a list; a stored code this version does not know is ignored
    (logged), and a list left with none answers every topic rather than none."""
    skills: dict[str, frozenset[str]] = {}
    for staff_id, text in session.execute(select(StaffSkills.staff_id, StaffSkills.skills)):
        codes = {c for c in (text or "").split("|") if c}
        unknown = codes - set(BY_CODE)
        if unknown:
            log.warning("staff %s: stored skill(s) %s are not topics; ignored", staff_id, sorted(unknown))
        skills[staff_id] = frozenset(codes - unknown) or ALL_SKILLS
    return skills


def write_skills(session: Session, skills: Mapping[str, frozenset[str]]) -> None:
    """Set these staff members' skills (in the caller's transaction); every topic is stored as no row."""
    for staff_id, topics in skills.items():
        session.execute(delete(StaffSkills).where(StaffSkills.staff_id == staff_id))
        text = format_skills(topics)
        if text:
            session.add(StaffSkills(staff_id=staff_id, skills=text))
    session.flush()


def check_topics(session: Session, consultation_desks: Iterable[str], source: str = "staff") -> None:
    """Refuse (DataError naming desk and topic) a consultation desk whose own staff leave a topic
    unanswered."""
    desks = sorted(set(consultation_desks))
    if not desks:
        return
    desk_staff: dict[str, list[str]] = {d: [] for d in desks}
    for staff_id, facility in session.execute(
        select(Staff.id, Staff.facility_code).where(Staff.facility_code.in_(desks))
    ):
        desk_staff[facility].append(staff_id)
    errors = uncovered_topics(desk_staff, read_skills(session), source)
    if errors:
        raise DataError(errors)
