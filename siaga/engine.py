"""Builds the routing engine from settings: the one place where the database, places and policy meet.

`siaga serve` and `siaga route` both call `build_router`, so a dry run decides exactly as a live call.
Areas, facilities and the caller directory come from the database (`siaga import …`, `siaga sample
load`), read once into in-memory indices.
"""

from __future__ import annotations

import gc

from desks.config import default_desk, load_desk_table
from geo.store import load_region_from_db
from kernel.catalogue import SERVICES
from kernel.db import make_engine
from kernel.settings import SHIPPED_AREA_CODES, Settings
from routing.locate import check_precedence
from routing.router import Router, RoutingPolicy
from routing.tables_store import load_location_tables_from_db
from shifts.store import RosterSource


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
    tables = load_location_tables_from_db(
        make_engine(settings.db_url),
        region.areas,
        set(region.facilities),
        shipped_area_codes=SHIPPED_AREA_CODES,
        did_file=settings.did_file,
        kode_pos_file=settings.kode_pos_file,
        area_codes_file=settings.area_codes_file,
    )
    desks = load_desk_table(settings, list(region.facilities.values()))
    return Router(
        region, roster or build_roster(settings), policy, tables, desks, default_desk(settings, desks)
    )
