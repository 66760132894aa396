"""The routing decision as plain data: where a call rings, in what order, and why.

Built by `routing.router.Router`; written into channel variables by the AGI edge and printed by
`siaga route`, so both always show the same decision.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

_ENDPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def dial_string(endpoint: str) -> str:
    """`PJSIP/<endpoint>`, refusing anything that could smuggle Dial options or a second target."""
    if not _ENDPOINT.fullmatch(endpoint):
        raise ValueError(f"endpoint {endpoint!r} is not a plain PJSIP endpoint name")
    return f"PJSIP/{endpoint}"


@dataclass(frozen=True)
class CallContext:
    """What we know about a call when it reaches the engine, already checked by the edge."""

    call_id: str
    caller: str
    dialled: str
    service: str
    at: datetime


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    source: str  # directory, pidf-lo, carrier-header, trunk, ivr, area-code, manual
    accuracy_m: float | None = None
    label: str = ""


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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["area"] = data["area"][0] if self.area else None
        data["areas"] = [asdict(a) for a in self.area]
        if self.location is not None:
            data["location"]["point"] = {"lat": self.location.lat, "lon": self.location.lon}
        return data
