"""Which facilities and roles can answer each hotline service. Configuration, not logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    facility_kinds: tuple[str, ...]
    roles: tuple[str, ...]


SERVICES: dict[str, Service] = {
    "emergency": Service("emergency", ("puskesmas", "ambulance"), ("operator", "nurse", "doctor", "driver")),
    "consultation": Service("consultation", ("consultation",), ("doctor", "nurse")),
}
DEFAULT_SERVICE = "emergency"
