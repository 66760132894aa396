"""Which kabupaten a roster write may touch, checked on the rows that will actually be written.

Two rules, both pure and both applied per parsed line (`shifts.roster_csv.parse_roster_csv(bounds=…)`),
by the swap commands and by the console:

- **Placement** (everyone, the command line too): a person works shifts in the kabupaten of their home
  facility. Putting a Kota Semarang nurse on a Kabupaten Semarang night shift would have the engine ring
  a phone the other district's supervisors neither see nor manage; move the person first (a staff edit)
  if they really changed district.
- **Writer's scope** (a supervisor in the console): every assignment line must be at a facility of a
  kabupaten they hold, and a line that creates or rewrites a staff member may only touch someone whose
  home is, and stays, in such a kabupaten. A national writer (admin, `siaga roster`) has no such limit.

A facility's kabupaten is the kabupaten-level ancestor of its area (`KabupatenMap.of_facility`); where
it is unknown the placement rule cannot judge and lets the line through, but a scoped writer is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RosterBounds:
    of_facility: Mapping[str, str | None]  # facility code → kabupaten code
    names: Mapping[str, str] = field(default_factory=dict)  # kabupaten code → name
    writable: frozenset[str] | None = None  # the writer's kabupaten; None: every kabupaten

    def for_writer(self, writable: frozenset[str] | None) -> RosterBounds:
        return dataclasses.replace(self, writable=writable)

    def label(self, kabupaten: str | None) -> str:
        if kabupaten is None:
            return "no known kabupaten"
        name = self.names.get(kabupaten)
        return f"{name} ({kabupaten})" if name else f"kabupaten {kabupaten}"

    def _yours(self) -> str:
        return ", ".join(self.label(k) for k in sorted(self.writable or ()))

    def facility_refusal(self, facility: str) -> str | None:
        """Why the writer may not write this facility's roster (None: they may)."""
        if self.writable is None:
            return None
        kabupaten = self.of_facility.get(facility)
        if kabupaten in self.writable:
            return None
        return f"{facility} is in {self.label(kabupaten)}, not in your kabupaten ({self._yours()})"

    def staff_refusal(self, staff_id: str, homes: Iterable[str | None]) -> str | None:
        """Why the writer may not create or rewrite this person (None: they may); `homes` are their
        stored home facility, if they exist, and the one the write gives them."""
        if self.writable is None:
            return None
        for home in homes:
            kabupaten = self.of_facility.get(home) if home else None
            if kabupaten not in self.writable:
                where = f" (home facility {home})" if home else ""
                return (
                    f"{staff_id} belongs to {self.label(kabupaten)}{where}: only a supervisor of that "
                    "kabupaten may change them"
                )
        return None

    def placement_refusal(self, staff_id: str, home: str | None, facility: str) -> str | None:
        """Why this person may not work a shift at `facility` (None: they may)."""
        theirs = self.of_facility.get(home) if home else None
        there = self.of_facility.get(facility)
        if home is None:
            if self.writable is None:
                return None
            return f"{staff_id} has no home facility, so no kabupaten: an admin must give them one first"
        if theirs is None or there is None or theirs == there:
            return None
        return (
            f"{staff_id} belongs to {self.label(theirs)} (home facility {home}); {facility} is in "
            f"{self.label(there)}: staff work shifts in their own kabupaten"
        )
