"""Builds the routing engine from settings: the one place where data files, database and policy meet.

`siaga serve` and `siaga route` both call `build_router`, so a dry run decides exactly as a live call.
"""

from __future__ import annotations

from geo.facilities import Facility, load_facilities_csv
from geo.region import load_region
from routing.router import Router, RoutingPolicy
from shifts.store import RosterSource
from siaga.db import make_engine
from siaga.settings import Settings


def load_facilities(settings: Settings) -> list[Facility]:
    """Every facility the engine knows; rosters and coverage checks read them through here."""
    return load_facilities_csv(settings.facilities_path)


def facility_zones(settings: Settings) -> dict[str, str]:
    """Facility code → IANA time zone, which decides when its shifts start and end."""
    return {f.code: f.timezone for f in load_facilities(settings)}


def build_roster(settings: Settings) -> RosterSource:
    return RosterSource(make_engine(settings.db_url), settings.roster_refresh_s)


def build_router(settings: Settings, roster: RosterSource | None = None) -> Router:
    region = load_region(settings.areas_path, settings.facilities_path, settings.callers_path)
    policy = RoutingPolicy(
        settings.dispatcher_endpoint,
        settings.ring_timeout_s,
        settings.dispatcher_timeout_s,
        settings.max_targets,
    )
    return Router(region, roster or build_roster(settings), policy)
