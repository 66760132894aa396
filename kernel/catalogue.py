"""Which facilities and roles can answer each hotline service. Configuration, not logic.

`needs_location`: the call goes to whoever is nearest the caller (and the IVR may ask where they are);
without it (the consultation line) location only orders the desks. `pool`: every reachable on-duty person
at a facility is a target of their own (the consultation desk's doctors), not just the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    facility_kinds: tuple[str, ...]
    roles: tuple[str, ...]
    needs_location: bool = True
    pool: bool = False


SERVICES: dict[str, Service] = {
    "emergency": Service("emergency", ("puskesmas", "ambulance"), ("operator", "nurse", "doctor", "driver")),
    "consultation": Service(
        "consultation", ("consultation",), ("doctor", "nurse"), needs_location=False, pool=True
    ),
}
DEFAULT_SERVICE = "emergency"
# Every role a staff member may have (the staff table's `role`).
ROLES = ("doctor", "nurse", "midwife", "driver", "operator", "dispatcher", "paramedic")
# An ambulance crew (issue 11): a unit is in service when at least one driver and one medic are on it now.
DRIVER_ROLES = ("driver",)
MEDIC_ROLES = ("nurse", "midwife", "doctor", "paramedic")
# An ambulance crew's keypad (issue 11): the run's steps in order, so the digits rise as the job goes on; 6
# back in service; 9 (far from the others) out of service. The same keys on the dispatch call, after the
# short code *5 from the unit's phone, and behind `status …` in `siaga softphone`.
UNIT_STATUS_KEYS: dict[str, str] = {
    "1": "en_route",
    "2": "on_scene",
    "3": "transporting",
    "4": "at_hospital",
    "5": "returning",
    "6": "available",
    "9": "out_of_service",
}
UNIT_STATUS_CODE = "*5"  # + the key: dialled from the unit's phone (dialplans/siaga.conf, siaga-operators)
# Facilities that answer emergency calls decide whether a kecamatan is covered; a dispatch desk does not.
COVERING_KINDS = frozenset(SERVICES["emergency"].facility_kinds)
# Facility kind of a district's own dispatch desk: where a call goes when we only know its kabupaten.
DISTRICT_DESK_KIND = "dispatch"


def answering_roles(kind: str) -> frozenset[str]:
    """The roles whose people answer calls at a facility of this kind (a midwife alone does not answer
    119). Empty for a kind no service rings person by person (a dispatch desk: its queue takes everyone on
    duty). Coverage, rotation and routing all ask here, so they cannot disagree."""
    return frozenset(role for s in SERVICES.values() if kind in s.facility_kinds for role in s.roles)
