"""The routing decision: locate the caller, rank facilities, keep the staffed and reachable ones, end at the
dispatcher, all within a ring budget.

Pure apart from the roster snapshot: a call goes down once and back once. `candidates` takes the call
(with its time) and says which endpoints' device states the plan can depend on; the edge reads them in
one batch; `decide` takes them and returns the `RoutePlan`. Nothing here waits on the network or the
database, and nothing calls back into the edge.

What the router knows about places (`Places`: the region, the location tables, the desks) is one value,
replaced whole by `Router.swap` when an engine re-reads a re-import (`routing/live.py`). A call reads it
once, as its candidates are found, and `Candidates` carries it to `decide`: a call in progress finishes
on the places it started with, and no call ever sees half of the old and half of the new.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from desks.config import DESK_KINDS, Desk, DeskTable, load_desks
from desks.topics import topic_for_digit, topic_queue
from geo.distance import geodesic_m
from geo.facilities import Facility
from geo.region import Region
from kernel.catalogue import DEFAULT_SERVICE, DISTRICT_DESK_KIND, SERVICES, Service
from kernel.messages import N_, Message
from routing.locate import DEFAULT_PRECEDENCE, Located, LocateData, locate
from routing.plan import AreaRef, CallContext, DeskStop, Location, RoutePlan, Skipped, Target, dial_string
from routing.presence import DeviceStates, unreachable_reason
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
# A target's "why", built once per process: (distance unknown, not the first target) → its order.
_ORDER = {
    (False, False): Message("nearest staffed"),
    (False, True): Message("next nearest staffed"),
    (True, False): Message("on-duty"),
    (True, True): Message("next on-duty"),
}
_SERVES = Message(" (serves this area)")
# What a stored "why" can start with, for a page that reads it back in its reader's language (web/calls).
WHY_ORDERS = tuple(_ORDER.values())
# The target's "why" as `_staff_batch` writes it (plain text there, for speed), marked for the catalogs.
WHY_TARGET = N_("{order} {kind}{serves}; {staff} on {shift} shift{passed}")
WHY_PASSED = N_(" ({reasons})")
WHY_SERVES = _SERVES


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
class Places:
    """Everything the router knows about places, read together: swapped in whole, never edited.

    `revision` is the region data's counters (`kernel.revisions`) as read just before the rest, so a
    write that lands during the read makes the next check reload rather than be missed."""

    region: Region
    tables: LocationTables
    desks: DeskTable
    default_desk: str = ""
    revision: Mapping[str, int] = field(default_factory=dict)


class _InUse:
    """One `Places` with what the router works out from it once rather than per call."""

    def __init__(self, places: Places) -> None:
        self.places = places
        self.region = places.region
        self.desks = places.desks
        self.default_desk = places.default_desk
        self.data = LocateData(places.region.callers, places.region.facilities, places.tables)
        # kind → (desks of that kind, area code → the desk serving it), filled in on first use.
        self.desk_indices: dict[str, tuple[list[Desk], dict[str, str]]] = {}


class _Candidate(Protocol):
    """A facility in question: `geo.distance.Ranked` for the nearest, `_Unranked` for desks."""

    @property
    def facility(self) -> Facility: ...
    @property
    def distance_m(self) -> float | None: ...
    @property
    def in_service_area(self) -> bool: ...


class _ToRing(NamedTuple):
    """A target before its ring time is known (`Router._within_budget` gives it one)."""

    facility: str
    facility_name: str
    endpoint: str
    dial: str
    distance_m: float | None
    why: str


@dataclass(frozen=True)
class _Unranked:
    facility: Facility
    distance_m: float | None
    in_service_area: bool


class _ServiceDuties:
    """The duties of one roster snapshot whose role answers one service, by facility, with the ones whose
    endpoint is no dialable name set apart; filled in as facilities are asked about."""

    def __init__(self, snapshot: OnDutySnapshot, roles: tuple[str, ...]) -> None:
        self.snapshot = snapshot
        self._roles = roles
        self._dialable: dict[str, tuple[Duty, ...]] = {}
        self._undialable: dict[str, frozenset[str]] = {}

    def of(self, facility_code: str) -> tuple[Duty, ...]:
        """On duty at the facility in one of the service's roles, with a dialable endpoint."""
        found = self._dialable.get(facility_code)
        if found is None:
            duties = [d for d in self.snapshot.staff_at(facility_code) if d.role in self._roles]
            bad = frozenset(d.endpoint for d in duties if not _dialable(d.endpoint))
            found = self._dialable[facility_code] = tuple(d for d in duties if d.endpoint not in bad)
            self._undialable[facility_code] = bad
        return found

    def undialable(self, facility_code: str) -> frozenset[str]:
        """Endpoints of those duties that are no dialable name (normally none)."""
        self.of(facility_code)
        return self._undialable[facility_code]


