"""Hospital beds in the console: the public board (`/beds`, no login, as Semarang's 112 publishes) and the
hospitals' own writes (`PUT /api/beds/{hospital}/{bed_class}` with a bearer token for that hospital).

The checks are `dispatch.beds`'s, the writes `dispatch.store`'s: the CSV import, the API and the
recommendation cannot disagree on what a good count is or when it goes stale.

Public input is bounded before any work: a body over `MAX_BODY` bytes is refused unread, and an address
that keeps sending unknown tokens is refused (429) before the database is asked, for a while.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatch.beds import (
    BED_CLASSES,
    HOSPITAL_KIND,
    BedReport,
    bed_class_problem,
    count_problems,
    parse_updated_at,
)
from dispatch.store import TokenHolder, older_than_stored, read_beds, token_holder, write_beds
from web.errors import FieldError, Forbidden, InputError
from web.places import Places

MAX_BODY = 4096  # a bed count is ~100 bytes of JSON


class TokenThrottle:
    """Unknown tokens per source address: after `limit` within `window_s`, that address is refused until
    the oldest ages out. Bounded memory (`max_keys` addresses, least recently failed dropped first);
    per process, like the login throttle."""

    def __init__(
        self,
        limit: int = 20,
        window_s: float = 15 * 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._times: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str) -> float:
        """Seconds until `address` may try again (0: now)."""
        with self._lock:
            now = self._clock()
            times = self._times.get(address)
            if times is None:
                return 0.0
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._times[address]
                return 0.0
            return 0.0 if len(times) < self.limit else times[0] + self.window_s - now

    def failed(self, address: str) -> None:
        with self._lock:
            times = self._times.pop(address, None) or deque(maxlen=self.limit)
            times.append(self._clock())
            self._times[address] = times
            while len(self._times) > self.max_keys:
                self._times.popitem(last=False)


@dataclass(frozen=True)
class BedView:
    hospital: str
    bed_class: str
    total: int
    occupied: int
    waiting: int
    free: int
    updated_at: datetime  # in the hospital's zone
    stale: bool

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "updated_at": self.updated_at.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class HospitalBeds:
    code: str
    name: str
    kecamatan_name: str
    beds: list[BedView]

    def to_json(self) -> dict[str, Any]:
        return {
            "hospital": self.code,
            "name": self.name,
            "kecamatan": self.kecamatan_name,
            "beds": [b.to_json() for b in self.beds],
        }


@dataclass(frozen=True)
class TokenRefusal:
    status: int  # 401 or 429
    reason: str
    retry_after_s: int | None = None


class BedsService:
    """Built once per app (its throttle lives in memory)."""

    def __init__(self, throttle: TokenThrottle | None = None) -> None:
        self.throttle = throttle or TokenThrottle()

    @staticmethod
    def kabupaten_with_hospitals(places: Places) -> list[tuple[str, str]]:
        """(code, name) of every kabupaten/kota with a hospital, by name."""
        found = {
            places.kabupaten_of.get(f.code)
            for f in places.facilities.values()
            if f.kind == HOSPITAL_KIND and places.kabupaten_of.get(f.code)
        }
        return sorted(((c, places.area_name(c)) for c in found if c), key=lambda p: p[1])

    def board(
        self, session: Session, places: Places, kabupaten: str, now: datetime, stale_after: timedelta
    ) -> list[HospitalBeds]:
        """The hospitals of one kabupaten/kota with their counts per class (in BED_CLASSES order)."""
        hospitals = [f for f in places.facilities_in({kabupaten}) if f.kind == HOSPITAL_KIND]
        reports: dict[str, list[BedReport]] = {}
        for report in read_beds(session, [h.code for h in hospitals]):
            reports.setdefault(report.hospital, []).append(report)
        order = {c: i for i, c in enumerate(BED_CLASSES)}
        board = []
        for hospital in hospitals:
            mine = sorted(reports.get(hospital.code, []), key=lambda r: order.get(r.bed_class, 99))
            board.append(
                HospitalBeds(
                    hospital.code,
                    hospital.name,
                    places.area_name(places.kecamatan_of.get(hospital.code)),
                    [_view(r, hospital.timezone, now, stale_after) for r in mine],
                )
            )
        return board

    def authorise(
        self, session: Session, authorization: str | None, address: str, hospital: str
    ) -> TokenHolder | TokenRefusal:
        """The token's holder if it may write `hospital`'s beds; a refusal (401, 429) otherwise; `Forbidden`
        (403) for a good token of another hospital."""
        wait = self.throttle.wait(address)
        if wait > 0:
            return TokenRefusal(429, "too many unknown tokens from this address", max(1, int(wait + 0.999)))
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return TokenRefusal(401, "send the hospital's token as 'Authorization: Bearer <token>'")
        holder = token_holder(session, token.strip())
        if holder is None:
            self.throttle.failed(address)
            return TokenRefusal(401, "unknown or revoked token")
        if holder.hospital != hospital:
            raise Forbidden(f"this token writes the beds of {holder.hospital} only, not {hospital}")
        return holder

    def put(
        self,
        session: Session,
        hospital: str,
        places: Places,
        bed_class: str,
        body: dict[str, Any],
        now: datetime,
        stale_after: timedelta,
        source: str,
    ) -> BedView:
        """Check one count as the CSV import does, then store it; `InputError` naming each bad field.
        The hospital's own token (`source` token:<id>) and the console's form (console:<user>) both come
        here, so they cannot disagree on what a good count is."""
        errors: list[FieldError] = []
        problem = bed_class_problem(bed_class)
        if problem:
            errors.append(FieldError("bed_class", problem))
        counts = {name: body[name] for name in ("total", "occupied", "waiting")}
        errors += [FieldError(field, reason) for field, reason in count_problems(**counts)]
        raw = body.get("updated_at")
        updated = now
        if raw is not None:
            parsed, problem = parse_updated_at(raw, now)
            if problem or parsed is None:
                errors.append(FieldError("updated_at", problem or "missing"))
            else:
                updated = parsed
        if errors:
            raise InputError(errors)
        report = BedReport(
            hospital, bed_class, counts["total"], counts["occupied"], counts["waiting"], updated
        )
        older = older_than_stored(session, [report], "request")
        if older:
            raise InputError([FieldError("updated_at", e.message) for e in older])
        write_beds(session, [report], source, now)
        facility = places.facilities.get(hospital)
        return _view(report, facility.timezone if facility else "UTC", now, stale_after)


def _view(report: BedReport, zone: str, now: datetime, stale_after: timedelta) -> BedView:
    return BedView(
        report.hospital,
        report.bed_class,
        report.total,
        report.occupied,
        report.waiting,
        report.free,
        report.updated_at.astimezone(ZoneInfo(zone)),
        report.stale(now, stale_after),
    )
