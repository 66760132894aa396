"""Where is the caller? Every source we know, tried in a configurable order of precedence.

Pure: `locate` takes the call's facts and the lookup data and returns a `Location` (with its source as
provenance and `accuracy_m` as confidence) or None, plus notes saying what each source had to say. The
AGI edge gathers the facts; dry runs and tests hand them in directly.

Sources, most precise first by default:

    pidf-lo         RFC 6442 Geolocation with a PIDF-LO body by value: GML Point or Circle, else a civic
                    address whose postal code we know
    carrier-header  a carrier's location header, "lat,lon[;accuracy_m]"
    directory       the caller directory (an ALI-style database of known numbers)
    trunk           the number dialled (a puskesmas's own DID) or the trunk the call came in on
    ivr             digits the caller typed: a 5-digit kode pos or a 6-digit kecamatan code (337404)
    area-code       the landline area code of the caller's number (024 → Kota Semarang); mobiles have none

No location at all is a normal outcome: the router then uses the default route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from geo.callers import CallerDirectory, normalise_number
from geo.facilities import Facility, in_indonesia
from kernel.messages import N_
from routing.pidf import Geo, PidfError, parse_effective_location, parse_pidf
from routing.plan import Location, LocationFacts
from routing.tables import AreaPoint, LocationTables

SOURCES: tuple[str, ...] = ("pidf-lo", "carrier-header", "directory", "trunk", "ivr", "area-code")
DEFAULT_PRECEDENCE = SOURCES

_NUMBER = r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?"
_CARRIER = re.compile(
    rf"\s*({_NUMBER})\s*,\s*({_NUMBER})\s*(?:;\s*(?:accuracy\s*=\s*)?([0-9]{{1,6}}(?:\.[0-9]{{1,3}})?)\s*m?)?\s*"
)
_DIGITS = re.compile(r"[0-9]{5,6}")


@dataclass(frozen=True)
class Located:
    location: Location | None
    notes: list[str] = field(default_factory=list)
    ask_digits: bool = False  # nothing at or above "ivr" in the precedence answered and the IVR has not run


@dataclass(frozen=True)
class LocateData:
    """Everything the sources look things up in; built once per engine."""

    callers: CallerDirectory
    facilities: dict[str, Facility]
    tables: LocationTables


def check_precedence(precedence: Sequence[str]) -> tuple[str, ...]:
    unknown = [s for s in precedence if s not in SOURCES]
    if unknown:
        raise ValueError(
            f"location_precedence: unknown source(s) {', '.join(unknown)} (known: {', '.join(SOURCES)})"
        )
    if len(set(precedence)) != len(precedence):
        raise ValueError("location_precedence: a source is listed twice")
    return tuple(precedence)


def _area(point: AreaPoint, source: str, label: str) -> Location:
    return Location(point.lat, point.lon, source, point.radius_m, label, point.code)


def _from_geo(geo: Geo, data: LocateData, how: str) -> tuple[Location | None, str | None]:
    if geo.lat is not None and geo.lon is not None:
        if not in_indonesia(geo.lat, geo.lon):
            return None, f"PIDF-LO {geo.shape} ({geo.lat}, {geo.lon}) is outside Indonesia; ignored"
        what = f"PIDF-LO {geo.shape}" + (f" ±{geo.radius_m:.0f} m" if geo.radius_m else "") + how
        label = what + (f", method {geo.method}" if geo.method else "")
        return Location(geo.lat, geo.lon, "pidf-lo", geo.radius_m, label), None
    known = data.tables.kode_pos.get(geo.postal_code)
    if known is not None and known[0] in data.tables.areas:
        return _area(data.tables.areas[known[0]], "pidf-lo", f"PIDF-LO civic address {geo.civic_text}"), None
    return None, f"PIDF-LO civic address {geo.civic_text!r} has no kode pos we know; not routed on"


def from_pidf(facts: LocationFacts, data: LocateData) -> tuple[Location | None, str | None]:
    try:
        if facts.geoloc_effective:
            geo = parse_effective_location(facts.geoloc_effective, facts.geoloc_format or "GML")
            return _from_geo(geo, data, " (res_geolocation)")
        if facts.pidf_xml:
            return _from_geo(parse_pidf(facts.pidf_xml), data, "")
    except PidfError as exc:
        return None, f"PIDF-LO unusable: {exc}"
    return None, None


def from_carrier_header(facts: LocationFacts, data: LocateData) -> tuple[Location | None, str | None]:
    if not facts.carrier_header:
        return None, None
    match = _CARRIER.fullmatch(facts.carrier_header)
    if match is None:
        return None, f"carrier location header {facts.carrier_header[:40]!r} is not 'lat,lon[;accuracy]'"
    lat, lon = float(match.group(1)), float(match.group(2))
    if not in_indonesia(lat, lon):
        return None, f"carrier location ({lat}, {lon}) is outside Indonesia (lat and lon swapped?); ignored"
    accuracy = float(match.group(3)) if match.group(3) else None
    return Location(lat, lon, "carrier-header", accuracy, "carrier location header"), None


def from_directory(caller: str, data: LocateData) -> tuple[Location | None, str | None]:
    known = data.callers.lookup(caller) if caller else None
    if known is None:
        return None, f"caller {caller or '(none)'} has no known location in the caller directory"
    return Location(known.lat, known.lon, "directory", None, known.label), None


def from_trunk(dialled: str, facts: LocationFacts, data: LocateData) -> tuple[Location | None, str | None]:
    dids = data.tables.dids
    number = normalise_number(dialled) if dialled else None
    entry = dids.get(number) if number else None
    how = f"dialled {dialled}"
    if entry is None and facts.trunk:
        entry = dids.get(f"trunk:{facts.trunk}")
        how = f"came in on trunk {facts.trunk}"
    if entry is None:
        return None, None
    if entry.facility_code:
        facility = data.facilities.get(entry.facility_code)
        if facility is None:
            return None, f"{how}: facility {entry.facility_code} is not loaded"
        label = f"{how}, the number of {facility.name}" + (f" ({entry.label})" if entry.label else "")
        return Location(facility.lat, facility.lon, "trunk", None, label, facility.area_code), None
    point = data.tables.areas.get(entry.area_code)
    if point is None:
        return None, f"{how}: area {entry.area_code} has no outline loaded"
    return _area(point, "trunk", f"{how} ({entry.label or point.name})"), None


def from_digits(facts: LocationFacts, data: LocateData) -> tuple[Location | None, str | None]:
    digits = facts.digits
    if not digits:
        return None, ("caller typed nothing in the IVR" if facts.ivr_done else None)
    if not _DIGITS.fullmatch(digits):
        return None, f"typed digits {digits[:12]!r} are neither a kode pos nor a kecamatan code"
    areas = data.tables.areas
    if len(digits) == 5:
        known = data.tables.kode_pos.get(digits)
        if known is None or known[0] not in areas:
            return None, f"typed kode pos {digits} is not one we know"
        label = f"typed kode pos {digits}" + (f" ({known[1]})" if known[1] else "")
        return _area(areas[known[0]], "ivr", label), None
    code = f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"
    if code not in areas:
        return None, f"typed kecamatan code {digits} ({code}) is not one we know"
    return _area(areas[code], "ivr", f"typed kecamatan code {code} ({areas[code].name})"), None


def from_area_code(caller: str, data: LocateData) -> tuple[Location | None, str | None]:
    number = normalise_number(caller) if caller else None
    if number is None or not number.startswith("62"):
        return None, None
    national = number[2:]
    if national.startswith("8"):
        return None, f"caller {caller} is a mobile number: no area code"
    for length in (4, 3, 2):
        known = data.tables.area_codes.get(national[:length])
        if known is None:
            continue
        area_code, name = known
        point = data.tables.areas.get(area_code)
        if point is None:
            return None, f"area code 0{national[:length]} is {name} ({area_code}), outside the loaded region"
        return _area(point, "area-code", f"landline area code 0{national[:length]} ({name})"), None
    return None, f"caller {caller}: no known landline area code"


def locate(
    caller: str,
    dialled: str,
    facts: LocationFacts,
    data: LocateData,
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
    *,
    ivr_enabled: bool = True,
) -> Located:
    """The first source in `precedence` that yields a location wins; the others leave notes."""
    sources: dict[str, Callable[[], tuple[Location | None, str | None]]] = {
        "pidf-lo": lambda: from_pidf(facts, data),
        "carrier-header": lambda: from_carrier_header(facts, data),
        "directory": lambda: from_directory(caller, data),
        "trunk": lambda: from_trunk(dialled, facts, data),
        "ivr": lambda: from_digits(facts, data),
        "area-code": lambda: from_area_code(caller, data),
    }
    notes: list[str] = []
    found: Location | None = None
    rank = len(precedence)
    for index, name in enumerate(precedence):
        location, note = sources[name]()
        if note:
            notes.append(note)
        if location is not None:
            found, rank = location, index
            break
    ask = (
        ivr_enabled
        and "ivr" in precedence
        and not facts.ivr_done
        and not facts.digits
        and rank > precedence.index("ivr")
    )
    if found is None:
        notes.append(N_("no location from any source: default route"))
    return Located(found, notes, ask)
