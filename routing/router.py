"""The routing decision: locate the caller, rank facilities, keep the staffed and reachable ones, end at the
dispatcher, all within a ring budget.

Pure apart from the roster snapshot and the device states it is handed: `decide` takes the call (with its
time) and returns a `RoutePlan`; nothing here waits on the network or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from desks.config import DESK_KINDS, Desk, DeskTable, load_desks
from desks.topics import topic_for_digit, topic_queue
from geo.distance import geodesic_m
from geo.facilities import Facility
from geo.region import Region
from routing.locate import DEFAULT_PRECEDENCE, Located, LocateData, locate
from routing.plan import AreaRef, CallContext, DeskStop, Location, RoutePlan, Skipped, Target, dial_string
from routing.presence import DeviceStates, unreachable_reason
from routing.services import DEFAULT_SERVICE, DISTRICT_DESK_KIND, SERVICES, Service
from routing.tables import LocationTables, area_points
from shifts.roster import Duty, OnDutySnapshot

# How many nearest facilities are considered before giving up and leaving the rest to the dispatcher.
CANDIDATES = 12
# How many of them are ranked (exact distances) and asked about (device states) first, beyond
# max_targets: the plan usually fills within the first few (in the sample region 3 or 4 of them on
# more than 99 % of calls), and the others are ranked and asked about only when it does not. The plan
# is the same either way: candidates after the one that fills it are never looked at.
FIRST_CANDIDATES_SPARE = 3
# A location that only names one of these is too coarse to pick "the nearest puskesmas" from.
COARSE_LEVELS = ("kabupaten", "provinsi")


class SnapshotSource(Protocol):
    def snapshot(self, now: object) -> OnDutySnapshot: ...


@dataclass(frozen=True)
class RoutingPolicy:
    dispatcher_endpoint: str
    ring_timeout_s: int = 20
    dispatcher_timeout_s: int = 60
    max_targets: int = 3
    ring_budget_s: int = 45  # the dispatcher starts ringing at most this long after the call arrived
    min_ring_s: int = 8  # a target rung for less than this is not worth the caller's seconds
    location_precedence: tuple[str, ...] = DEFAULT_PRECEDENCE
    ivr: bool = True


@dataclass(frozen=True)
class _Candidate:
    facility: Facility
    distance_m: float | None
    in_service_area: bool


class Router:
    def __init__(
        self,
        region: Region,
        roster: SnapshotSource,
        policy: RoutingPolicy,
        tables: LocationTables | None = None,
        desks: DeskTable | None = None,
        default_desk: str = "",
    ) -> None:
        self.region = region
        # Desks: facilities of kind dispatch/consultation, with overflow chains (desks/config.py).
        self.desks = desks if desks is not None else load_desks(list(region.facilities.values()), None)
        self.default_desk = default_desk
        self._desk_indices: dict[str, tuple[list[Desk], dict[str, str]]] = {}
        self.roster = roster
        self.policy = policy
        self.tables = tables if tables is not None else LocationTables(areas=area_points(region.areas))
        self._data = LocateData(region.callers, region.facilities, self.tables)

    def locate_call(self, ctx: CallContext) -> Located:
        return locate(
            ctx.caller,
            ctx.dialled,
            ctx.facts,
            self._data,
            self.policy.location_precedence,
            ivr_enabled=self.policy.ivr,
        )

    def locate(self, ctx: CallContext) -> tuple[Location | None, list[str]]:
        located = self.locate_call(ctx)
        return located.location, located.notes

    def decide(
        self, ctx: CallContext, location: Location | None = None, presence: DeviceStates | None = None
    ) -> RoutePlan:
        notes: list[str] = []
        ask_digits = False
        if location is None:
            located = self.locate_call(ctx)
            location, notes, ask_digits = located.location, list(located.notes), located.ask_digits
        service = SERVICES.get(ctx.service)
        if service is None:
            notes.append(f"unknown service {ctx.service!r}; treated as {DEFAULT_SERVICE}")
            service = SERVICES[DEFAULT_SERVICE]
        ask_digits = ask_digits and service.needs_location
        targets: list[Target] = []
        skipped: list[Skipped] = []
        areas: list[AreaRef] = []
        coarse = False
        if location is not None:
            if location.area_code:
                lineage = self.region.areas.lineage(location.area_code)
            else:
                placement = self.region.areas.place(location.lat, location.lon)
                lineage = placement.lineage
                if placement.on_border_with:
                    notes.append(
                        f"location is on the border of {lineage[0].code} and "
                        f"{', '.join(placement.on_border_with)}; {lineage[0].code} chosen"
                    )
            areas = [AreaRef(a.code, a.name, a.level) for a in lineage]
            if not lineage:
                notes.append("location is outside every known area; ranking by distance alone")
            coarse = bool(location.area_code and areas and areas[0].level in COARSE_LEVELS)
        snapshot = self.roster.snapshot(ctx.at)
        pool: list[_Candidate] = []
        batches: Iterable[list[_Candidate]] = ()
        # A desk's queue (consultation line; a caller known only to a kabupaten) answers after the
        # facilities; with desks configured such calls ring no facility phone first.
        queued_service = bool(len(self.desks)) and all(k in DESK_KINDS for k in service.facility_kinds)
        if coarse and service.needs_location:
            notes.append(
                f"location known only to {areas[0].name} ({areas[0].level}): its dispatch desk takes the "
                "call rather than a guessed nearest puskesmas"
            )
            if not len(self.desks):  # no desk queues: the district desk's staff are rung directly
                pool = self._district_desks(areas[0])
                batches = (pool,)
        elif queued_service:
            notes.append(f"{service.name}: answered by the desk's queue")
        elif location is not None:
            pool = self._nearest(location, service, areas, self._first_candidates())
            batches = self._nearest_batches(pool, location, service, areas)
        elif not service.needs_location:
            desks = sorted(
                (f for f in self.region.facilities.values() if f.kind in service.facility_kinds),
                key=lambda f: f.code,
            )
            pool = [_Candidate(f, None, False) for f in desks[:CANDIDATES]]
            batches = (pool,)
        if pool:
            targets, skipped = self._staffed(batches, service, snapshot, presence)
            if not targets:
                notes.append("no staffed facility nearby")
        targets, over_budget, budget = self._within_budget(ctx, targets)
        skipped += over_budget
        desks = self._desk_chain(service, location, areas, snapshot, notes, topic=ctx.topic)
        if not desks and self.policy.dispatcher_endpoint:  # deprecated: no desk configured at all
            targets.append(
                Target(
                    "dispatcher",
                    "Central dispatcher",
                    self.policy.dispatcher_endpoint,
                    dial_string(self.policy.dispatcher_endpoint),
                    self.policy.dispatcher_timeout_s,
                    None,
                    "central dispatcher (deprecated single endpoint): no desk is configured",
                )
            )
        return RoutePlan(
            ctx.call_id,
            ctx.caller,
            service.name,
            ctx.at,
            location,
            areas,
            targets,
            skipped,
            notes,
            ask_digits,
            budget,
            desks,
        )

    def _desk_chain(
        self,
        service: Service,
        location: Location | None,
        areas: list[AreaRef],
        snapshot: OnDutySnapshot,
        notes: list[str],
        *,
        topic: str = "",
    ) -> list[DeskStop]:
        """The caller's own desk and its overflow desks, after the facilities. A desk with nobody on duty
        is passed over at once (the plan says so), except the chain's last: a caller waits there rather
        than be hung up on, and the coverage check has warned about the gap ahead of time.

        A consultation caller who chose a topic at the menu (`topic`, the digit) first waits in that topic's
        queue (desks/topics.py), then the desk's own chain as its overflow."""
        first, why = self._callers_desk(service, location, areas)
        chain = self.desks.chain(first) if first else []
        stops: list[DeskStop] = []
        if chain and service.name == "consultation" and chain[0].kind == "consultation":
            stops += self._topic_stop(chain[0], topic, notes)
        for n, desk in enumerate(chain):
            last = n == len(chain) - 1
            staffed = bool(snapshot.staff_at(desk.code))
            reason = why if n == 0 else f"overflow of {chain[n - 1].name}"
            if not staffed and not last:
                notes.append(f"desk {desk.name}: no one on duty; overflows at once")
                continue
            if not staffed:
                notes.append(f"desk {desk.name}: no one on duty; the caller waits there (last desk)")
            stops.append(DeskStop(desk.code, desk.name, 0 if last else desk.max_wait_s, reason))
        return stops

    def _topic_stop(self, desk: Desk, digit: str, notes: list[str]) -> list[DeskStop]:
        """The topic queue of `desk` for the digit pressed, waited at for the desk's own `max_wait_s`; none
        for no digit or one off the menu (the desk's own queue takes the call: everyone on duty).

        Whether anyone with the skill is on duty is left to Asterisk: topic queues refuse a caller while
        no member is available (queues.conf `joinempty`) and send waiting callers on when the last one
        leaves, so the caller moves to the desk's own queue at once, the queue's live state deciding
        rather than a roster snapshot that cannot see a paused doctor."""
        if not digit:
            notes.append(f"consultation menu: no topic chosen; {desk.name}'s own queue")
            return []
        topic = topic_for_digit(digit)
        if topic is None:
            notes.append(f"consultation menu: {digit} is not a topic; {desk.name}'s own queue")
            return []
        return [
            DeskStop(
                topic_queue(desk.code, topic.code),
                f"{desk.name}: {topic.label}",
                desk.max_wait_s,
                f"topic {topic.digit} ({topic.label}): the doctors on duty with the skill {topic.code!r}",
            )
        ]

    def _callers_desk(
        self, service: Service, location: Location | None, areas: list[AreaRef]
    ) -> tuple[str, str]:
        """(desk code, why): for the consultation line its consultation desk; otherwise the dispatch desk
        serving the caller's smallest area (its service_area), else the nearest, else the default desk."""
        kind = "consultation" if service.name == "consultation" else DISTRICT_DESK_KIND
        candidates, serving = self._desk_index(kind)
        if not candidates:
            return (self.default_desk, "default desk") if self.default_desk else ("", "")
        for area in areas:  # smallest first
            code = serving.get(area.code)
            if code is not None:
                return code, f"desk serving {area.name}"
        if location is not None and kind == DISTRICT_DESK_KIND:
            nearest = min(
                candidates,
                key=lambda d: geodesic_m(
                    location.lat,
                    location.lon,
                    self.region.facilities[d.code].lat,
                    self.region.facilities[d.code].lon,
                ),
            )
            return nearest.code, "nearest desk"
        if self.default_desk in {d.code for d in candidates}:
            return self.default_desk, "default desk"
        return candidates[0].code, "desk"

    def _desk_index(self, kind: str) -> tuple[list[Desk], dict[str, str]]:
        """The desks of a kind and area code → the desk serving it, worked out once per router (the
        desks and the region are fixed for its life), not on every call."""
        cached = self._desk_indices.get(kind)
        if cached is None:
            candidates = [d for d in self.desks.of_kind(kind) if d.code in self.region.facilities]
            serving: dict[str, str] = {}
            for desk in candidates:  # by code: the first desk naming an area serves it
                for code in self.region.facilities[desk.code].service_area:
                    serving.setdefault(code, desk.code)
            cached = self._desk_indices[kind] = (candidates, serving)
        return cached

    def _district_desks(self, area: AreaRef) -> list[_Candidate]:
        desks = []
        for facility in sorted(self.region.facilities.values(), key=lambda f: f.code):
            if facility.kind != DISTRICT_DESK_KIND:
                continue
            if area.code in {a.code for a in self.region.areas.lineage(facility.area_code)}:
                desks.append(_Candidate(facility, None, True))
        return desks

    def _first_candidates(self) -> int:
        return min(CANDIDATES, self.policy.max_targets + FIRST_CANDIDATES_SPARE)

    def _nearest(
        self, location: Location, service: Service, areas: list[AreaRef], limit: int
    ) -> list[_Candidate]:
        ranked = self.region.nearby.rank(
            location.lat, location.lon, service.facility_kinds, {a.code for a in areas}, limit
        )
        return [_Candidate(r.facility, r.distance_m, r.in_service_area) for r in ranked]

    def _nearest_batches(
        self, first: list[_Candidate], location: Location, service: Service, areas: list[AreaRef]
    ) -> Iterator[list[_Candidate]]:
        """The first candidates, then (only if the plan is still short) the rest up to CANDIDATES.

        The ranking is exact and ties are broken by code, so the first batch is the head of the full
        list and the second its tail: the candidates are the same, in the same order, as if all had been
        ranked at once.
        """
        yield first
        if len(first) < self._first_candidates():
            return  # there are no more of these kinds
        seen = {c.facility.code for c in first}
        yield [c for c in self._nearest(location, service, areas, CANDIDATES) if c.facility.code not in seen]

    def _staffed(
        self,
        batches: Iterable[list[_Candidate]],
        service: Service,
        snapshot: OnDutySnapshot,
        presence: DeviceStates | None,
    ) -> tuple[list[Target], list[Skipped]]:
        """Nearest first: who is on duty, then whose phone can ring; every facility passed over says why.

        Candidates come in batches, each asked about in one device-state query: a later batch is only
        looked at when the earlier ones did not fill the plan.
        """
        targets: list[Target] = []
        skipped: list[Skipped] = []
        pending = iter(batches)
        # The check comes before asking for the next batch: asking is what ranks it.
        while len(targets) < self.policy.max_targets and (pool := next(pending, None)) is not None:
            self._staff_batch(pool, service, snapshot, presence, targets, skipped)
        return targets, skipped

    def _staff_batch(
        self,
        pool: list[_Candidate],
        service: Service,
        snapshot: OnDutySnapshot,
        presence: DeviceStates | None,
        targets: list[Target],
        skipped: list[Skipped],
    ) -> None:
        on_duty: dict[str, list[Duty]] = {
            c.facility.code: [d for d in snapshot.staff_at(c.facility.code) if d.role in service.roles]
            for c in pool
        }
        # One person whose endpoint name could smuggle Dial options (data that slipped past the importers'
        # check) costs that person a target, never the caller the whole plan.
        undialable = {d.endpoint for duties in on_duty.values() for d in duties if not _dialable(d.endpoint)}
        if undialable:
            on_duty = {
                code: [d for d in duties if d.endpoint not in undialable] for code, duties in on_duty.items()
            }
            for c in pool:
                names = [
                    repr(e)
                    for e in sorted(undialable)
                    if any(d.endpoint == e for d in snapshot.staff_at(c.facility.code))
                ]
                if names and not on_duty[c.facility.code]:
                    skipped.append(
                        Skipped(
                            c.facility.code,
                            c.facility.name,
                            f"{', '.join(names)}: not a dialable endpoint name",
                        )
                    )
        endpoints = [
            d.endpoint
            for duties in on_duty.values()
            for d in duties
            if d.endpoint != self.policy.dispatcher_endpoint
        ]
        states = dict(presence(endpoints)) if presence is not None and endpoints else {}
        for candidate in pool:
            facility = candidate.facility
            if len(targets) >= self.policy.max_targets:
                break
            distance = None if candidate.distance_m is None else round(candidate.distance_m)
            duties = on_duty[facility.code]
            if not duties:
                if not any(s.facility == facility.code for s in skipped):
                    skipped.append(
                        Skipped(facility.code, facility.name, "no one on duty (off shift)", distance)
                    )
                continue
            if all(d.endpoint == self.policy.dispatcher_endpoint for d in duties):
                continue  # the central dispatcher's own desk: it is rung last anyway
            reachable = [d for d in duties if unreachable_reason(states.get(d.endpoint)) is None]
            passed = [
                f"{d.endpoint}: {unreachable_reason(states.get(d.endpoint))}"
                for d in duties
                if d not in reachable
            ]
            if not reachable:
                skipped.append(Skipped(facility.code, facility.name, "; ".join(passed), distance))
                continue
            for duty in reachable if service.pool else reachable[:1]:
                if len(targets) >= self.policy.max_targets:
                    break
                order = "nearest staffed" if not targets else "next nearest staffed"
                if candidate.distance_m is None:
                    order = "on-duty" if not targets else "next on-duty"
                why = f"{order} {facility.kind}" + (
                    " (serves this area)" if candidate.in_service_area else ""
                )
                why += f"; {duty.staff_name} on {duty.shift} shift"
                if passed:
                    why += f" ({'; '.join(passed)})"
                targets.append(
                    Target(
                        facility.code,
                        facility.name,
                        duty.endpoint,
                        dial_string(duty.endpoint),
                        self.policy.ring_timeout_s,
                        distance,
                        why,
                    )
                )

    def _within_budget(
        self, ctx: CallContext, targets: list[Target]
    ) -> tuple[list[Target], list[Skipped], int]:
        """Ring times that get the caller to the dispatcher within the budget, counted from call arrival.

        Each target rings `ring_timeout_s`; if they do not all fit, each rings an equal share; if a share
        would fall under `min_ring_s`, the farthest targets are dropped (with that reason) instead.
        """
        spent = 0
        if ctx.started_at is not None:
            spent = max(0, int((ctx.at - ctx.started_at).total_seconds()))
        budget = max(0, self.policy.ring_budget_s - spent)
        keep = len(targets)
        while keep and budget // keep < self.policy.min_ring_s:
            keep -= 1
        ring = min(self.policy.ring_timeout_s, budget // keep) if keep else 0
        kept = [
            Target(t.facility, t.facility_name, t.endpoint, t.dial, ring, t.distance_m, t.why)
            for t in targets[:keep]
        ]
        dropped = [
            Skipped(
                t.facility,
                t.facility_name,
                f"not rung: the {self.policy.ring_budget_s} s ring budget ({budget} s left) is spent on "
                "nearer targets",
                t.distance_m,
            )
            for t in targets[keep:]
        ]
        return kept, dropped, budget


def _dialable(endpoint: str) -> bool:
    try:
        dial_string(endpoint)
    except ValueError:
        return False
    return True
