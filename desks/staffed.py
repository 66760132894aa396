"""A desk nobody can ever answer is refused: every desk needs someone on its roster.

A desk (a facility of kind dispatch, consultation or complaints) whose facility has no staff member at all
and no duty on the roster (not "off duty now": nobody was ever assigned) is an Asterisk queue that can never
have a member. Callers sent there as the last desk of a chain would wait for nobody; the plan passes it over
only while it is not last. So a region whose desks leave one unstaffed is refused, naming the desk, at
`siaga sample load` (in the roster's transaction: nothing is written) and again when `siaga serve` starts
(the staff table may have changed since). Someone off duty now is fine: the coverage check warns about
gaps ahead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.dataerrors import DataError, RowError
from kernel.messages import Message
from shifts.model import Assignment, Staff


def unstaffed_desks(
    desks: Mapping[str, str], staffed_facilities: Iterable[str], source: str
) -> list[RowError]:
    """One error per desk (code → kind) that no staff member belongs to and no duty is rostered at."""
    staffed = set(staffed_facilities)
    return [
        RowError(
            source,
            0,
            "desk",
            Message(
                "desk {desk} ({kind}) has nobody on its roster: no staff member belongs to it and no duty is "
                "assigned there, so its queue could never be answered; roster its staff (staff.csv / "
                "`siaga roster import`) or make the facility another kind",
                desk=code,
                kind=kind,
            ),
        )
        for code, kind in sorted(desks.items())
        if code not in staffed
    ]


def check_desks_staffed(session: Session, desks: Mapping[str, str], source: str = "staff") -> None:
    """Refuse (DataError naming each desk) desks with nobody on their roster; see the module's doc."""
    if not desks:
        return
    codes = sorted(desks)
    staffed = set(session.scalars(select(Staff.facility_code).where(Staff.facility_code.in_(codes))))
    staffed |= set(
        session.scalars(
            select(Assignment.facility_code).where(Assignment.facility_code.in_(codes)).distinct()
        )
    )
    errors = unstaffed_desks(desks, staffed, source)
    if errors:
        raise DataError(errors)
