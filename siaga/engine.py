"""Builds the routing engine from settings: the one place where the database, places and policy meet.

`siaga serve` and `siaga route` both call `build_router`, so a dry run decides exactly as a live call.
Areas, facilities and the caller directory come from the database (`siaga import …`, `siaga sample
load`), read once into in-memory indices.
"""

from __future__ import annotations

import gc

from sqlalchemy.orm import Session

from desks.config import DeskTable, load_desks
from geo.areas import AreaIndex
from geo.facilities import Facility
from geo.store import NoAreasError, load_region_from_db, missing_areas_message, read_areas, read_facilities
from routing.locate import check_precedence
from routing.router import Router, RoutingPolicy
from routing.services import SERVICES
from routing.tables import load_location_tables
from shifts.store import RosterSource
from siaga.db import make_engine
from siaga.settings import Settings, SettingsError


class NoFacilitiesError(ValueError):
    """Rosters and coverage need facilities; the message says how to import them."""


def load_facilities(settings: Settings) -> list[Facility]:
    """Every facility in the database; rosters and coverage checks read them through here."""
    with Session(make_engine(settings.db_url)) as session:
        facilities = read_facilities(session)
    if not facilities:
        raise NoFacilitiesError(
            f"no facilities in the database {settings.db_url}: run `siaga sample load` for the sample "
            "region, or `siaga import facilities FILE.csv`"
        )
    return facilities


def facility_zones(settings: Settings) -> dict[str, str]:
    """Facility code → IANA time zone, which decides when its shifts start and end."""
    return {f.code: f.timezone for f in load_facilities(settings)}


def load_desk_table(settings: Settings, facilities: list[Facility] | None = None) -> DeskTable:
    """The desks (facilities of kind dispatch or consultation) with their overflow chains."""
    return load_desks(
        facilities if facilities is not None else load_facilities(settings), settings.desks_path
    )


def default_desk(settings: Settings, desks: DeskTable) -> str:
    """The queue a call without a plan waits in: the setting, else the first dispatch desk (by code) that is
    no other desk's overflow (a city's PSC rather than its province's), else none."""
    if settings.default_desk:
        if settings.default_desk not in desks.desks:
            raise SettingsError(
                f"setting 'default_desk': {settings.default_desk!r} is not a desk (a facility of kind "
                f"dispatch or consultation); desks: {', '.join(sorted(desks.desks)) or 'none'}"
            )
        return settings.default_desk
    dispatch = desks.of_kind("dispatch")
    overflow_targets = {code for desk in desks.desks.values() for code in desk.overflow}
    first_contact = [d for d in dispatch if d.code not in overflow_targets]  # not someone's overflow
    chosen = first_contact or dispatch
    return chosen[0].code if chosen else ""


def load_areas(settings: Settings) -> AreaIndex:
    """The stored areas as a lookup index (the console and coverage checks use the engine's areas)."""
    with Session(make_engine(settings.db_url)) as session:
        areas = read_areas(session)
    if not areas:
        raise NoAreasError(missing_areas_message(settings.db_url))
    return AreaIndex(areas)


def build_roster(settings: Settings) -> RosterSource:
    return RosterSource(make_engine(settings.db_url), settings.roster_refresh_s)


def build_router(settings: Settings, roster: RosterSource | None = None) -> Router:
    region = load_region_from_db(make_engine(settings.db_url))
    for service in SERVICES.values():  # build the services' point sets now, before workers fork
        region.nearby.group(service.facility_kinds)
    # The national snapshot is ~10^6 long-lived objects: keep the cyclic GC from rescanning them during
    # calls (pauses of milliseconds) and from touching their pages in forked workers (copy-on-write).
    gc.collect()
    gc.freeze()
    policy = RoutingPolicy(
        settings.dispatcher_endpoint,
        settings.ring_timeout_s,
        settings.dispatcher_timeout_s,
        settings.max_targets,
        settings.ring_budget_s,
        settings.min_ring_s,
        check_precedence(settings.location_precedence),
        settings.ivr_attempts > 0,
    )
    tables = load_location_tables(
        region.areas,
        set(region.facilities),
        settings.did_path,
        settings.kode_pos_path,
        settings.area_codes_path,
    )
    desks = load_desk_table(settings, list(region.facilities.values()))
    return Router(
        region, roster or build_roster(settings), policy, tables, desks, default_desk(settings, desks)
    )
