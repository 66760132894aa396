"""The routing decision: locate the caller, rank facilities, keep the staffed ones, end at the dispatcher.

Pure apart from the roster snapshot it is handed: `decide` takes the call (with its time) and returns a
`RoutePlan`; nothing here waits on the network or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from geo.distance import rank_facilities
from geo.region import Region
from routing.plan import AreaRef, CallContext, Location, RoutePlan, Skipped, Target, dial_string
from routing.services import DEFAULT_SERVICE, SERVICES
from shifts.roster import OnDutySnapshot

# How many nearest facilities are considered before giving up and leaving the rest to the dispatcher.
CANDIDATES = 12


class SnapshotSource(Protocol):
    def snapshot(self, now: object) -> OnDutySnapshot: ...


@dataclass(frozen=True)
class RoutingPolicy:
    dispatcher_endpoint: str
    ring_timeout_s: int = 20
    dispatcher_timeout_s: int = 60
    max_targets: int = 3


class Router:
    def __init__(self, region: Region, roster: SnapshotSource, policy: RoutingPolicy) -> None:
        self.region = region
        self.roster = roster
        self.policy = policy

    def locate(self, ctx: CallContext) -> tuple[Location | None, list[str]]:
        known = self.region.callers.lookup(ctx.caller)
        if known is not None:
            return Location(known.lat, known.lon, "directory", None, known.label), []
        return None, [f"caller {ctx.caller or '(none)'} has no known location"]

    def decide(self, ctx: CallContext, location: Location | None = None) -> RoutePlan:
        notes: list[str] = []
        if location is None:
            location, notes = self.locate(ctx)
        service = SERVICES.get(ctx.service)
        if service is None:
            notes.append(f"unknown service {ctx.service!r}; treated as {DEFAULT_SERVICE}")
            service = SERVICES[DEFAULT_SERVICE]
        targets: list[Target] = []
        skipped: list[Skipped] = []
        areas: list[AreaRef] = []
        if location is not None:
            lineage = self.region.areas.containing(location.lat, location.lon)
            areas = [AreaRef(a.code, a.name, a.level) for a in lineage]
            if not lineage:
                notes.append("location is outside every known area; ranking by distance alone")
            snapshot = self.roster.snapshot(ctx.at)
            candidates = [f for f in self.region.facilities.values() if f.kind in service.facility_kinds]
            ranked = rank_facilities(
                location.lat, location.lon, candidates, {a.code for a in areas}, CANDIDATES
            )
            for rank in ranked:
                facility = rank.facility
                if len(targets) >= self.policy.max_targets:
                    break
                on_duty = [d for d in snapshot.staff_at(facility.code) if d.role in service.roles]
                if not on_duty:
                    skipped.append(
                        Skipped(
                            facility.code, facility.name, "no one on duty (off shift)", round(rank.distance_m)
                        )
                    )
                    continue
                duty = on_duty[0]
                order = "nearest staffed" if not targets else "next nearest staffed"
                why = f"{order} {facility.kind}" + (" (serves this area)" if rank.in_service_area else "")
                why += f"; {duty.staff_name} on {duty.shift} shift"
                targets.append(
                    Target(
                        facility.code,
                        facility.name,
                        duty.endpoint,
                        dial_string(duty.endpoint),
                        self.policy.ring_timeout_s,
                        round(rank.distance_m),
                        why,
                    )
                )
            if not targets:
                notes.append("no staffed facility nearby")
        targets.append(
            Target(
                "dispatcher",
                "Central dispatcher",
                self.policy.dispatcher_endpoint,
                dial_string(self.policy.dispatcher_endpoint),
                self.policy.dispatcher_timeout_s,
                None,
                "central dispatcher: always last",
            )
        )
        return RoutePlan(
            ctx.call_id, ctx.caller, service.name, ctx.at, location, areas, targets, skipped, notes
        )
