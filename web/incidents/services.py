"""The incident board as the console shows it: open incidents with their units, every unit with its
status and crew, the figures per kabupaten and shift, and the unit map.

Reads and writes go through `dispatch.service` and `dispatch.store` (the same calls the CLI and the crew's
phone make); this module only scopes them to what a user may see and shapes them for the page and JSON.
A unit belongs to the kabupaten of its base facility; an incident to the kabupaten it is located in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy.orm import Session

from dispatch.incidents import Incident, figures
from dispatch.service import list_incidents
from dispatch.store import crew_duties, read_units, status_history, statuses
from dispatch.units import AVAILABLE, Unit, crew_states
from web.access import Principal
from web.coverage.mapsvg import PAD, WIDTH, MapRenderer, no_outlines
from web.i18n import gettext as _
from web.i18n import translate
from web.places import Places

STATUS_COLOUR = {
    "available": "#2e7d32",
    "dispatched": "#f9a825",
    "en_route": "#ef6c00",
    "on_scene": "#c62828",
    "transporting": "#6a1b9a",
    "at_hospital": "#1565c0",
    "returning": "#00838f",
    "out_of_service": "#757575",
}
POLL_S = 5  # the board page asks for /api/incidents/board this often


@dataclass(frozen=True)
class UnitView:
    unit: Unit
    kabupaten: str | None
    status: str
    since: datetime | None
    crew_problem: str | None
    drivers: tuple[str, ...]
    medics: tuple[str, ...]
    incident: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code,
            "name": self.unit.name,
            "kind": self.unit.kind,
            "base_facility": self.unit.base_facility,
            "kabupaten": self.kabupaten,
            "status": self.status,
            "status_since": self.since.isoformat(timespec="seconds") if self.since else None,
            "in_service": self.crew_problem is None,
            "crew_problem": self.crew_problem,
            "drivers": list(self.drivers),
            "medics": list(self.medics),
            "incident": self.incident,
        }


def scope_of(user: Principal) -> frozenset[str] | None:
    return None if user.national else frozenset(user.kabupaten)


def units_view(
    session: Session, places: Places, scope: frozenset[str] | None, now: datetime, incidents: list[Incident]
) -> list[UnitView]:
    current = statuses(session)
    crews = crew_states(now, crew_duties(session, now))
    on = {d.unit: i.id for i in incidents for d in i.active_dispatches}
    found = []
    for unit in read_units(session):
        kabupaten = places.kabupaten_of.get(unit.base_facility)
        if scope is not None and kabupaten not in scope:
            continue
        crew = crews.get(unit.code)
        history = status_history(session, unit.code, 1)
        found.append(
            UnitView(
                unit,
                kabupaten,
                current.get(unit.code, AVAILABLE),
                history[0].at if history else None,
                crew.problem if crew else "not in service",
                crew.drivers if crew else (),
                crew.medics if crew else (),
                on.get(unit.code),
            )
        )
    return found


def board(session: Session, places: Places, user: Principal, now: datetime) -> dict[str, Any]:
    """What the board page polls: open incidents (oldest first: the longest wait on top) and units."""
    scope = scope_of(user)
    incidents = list_incidents(session, open_only=True, kabupaten=scope, limit=500)
    incidents.sort(key=lambda i: i.started_at)
    current = statuses(session)
    units = units_view(session, places, scope, now, incidents)
    return {
        "at": now.isoformat(timespec="seconds"),
        "poll_s": POLL_S,
        "incidents": [i.to_json(now, current) for i in incidents],
        "units": [u.to_json() for u in units],
    }


def figures_for(session: Session, user: Principal, now: datetime, days: float) -> list[dict[str, Any]]:
    since = timedelta(days=days)
    found = list_incidents(
        session, kabupaten=scope_of(user), since=now - since - timedelta(days=1), limit=100_000
    )
    return [r.to_json() for r in figures(found, now, since)]


def unit_map(
    maps: MapRenderer,
    places: Places,
    kabupaten: tuple[str, ...],
    units: list[UnitView],
    incidents: list[Incident],
) -> str:
    """The coverage map's outlines with each unit at its base, coloured by status (several at one base
    side by side), each open incident as a cross, and a line from a unit to the incident it is on.
    Units have no GPS here: the base is where the dispatcher knows them to be."""
    drawn = maps.outlines(kabupaten)
    if drawn is None:
        return no_outlines()
    frame, outlines = drawn
    legend_y = frame.height + 6
    height = legend_y + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" class="unit-map" aria-label="ambulance units" '
        'font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#f5f9ff"/>',
    ]
    for o in outlines:
        out.append(
            f'<path d="{o.path}" fill="#eceff1" stroke="#90a4ae" stroke-width="1" fill-rule="evenodd">'
            f"<title>{escape(o.name)}</title></path>"
        )
    where: dict[str, tuple[float, float]] = {}
    per_base: dict[str, int] = {}
    for view in units:
        base = places.facilities.get(view.unit.base_facility)
        if base is None:
            continue
        k = per_base.get(base.code, 0)
        per_base[base.code] = k + 1
        x, y = frame.xy(base.lon, base.lat)
        where[view.unit.code] = (x + 11 * k, y)
    by_id = {i.id: i for i in incidents}
    for view in units:
        incident = by_id.get(view.incident) if view.incident is not None else None
        if incident is None or incident.lat is None or incident.lon is None or view.unit.code not in where:
            continue
        x0, y0 = where[view.unit.code]
        x1, y1 = frame.xy(incident.lon, incident.lat)
        out.append(
            f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
            f'stroke="{STATUS_COLOUR[view.status]}" '
            f'stroke-width="2" stroke-dasharray="5 3" data-run="{escape(view.unit.code)}"/>'
        )
    incident_word = _("Incident {id}")
    for incident in incidents:
        if incident.lat is None or incident.lon is None:
            continue
        x, y = frame.xy(incident.lon, incident.lat)
        out.append(
            f'<path d="M{x - 6:.1f},{y - 6:.1f}L{x + 6:.1f},{y + 6:.1f}M{x - 6:.1f},{y + 6:.1f}L{x + 6:.1f},'
            f'{y - 6:.1f}" stroke="#b71c1c" stroke-width="3" data-incident="{incident.id}">'
            f"<title>{escape(incident_word.format(id=incident.id))}: "
            f"{escape(incident.category)}, {escape(incident.priority)}</title>"
            "</path>"
        )
    for view in units:
        if view.unit.code not in where:
            continue
        x, y = where[view.unit.code]
        crew = _("in service") if view.crew_problem is None else translate(view.crew_problem)
        out.append(
            f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" rx="2" '
            f'fill="{STATUS_COLOUR[view.status]}" stroke="#fff" stroke-width="1.5" '
            f'data-unit="{escape(view.unit.code)}" data-status="{view.status}">'
            f"<title>{escape(view.unit.name)} ({escape(view.unit.code)}): {view.status}; {escape(crew)}"
            "</title></rect>"
        )
    x = PAD
    for status, colour in STATUS_COLOUR.items():
        label = status.replace("_", " ")
        out.append(
            f'<rect x="{x}" y="{legend_y}" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{legend_y + 10}" font-size="11">{label}</text>'
        )
        x += 24 + round(6.1 * len(label))
    out.append("</svg>")
    return "".join(out)
