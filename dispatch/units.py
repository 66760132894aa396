"""Units, their crews and their statuses, as pure data.

A unit is **in service** when at least one driver and one medic are on duty on it now (`crew_states`,
from the roster's duties that carry a `unit`). Its status is what the crew last reported; a unit nobody
has reported on is `available`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dispatch.csvfile import exact_rows
from kernel.catalogue import DRIVER_ROLES, MEDIC_ROLES
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message
from shifts.endpoints import endpoint_problem

# Why a unit cannot go out, built once (asked for every unit on every screen-pop).
NOT_IN_SERVICE = Message("not in service")
_NO_DRIVER = Message("no driver")
_NO_MEDIC = Message("no medic")

UNIT_KINDS = ("emergency", "transport")
COLUMNS = ("code", "name", "base_facility", "kind", "endpoint")
# Point 2 of issue 11; only `siaga dispatch status` sets them for now (DTMF and short codes come later).
STATUSES = (
    "available",
    "dispatched",
    "en_route",
    "on_scene",
    "transporting",
    "at_hospital",
    "returning",
    "out_of_service",
)
AVAILABLE = "available"
OUT_OF_SERVICE = "out_of_service"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    base_facility: str
    kind: str
    endpoint: str
    line: int = field(default=0, compare=False)  # the import line (0: as stored)


@dataclass(frozen=True)
class CrewDuty:
    """One person on one unit for a span of time (a roster duty with its `unit`, leave and swaps applied)."""

    unit: str
    staff_id: str
    role: str
    start: datetime  # aware
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class CrewState:
    unit: str
    drivers: tuple[str, ...]
    medics: tuple[str, ...]

    @property
    def problem(self) -> str | None:
        """Why the unit cannot go out with this crew (None: in service)."""
        if not self.drivers and not self.medics:
            return NOT_IN_SERVICE
        if not self.drivers:
            return _NO_DRIVER
        if not self.medics:
            return _NO_MEDIC
        return None


def crew_states(now: datetime, duties: Iterable[CrewDuty]) -> dict[str, CrewState]:
    """Each unit with anyone on it at `now`: who drives, who treats. A unit absent has no crew at all."""
    if now.tzinfo is None:
        raise ValueError("crew_states needs a timezone-aware time")
    now = now.astimezone(UTC)
    drivers: dict[str, list[str]] = {}
    medics: dict[str, list[str]] = {}
    for duty in duties:
        if not duty.covers(now):
            continue
        drivers.setdefault(duty.unit, [])
        medics.setdefault(duty.unit, [])
        if duty.role in DRIVER_ROLES:
            drivers[duty.unit].append(duty.staff_id)
        if duty.role in MEDIC_ROLES:
            medics[duty.unit].append(duty.staff_id)
    return {
        unit: CrewState(unit, tuple(sorted(drivers[unit])), tuple(sorted(medics[unit]))) for unit in drivers
    }


def in_service(now: datetime, duties: Iterable[CrewDuty], unit: str) -> bool:
    """At least one driver and one medic on `unit` at `now`."""
    crew = crew_states(now, duties).get(unit)
    return crew is not None and crew.problem is None


def status_problem(status: str) -> str | None:
    if status not in STATUSES:
        return Message("{value!r} is not one of {choices}", value=status, choices=", ".join(STATUSES))
    return None


def parse_units_csv(
    text: str, source: str, facilities: Mapping[str, str], stored: Mapping[str, Unit]
) -> list[Unit]:
    """Check every line of a units file; raise `DataError` naming each bad one, else return the units.

    `facilities` maps every stored facility code to its kind; `stored` holds the units already in the
    database (empty when the file replaces them): a code or an endpoint already used is refused.
    """
    errors: list[RowError] = []
    codes = {u.code: Message("already stored ({name})", name=u.name) for u in stored.values()}
    endpoints = {
        u.endpoint: Message("already the endpoint of stored unit {unit}", unit=u.code)
        for u in stored.values()
    }
    units: list[Unit] = []
    for line, (code, name, base, kind, endpoint) in exact_rows(text, source, COLUMNS, errors):
        before = len(errors)

        def bad(column: str, message: str, line: int = line) -> None:
            errors.append(RowError(source, line, column, message))

        if not _CODE.match(code):
            bad(
                "code",
                Message("{code!r} is not a unit code (letters, digits, '.', '_', '-'; at most 64)", code=code)
                if code
                else N_("missing"),
            )
        elif code in codes:
            bad("code", Message("{value} is reused: {where}", value=code, where=codes[code]))
        else:  # a reused code is reported even when its first line was bad for another reason
            codes[code] = Message("already on line {line}", line=line)
        if not name:
            bad("name", N_("missing"))
        elif _CONTROL.search(name) or len(name) > 200:
            bad("name", N_("control characters or longer than 200 characters"))
        if base not in facilities:
            bad(
                "base_facility",
                Message("unknown facility {facility!r}", facility=base) if base else N_("missing"),
            )
        if kind not in UNIT_KINDS:
            bad(
                "kind",
                Message("{value!r} is not one of {choices}", value=kind, choices=", ".join(UNIT_KINDS)),
            )
        problem = endpoint_problem(endpoint)
        if problem:
            bad("endpoint", problem)
        elif endpoint in endpoints:
            bad("endpoint", Message("{value} is reused: {where}", value=endpoint, where=endpoints[endpoint]))
        else:
            endpoints[endpoint] = (
                Message("already the endpoint of {unit} on line {line}", unit=code, line=line)
                if code
                else Message("already the endpoint of the unit on line {line}", line=line)
            )
        if len(errors) == before:
            units.append(Unit(code, name, base, kind, endpoint, line))
    if errors:
        raise DataError(errors)
    if not units:
        raise DataError([RowError(source, 0, None, N_("no units in the file"))])
    return units
