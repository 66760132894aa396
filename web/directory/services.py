"""Facilities and staff as supervisors see them: lists, staff edits, and softphone registration status.

Registration comes from our Asterisk (`pjsip show contacts`); asking costs a subprocess, so the answer
is kept for a few seconds, and "unknown" (no Asterisk running) is a normal answer, not an error.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.catalogue import ROLES
from kernel.messages import N_, Message
from shifts.endpoints import endpoint_problem
from shifts.model import Staff
from shifts.store import add_staff, update_staff
from web.audit import record
from web.errors import FieldError, InputError, NotFound
from web.places import Places

log = logging.getLogger("siaga.web")

_STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Registrations:
    """Which softphones are registered now; None when Asterisk cannot be asked. `ask` comes from whoever
    starts the console (`siaga.console`: our Asterisk's contacts); the console itself knows no PBX."""

    @classmethod
    def unknown(cls) -> Registrations:
        return cls(lambda: None)

    def __init__(self, ask: Callable[[], set[str] | None], ttl_s: float = 5.0) -> None:
        self._ask = ask
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._value: set[str] | None = None

    def registered(self) -> set[str] | None:
        with self._lock:
            if time.monotonic() - self._at < self._ttl_s:
                return self._value
            self._value = self._ask()
            self._at = time.monotonic()
            return self._value


@dataclass(frozen=True)
class StaffView:
    staff_id: str
    name: str
    role: str
    endpoint: str
    facility_code: str | None
    registered: bool | None

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class FacilityView:
    code: str
    name: str
    kind: str
    kabupaten: str | None
    kabupaten_name: str
    kecamatan: str | None
    kecamatan_name: str
    lat: float
    lon: float
    timezone: str
    staff: int

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class DirectoryService:
    def __init__(self, places: Places, registrations: Registrations) -> None:
        self.places = places
        self.registrations = registrations

    def facilities(self, session: Session, kabupaten: set[str] | None) -> list[FacilityView]:
        counts: dict[str | None, int] = {}
        for code in session.scalars(select(Staff.facility_code)):
            counts[code] = counts.get(code, 0) + 1
        p = self.places
        return [
            FacilityView(
                f.code,
                f.name,
                f.kind,
                p.kabupaten_of.get(f.code),
                p.area_name(p.kabupaten_of.get(f.code)),
                p.kecamatan_of.get(f.code),
                p.area_name(p.kecamatan_of.get(f.code)),
                f.lat,
                f.lon,
                f.timezone,
                counts.get(f.code, 0),
            )
            for f in p.facilities_in(kabupaten)
        ]

    def staff(self, session: Session, facilities: set[str] | None) -> list[StaffView]:
        """Staff of the given facilities (None: everyone), with softphone registration where known."""
        query = select(Staff).order_by(Staff.facility_code, Staff.id)
        if facilities is not None:
            query = query.where(Staff.facility_code.in_(sorted(facilities)))
        registered = self.registrations.registered()
        return [
            StaffView(
                s.id,
                s.name,
                s.role,
                s.endpoint,
                s.facility_code,
                None if registered is None else s.endpoint in registered,
            )
            for s in session.scalars(query)
        ]

    def staff_facility(self, session: Session, staff_id: str) -> str | None:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise NotFound(Message("no staff member {staff_id!r}", staff_id=staff_id))
        return staff.facility_code

    def _check(
        self, session: Session, staff_id: str, name: str, role: str, endpoint: str, facility_code: str
    ) -> None:
        errors = []
        if not _STAFF_ID.fullmatch(staff_id):
            errors.append(FieldError("staff_id", N_("1-64 letters, digits, '.', '_' or '-'")))
        if not name.strip():
            errors.append(FieldError("name", N_("missing")))
        elif len(name) > 200:
            errors.append(FieldError("name", N_("longer than 200 characters")))
        if role not in ROLES:
            errors.append(
                FieldError(
                    "role", Message("{role!r} is not one of {choices}", role=role, choices=", ".join(ROLES))
                )
            )
        problem = endpoint_problem(endpoint)  # the roster import's check too
        if problem:
            errors.append(FieldError("endpoint", problem))
        else:
            owner = session.scalar(select(Staff).where(Staff.endpoint == endpoint))
            if owner is not None and owner.id != staff_id:
                errors.append(
                    FieldError(
                        "endpoint",
                        Message("{endpoint!r} already belongs to {id}", endpoint=endpoint, id=owner.id),
                    )
                )
        if facility_code not in self.places.facilities:
            errors.append(
                FieldError(
                    "facility_code",
                    Message("unknown facility {facility_code!r}", facility_code=facility_code),
                )
            )
        if errors:
            raise InputError(errors)

    def add_staff(
        self, session: Session, actor: str, staff_id: str, name: str, role: str, endpoint: str, facility: str
    ) -> StaffView:
        if session.get(Staff, staff_id) is not None:
            raise InputError.one("staff_id", Message("{staff_id!r} already exists", staff_id=staff_id))
        self._check(session, staff_id, name, role, endpoint, facility)
        add_staff(session, staff_id, name.strip(), role, endpoint, facility)
        after = {
            "staff_id": staff_id,
            "name": name.strip(),
            "role": role,
            "endpoint": endpoint,
            "facility": facility,
        }
        record(session, actor, "staff-add", facility, f"new staff member {staff_id}", None, after)
        return StaffView(staff_id, name.strip(), role, endpoint, facility, None)

    def update_staff(
        self,
        session: Session,
        actor: str,
        staff_id: str,
        name: str | None,
        role: str | None,
        endpoint: str | None,
        facility: str | None,
    ) -> StaffView:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise NotFound(Message("no staff member {staff_id!r}", staff_id=staff_id))
        before = {
            "name": staff.name,
            "role": staff.role,
            "endpoint": staff.endpoint,
            "facility": staff.facility_code,
        }
        after = {
            "name": (name if name is not None else staff.name).strip(),
            "role": role if role is not None else staff.role,
            "endpoint": endpoint if endpoint is not None else staff.endpoint,
            "facility": facility if facility is not None else (staff.facility_code or ""),
        }
        self._check(session, staff_id, after["name"], after["role"], after["endpoint"], after["facility"])
        update_staff(session, staff, after["name"], after["role"], after["endpoint"], after["facility"])
        changed = ", ".join(k for k in after if after[k] != before[k]) or "nothing"
        record(
            session, actor, "staff-edit", staff.facility_code, f"{staff_id}: {changed} changed", before, after
        )
        return StaffView(staff_id, staff.name, staff.role, staff.endpoint, staff.facility_code, None)