@dataclass(frozen=True)
class Candidates:
    """What a plan needs that no phone's state can change: where the caller is, the facilities in
    question (nearest first), and the endpoints whose device states can change it.

    The edge reads those states in one batch and hands them to `Router.decide`, so a call goes down once
    and back once. `first` is ranked; when it cannot fill the plan the rest (up to CANDIDATES) is ranked
    in `decide`, and their endpoints are already among `endpoints` (geo.nearest's reserve).
    """

    location: Location | None
    notes: list[str]
    ask_digits: bool
    service: Service
    areas: list[AreaRef]
    snapshot: OnDutySnapshot
    first: list[_Candidate]
    more_possible: bool
    endpoints: tuple[str, ...]
    # The places these were found in; `decide` finishes the call on them, whatever was swapped in since.
    places: _InUse | None = field(default=None, repr=False, compare=False)


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
        self.roster = roster
        self.policy = policy
        self._duty_cache: tuple[OnDutySnapshot, dict[str, _ServiceDuties]] | None = None
        self._in_use = _InUse(
            Places(
                region,
                tables if tables is not None else LocationTables(areas=area_points(region.areas)),
                # Desks: facilities of kind dispatch/consultation, with overflow chains (desks/config.py).
                desks if desks is not None else load_desks(list(region.facilities.values()), None),
                default_desk,
            )
        )

    @classmethod
    def from_places(cls, places: Places, roster: SnapshotSource, policy: RoutingPolicy) -> Router:
        return cls(places.region, roster, policy, places.tables, places.desks, places.default_desk).swap(
            places
        )

    def swap(self, places: Places) -> Router:
        """Route every call that starts from now on with `places`; calls already past `candidates` finish
        on the old ones. One reference assignment: atomic for threads and between calls alike."""
        self._in_use = _InUse(places)
        return self

    @property
    def places(self) -> Places:
        return self._in_use.places

    @property
    def region(self) -> Region:
        return self._in_use.region

    @property
    def tables(self) -> LocationTables:
        return self._in_use.places.tables

    @property
    def desks(self) -> DeskTable:
        return self._in_use.desks

    @property
    def default_desk(self) -> str:
        return self._in_use.default_desk

    def locate_call(self, ctx: CallContext, places: _InUse | None = None) -> Located:
        return locate(
            ctx.caller,
            ctx.dialled,
            ctx.facts,
            (places or self._in_use).data,
            self.policy.location_precedence,
            ivr_enabled=self.policy.ivr,
        )

    def locate(self, ctx: CallContext) -> tuple[Location | None, list[str]]:
        located = self.locate_call(ctx)
        return located.location, located.notes

    def candidates(self, ctx: CallContext, location: Location | None = None) -> Candidates:
        """Everything the plan needs that does not depend on a phone's state, and the endpoints whose
        states it may depend on. `location` given: that one is used instead of locating the call."""
        places = self._in_use  # read once: the whole call is decided on these places
        region = places.region
        notes: list[str] = []
        ask_digits = False
        if location is None:
            located = self.locate_call(ctx, places)
            location, notes, ask_digits = located.location, list(located.notes), located.ask_digits
        service = SERVICES.get(ctx.service)
        if service is None:
            notes.append(
                Message(
                    "unknown service {service!r}; treated as {default}",
                    service=ctx.service,
                    default=DEFAULT_SERVICE,
                )
            )
            service = SERVICES[DEFAULT_SERVICE]
        ask_digits = ask_digits and service.needs_location
        areas: list[AreaRef] = []
        coarse = False
        if location is not None:
            if location.area_code:
                lineage = region.areas.lineage(location.area_code)
            else:
                placement = region.areas.place(location.lat, location.lon)
                lineage = placement.lineage
                if placement.on_border_with:
                    notes.append(
                        Message(
                            "location is on the border of {area} and {others}; {area} chosen",
                            area=lineage[0].code,
                            others=", ".join(placement.on_border_with),
                        )
                    )
            areas = [AreaRef(a.code, a.name, a.level) for a in lineage]
            if not lineage:
                notes.append(N_("location is outside every known area; ranking by distance alone"))
            coarse = bool(location.area_code and areas and areas[0].level in COARSE_LEVELS)
        snapshot = self.roster.snapshot(ctx.at)
        pool: list[_Candidate] = []
        reserve: list[Facility] = []
        nearest = False
        # A desk's queue (consultation line; a caller known only to a kabupaten) answers after the
        # facilities; with desks configured such calls ring no facility phone first.
        queued_service = bool(len(places.desks)) and all(k in DESK_KINDS for k in service.facility_kinds)
        if coarse and service.needs_location:
            notes.append(
                Message(
                    "location known only to {area} ({level}): its dispatch desk takes the call rather than a "
                    "guessed nearest puskesmas",
                    area=areas[0].name,
                    level=areas[0].level,
                )
            )
            if not len(places.desks):  # no desk queues: the district desk's staff are rung directly
                pool = self._district_desks(places, areas[0])
        elif queued_service:
            notes.append(Message("{service}: answered by the desk's queue", service=service.name))
        elif location is not None:
            pool, reserve = self._nearest(
                places, location, service, areas, self._first_candidates(), CANDIDATES
            )
            nearest = True
        elif not service.needs_location:
            desks = sorted(
                (f for f in region.facilities.values() if f.kind in service.facility_kinds),
                key=lambda f: f.code,
            )
            pool = [_Unranked(f, None, False) for f in desks[:CANDIDATES]]
        duties = self._duties(snapshot, service)
        endpoints: dict[str, None] = {}
        for facility in [c.facility for c in pool] + reserve:
            for duty in duties.of(facility.code):
                if duty.endpoint != self.policy.dispatcher_endpoint:
                    endpoints[duty.endpoint] = None
        return Candidates(
            location,
            notes,
            ask_digits,
            service,
            areas,
            snapshot,
            pool,
            nearest and len(pool) >= self._first_candidates(),
            tuple(endpoints),
            places,
        )

    def decide(
        self,
        ctx: CallContext,
        location: Location | None = None,
        presence: DeviceStates | None = None,
        *,
        candidates: Candidates | None = None,
        states: Mapping[str, str] | None = None,
    ) -> RoutePlan:
        """The plan for the call, from `candidates` (`self.candidates(ctx, location)` when not given) and
        the device states of their endpoints, which the edge read in one batch (`states`; missing ones
        count as able to ring). `presence`, for dry runs and tests, is asked for those states once."""
        if candidates is None:
            candidates = self.candidates(ctx, location)
            if presence is not None and candidates.endpoints:
                states = presence(candidates.endpoints)
        location, service, areas = candidates.location, candidates.service, candidates.areas
        places = candidates.places or self._in_use
        notes = list(candidates.notes)
        to_ring: list[_ToRing] = []
        skipped: list[Skipped] = []
        if candidates.first:
            batches: Iterable[list[_Candidate]] = (candidates.first,)
            if candidates.more_possible and location is not None:
                batches = self._nearest_batches(places, candidates.first, location, service, areas)
            to_ring, skipped = self._staffed(batches, service, candidates.snapshot, states or {})
            if not to_ring:
                notes.append(N_("no staffed facility nearby"))
        targets, over_budget, budget = self._within_budget(ctx, to_ring)
        skipped += over_budget
        desks = self._desk_chain(
            places, service, location, areas, candidates.snapshot, notes, topic=ctx.topic
        )
        if not desks and self.policy.dispatcher_endpoint:  # deprecated: no desk configured at all
            targets.append(
                Target(
                    "dispatcher",
                    "Central dispatcher",
                    self.policy.dispatcher_endpoint,
                    dial_string(self.policy.dispatcher_endpoint),
                    self.policy.dispatcher_timeout_s,
                    None,
                    N_("central dispatcher (deprecated single endpoint): no desk is configured"),
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
            candidates.ask_digits,
            budget,
            desks,
        )

    def _desk_chain(
        self,
        places: _InUse,
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
        first, why = self._callers_desk(places, service, location, areas)
        chain = places.desks.chain(first) if first else []
        stops: list[DeskStop] = []
        if chain and service.name == "consultation" and chain[0].kind == "consultation":
            stops += self._topic_stop(chain[0], topic, notes)
        for n, desk in enumerate(chain):
            last = n == len(chain) - 1
            staffed = bool(snapshot.staff_at(desk.code))
            reason = why if n == 0 else Message("overflow of {desk}", desk=chain[n - 1].name)
            if not staffed and not last:
                notes.append(Message("desk {desk}: no one on duty; overflows at once", desk=desk.name))
                continue
            if not staffed:
                notes.append(
                    Message("desk {desk}: no one on duty; the caller waits there (last desk)", desk=desk.name)
                )
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
            notes.append(Message("consultation menu: no topic chosen; {desk}'s own queue", desk=desk.name))
            return []
        topic = topic_for_digit(digit)
        if topic is None:
            notes.append(
                Message(
                    "consultation menu: {digit} is not a topic; {desk}'s own queue",
                    digit=digit,
                    desk=desk.name,
                )
            )
            return []
        return [
            DeskStop(
                topic_queue(desk.code, topic.code),
                f"{desk.name}: {topic.label}",
                desk.max_wait_s,
                Message(
                    "topic {digit} ({topic}): the doctors on duty with the skill {skill!r}",
                    digit=topic.digit,
                    topic=topic.label,
                    skill=topic.code,
                ),
            )
        ]

    def _callers_desk(
        self, places: _InUse, service: Service, location: Location | None, areas: list[AreaRef]
    ) -> tuple[str, str]:
        """(desk code, why): for the consultation line its consultation desk; otherwise the dispatch desk
        serving the caller's smallest area (its service_area), else the nearest, else the default desk."""
        kind = "consultation" if service.name == "consultation" else DISTRICT_DESK_KIND
        candidates, serving = self._desk_index(places, kind)
        default = places.default_desk
        if not candidates:
            return (default, N_("default desk")) if default else ("", "")
        for area in areas:  # smallest first
            code = serving.get(area.code)
            if code is not None:
                return code, Message("desk serving {area}", area=area.name)
        if location is not None and kind == DISTRICT_DESK_KIND:
            nearest = min(
                candidates,
                key=lambda d: geodesic_m(
                    location.lat,
                    location.lon,
                    places.region.facilities[d.code].lat,
                    places.region.facilities[d.code].lon,
                ),
            )
            return nearest.code, N_("nearest desk")
        if default in {d.code for d in candidates}:
            return default, N_("default desk")
        return candidates[0].code, N_("desk")

    @staticmethod
    def _desk_index(places: _InUse, kind: str) -> tuple[list[Desk], dict[str, str]]:
        """The desks of a kind and area code → the desk serving it, worked out once per `Places` (they
        are never edited, only swapped whole), not on every call."""
        cached = places.desk_indices.get(kind)
        if cached is None:
            facilities = places.region.facilities
            candidates = [d for d in places.desks.of_kind(kind) if d.code in facilities]
            serving: dict[str, str] = {}
            for desk in candidates:  # by code: the first desk naming an area serves it
                for code in facilities[desk.code].service_area:
                    serving.setdefault(code, desk.code)
            cached = places.desk_indices[kind] = (candidates, serving)
        return cached

    @staticmethod
    def _district_desks(places: _InUse, area: AreaRef) -> list[_Candidate]:
        desks = []
        region = places.region
        for facility in sorted(region.facilities.values(), key=lambda f: f.code):
            if facility.kind != DISTRICT_DESK_KIND:
                continue
            if area.code in {a.code for a in region.areas.lineage(facility.area_code)}:
                desks.append(_Unranked(facility, None, True))
        return desks

    def _first_candidates(self) -> int:
        return min(CANDIDATES, self.policy.max_targets + FIRST_CANDIDATES_SPARE)

    @staticmethod
    def _nearest(
        places: _InUse,
        location: Location,
        service: Service,
        areas: list[AreaRef],
        limit: int,
        reserve: int = 0,
    ) -> tuple[list[_Candidate], list[Facility]]:
        ranked, more = places.region.nearby.rank_with_reserve(
            location.lat, location.lon, service.facility_kinds, {a.code for a in areas}, limit, reserve
        )
        return list(ranked), more

    def _nearest_batches(
        self,
        places: _InUse,
        first: list[_Candidate],
        location: Location,
        service: Service,
        areas: list[AreaRef],
    ) -> Iterator[list[_Candidate]]:
        """The first candidates, then (only if the plan is still short) the rest up to CANDIDATES.

        The ranking is exact and ties are broken by code, so the first batch is the head of the full
        list and the second its tail: the candidates are the same, in the same order, as if all had been
        ranked at once. The rest were among the reserve whose device states were read with the first.
        """
        yield first
        seen = {c.facility.code for c in first}
        rest, _ = self._nearest(places, location, service, areas, CANDIDATES)
        yield [c for c in rest if c.facility.code not in seen]

    def _duties(self, snapshot: OnDutySnapshot, service: Service) -> _ServiceDuties:
        """Who on duty answers `service` where, worked out once per roster snapshot (it changes at shift
        boundaries), not on every call."""
        cache = self._duty_cache
        if cache is None or cache[0] is not snapshot:
            cache = self._duty_cache = (snapshot, {})
        found = cache[1].get(service.name)
        if found is None:
            found = cache[1][service.name] = _ServiceDuties(snapshot, service.roles)
        return found

    def _staffed(
        self,
        batches: Iterable[list[_Candidate]],
        service: Service,
        snapshot: OnDutySnapshot,
        states: Mapping[str, str],
    ) -> tuple[list[_ToRing], list[Skipped]]:
        """Nearest first: who is on duty, then whose phone can ring; every facility passed over says why.

        A later batch is only looked at (and ranked) when the earlier ones did not fill the plan.
        """
        targets: list[_ToRing] = []
        skipped: list[Skipped] = []
        pending = iter(batches)
        duties = self._duties(snapshot, service)
        # The check comes before asking for the next batch: asking is what ranks it.
        while len(targets) < self.policy.max_targets and (pool := next(pending, None)) is not None:
            self._staff_batch(pool, service, duties, states, targets, skipped)
        return targets, skipped

    def _staff_batch(
        self,
        pool: list[_Candidate],
        service: Service,
        duties: _ServiceDuties,
        states: Mapping[str, str],
        targets: list[_ToRing],
        skipped: list[Skipped],
    ) -> None:
        # One person whose endpoint name could smuggle Dial options (data that slipped past the importers'
        # check) costs that person a target, never the caller the whole plan.
        undialable = {e for c in pool for e in duties.undialable(c.facility.code)}
        if undialable:
            for c in pool:
                here = {d.endpoint for d in duties.snapshot.staff_at(c.facility.code)}
                names = [repr(e) for e in sorted(undialable) if e in here]
                if names and not duties.of(c.facility.code):
                    skipped.append(
                        Skipped(
                            c.facility.code,
                            c.facility.name,
                            Message("{endpoints}: not a dialable endpoint name", endpoints=", ".join(names)),
                        )
                    )
        for candidate in pool:
            facility = candidate.facility
            if len(targets) >= self.policy.max_targets:
                break
            distance = None if candidate.distance_m is None else round(candidate.distance_m)
            on_duty = duties.of(facility.code)
            if not on_duty:
                if not any(s.facility == facility.code for s in skipped):
                    skipped.append(
                        Skipped(facility.code, facility.name, N_("no one on duty (off shift)"), distance)
                    )
                continue
            if all(d.endpoint == self.policy.dispatcher_endpoint for d in on_duty):
                continue  # the central dispatcher's own desk: it is rung last anyway
            reasons = [unreachable_reason(states.get(d.endpoint)) for d in on_duty]
            reachable = [d for d, why in zip(on_duty, reasons, strict=True) if why is None]
            passed = [
                Message("{endpoint}: {reason}", endpoint=d.endpoint, reason=why)
                for d, why in zip(on_duty, reasons, strict=True)
                if why is not None
            ]
            # One reason (the usual case) stays a Message, so its reader's language translates it.
            passed_text: str = passed[0] if len(passed) == 1 else "; ".join(passed)
            if not reachable:
                skipped.append(Skipped(facility.code, facility.name, passed_text, distance))
                continue
            for duty in reachable if service.pool else reachable[:1]:
                if len(targets) >= self.policy.max_targets:
                    break
                order = _ORDER[(candidate.distance_m is None, bool(targets))]
                # Plain text in the hot path (a Message per target cost ~3 µs, most of a call's routing
                # share): the same English as the msgid below, which front-ends read back in their
                # reader's language (web.calls.services.said_in_language), as they do a stored plan.
                serves = _SERVES if candidate.in_service_area else ""
                because = f" ({passed_text})" if passed else ""
                why = f"{order} {facility.kind}{serves}; {duty.staff_name} on {duty.shift} shift{because}"
                targets.append(
                    _ToRing(
                        facility.code,
                        facility.name,
                        duty.endpoint,
                        f"PJSIP/{duty.endpoint}",  # dialable: _ServiceDuties checked it
                        distance,
                        why,
                    )
                )

    def _within_budget(
        self, ctx: CallContext, targets: list[_ToRing]
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
                Message(
                    "not rung: the {budget} s ring budget ({left} s left) is spent on nearer targets",
                    budget=self.policy.ring_budget_s,
                    left=budget,
                ),
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
