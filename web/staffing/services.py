"""Which desks a user may see, and their staffing tables, made by `staffing.store` (the same code as
`siaga staffing`), so the console and the command line never disagree on a number.

The places come from the console's `Places` (already in memory), not from another read of the facility
table; a desk's kabupaten decides who may see it, as for every other facility in the console.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from desks.config import is_desk
from geo.facilities import Facility
from staffing.report import StaffingInputError, StaffingTable, Target, parse_target
from staffing.store import desk_staffing, find_desk
from web.access import Principal
from web.errors import InputError
from web.places import Places


class StaffingService:
    def __init__(self, places: Places) -> None:
        self.places = places

    def desks(self, user: Principal, code: str | None = None) -> list[Facility]:
        """The desk asked for (checked: it exists, is a desk, and the user may see it), or every desk the
        user may see, by name."""
        if code:
            try:
                desk = find_desk(self.places.facilities.values(), code)
            except StaffingInputError as exc:
                raise InputError.one(exc.field, exc.reason) from exc
            user.require_read(self.places.kabupaten_of.get(desk.code))
            return [desk]
        scope = None if user.national else set(user.kabupaten)
        return [f for f in self.places.facilities_in(scope) if is_desk(f)]

    def target(self, text: str) -> Target:
        try:
            return parse_target(text)
        except StaffingInputError as exc:
            raise InputError.one(exc.field, exc.reason) from exc

    def tables(
        self,
        session: Session,
        desks: list[Facility],
        target: Target,
        now: datetime,
        first: date | None,
        last: date | None,
    ) -> list[StaffingTable]:
        try:
            return [desk_staffing(session, desk, target, now, first, last) for desk in desks]
        except StaffingInputError as exc:
            raise InputError.one(exc.field, exc.reason) from exc
