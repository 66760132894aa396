"""The routing decision as plain data: where a call rings, in what order, and why.

Built by `routing.router.Router`; written into channel variables by the AGI edge and printed by
`siaga route`, so both always show the same decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_ENDPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def dial_string(endpoint: str) -> str:
    """`PJSIP/<endpoint>`, refusing anything that could smuggle Dial options or a second target."""
    if not _ENDPOINT.fullmatch(endpoint):
        raise ValueError(f"endpoint {endpoint!r} is not a plain PJSIP endpoint name")
    return f"PJSIP/{endpoint}"


@dataclass(frozen=True)
class LocationFacts:
    """Raw location evidence the edge gathered for one call; each field already length- and charset-checked.

    Kept apart from `CallContext` so a dry run, a replay or a test can supply the same facts a live call
    would, and `routing.locate` decides from them without knowing where they came from.
    """

    geoloc_effective: str = ""  # ${GEOLOC_PROFILE(effective_location)}, e.g. shape="Point",crs="2d",pos="…"
    geoloc_format: str = ""  # ${GEOLOC_PROFILE(format)}: GML, civicAddress or URI
    pidf_xml: str = ""  # a PIDF-LO document by value, where the body itself is at hand (dry runs, replay)
    carrier_header: str = ""  # the carrier's location header, "lat,lon[;accuracy]"
    trunk: str = ""  # the PJSIP endpoint the call came in on
    digits: str = ""  # what the caller typed in the IVR (kode pos or kecamatan code)
    ivr_done: bool = False  # the IVR has already run for this call: never ask twice


@dataclass(frozen=True)
class CallContext:
    """What we know about a call when it reaches the engine, already checked by the edge."""

    call_id: str
    caller: str
    dialled: str
    service: str
    at: datetime
    facts: LocationFacts = field(default_factory=LocationFacts)
    started_at: datetime | None = None  # when the call reached Asterisk (the ring budget counts from it)
    topic: str = ""  # the digit pressed at the consultation line's topic menu (desks/topics.py), or ""


@dataclass(frozen=True)
class Location:
    """Where the caller is, with provenance (`source`, `label`) and confidence (`accuracy_m`).

    `area_code` is set when the source names an area rather than a point (kode pos, area code, a
    district trunk): the point is then that area's representative point and the area is taken as given,
    not looked up from the point.
    """

    lat: float
    lon: float
    source: str  # pidf-lo, carrier-header, directory, trunk, ivr, area-code, manual
    accuracy_m: float | None = None
    label: str = ""
    area_code: str = ""


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Target:
    facility: str
    facility_name: str
    endpoint: str
    dial: str
    timeout_s: int
    distance_m: float | None
    why: str


@dataclass(frozen=True)
class Skipped:
    facility: str
    facility_name: str
    reason: str
    distance_m: float | None = None


@dataclass(frozen=True)
class DeskStop:
    """A desk's queue in the plan: where the caller waits, after the facilities, for at most `max_wait_s`
    (0: no limit, the chain's last desk: the caller waits there until someone answers)."""

    desk: str
    name: str
    max_wait_s: int
    why: str


@dataclass(frozen=True)
class RoutePlan:
    call_id: str
    caller: str
    service: str
    at: datetime
    location: Location | None
    area: list[AreaRef]  # smallest first, then its ancestors
    targets: list[Target]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ask_digits: bool = False  # nothing better than an area code is known: the dialplan should run the IVR
    budget_s: int | None = None  # the ring budget the plan was made for (facilities; desks come after it)
    desks: list[DeskStop] = field(default_factory=list)  # the caller's desk, then its overflow desks

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (decision log, call record). Built field by field: `dataclasses.asdict`
        deep-copies every value and cost ~0.4 ms per call, more than the routing decision itself."""
        location = None
        if self.location is not None:
            loc = self.location
            location = {
                "lat": loc.lat,
                "lon": loc.lon,
                "source": loc.source,
                "accuracy_m": loc.accuracy_m,
                "label": loc.label,
                "area_code": loc.area_code,
                "point": {"lat": loc.lat, "lon": loc.lon},
            }
        areas = [{"code": a.code, "name": a.name, "level": a.level} for a in self.area]
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "service": self.service,
            "at": self.at.isoformat(),
            "location": location,
            "area": areas[0] if areas else None,
            "targets": [
                {
                    "facility": t.facility,
                    "facility_name": t.facility_name,
                    "endpoint": t.endpoint,
                    "dial": t.dial,
                    "timeout_s": t.timeout_s,
                    "distance_m": t.distance_m,
                    "why": t.why,
                }
                for t in self.targets
            ],
            "skipped": [
                {
                    "facility": k.facility,
                    "facility_name": k.facility_name,
                    "reason": k.reason,
                    "distance_m": k.distance_m,
                }
                for k in self.skipped
            ],
            "desks": [
                {"desk": d.desk, "name": d.name, "max_wait_s": d.max_wait_s, "why": d.why} for d in self.desks
            ],
            "notes": list(self.notes),
            "ask_digits": self.ask_digits,
            "budget_s": self.budget_s,
            "areas": areas,
        }
