"""How long a unit takes to reach the caller: one small interface, so a road router (OSRM's table
service: many sources, one destination, durations in seconds) can later replace the estimate without the
recommendation changing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from geo.distance import ellipsoid_m

Point = tuple[float, float]  # (lat, lon)


class TravelTimes(Protocol):
    def seconds(self, origins: Sequence[Point], destination: Point) -> list[float | None]:
        """Driving time from each origin to `destination`, in origin order; None where there is no route."""
        ...


@dataclass(frozen=True)
class GeodesicTravel:
    """Straight-line (ellipsoidal) distance × a road factor ÷ an average speed (settings
    `dispatch_road_factor`, `dispatch_speed_kmh`). Crude, but monotonic in distance and never absent."""

    road_factor: float = 1.4
    speed_kmh: float = 40.0

    def __post_init__(self) -> None:
        if self.road_factor < 1.0:
            raise ValueError(
                f"dispatch_road_factor {self.road_factor} is below 1: no road is shorter than the line"
            )
        if self.speed_kmh <= 0:
            raise ValueError(f"dispatch_speed_kmh {self.speed_kmh} must be above 0")

    def seconds(self, origins: Sequence[Point], destination: Point) -> list[float | None]:
        speed_ms = self.speed_kmh / 3.6
        return [ellipsoid_m(*origin, *destination) * self.road_factor / speed_ms for origin in origins]
