"""Builds the routing engine from settings: the one place where the database, places and policy meet.

`siaga serve` and `siaga route` both call `build_router`, so a dry run decides exactly as a live call.
Areas, facilities, the caller directory, the location tables and the desks come from the database
(`siaga import …`, `siaga sample load`), read into in-memory indices at start and again in each worker
when a re-import bumps their counters (`kernel.revisions`, `routing.live.PlacesWatcher`).
"""

from __future__ import annotations

import gc

from sqlalchemy.orm import Session

from desks.config import default_desk, load_desk_table
from geo.store import load_region_from_db
from kernel.catalogue import SERVICES
from kernel.db import make_engine
from kernel.revisions import data_revisions
from kernel.settings import SHIPPED_AREA_CODES, Settings
from routing.live import PlacesWatcher
from routing.locate import check_precedence
from routing.router import Places, Router, RoutingPolicy
from routing.tables_store import load_location_tables_from_db
from shifts.store import RosterSource


def build_roster(settings: Settings) -> RosterSource:
    return RosterSource(make_engine(settings.db_url), settings.roster_refresh_s)


class PlacesLoader:
    """Reads the places the router routes from, and the counters that say when to read them again.

    One per engine; each worker calls `after_fork` (its own connections, none shared with the parent)
    before its places watcher (routing/live.py) uses it.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine = make_engine(settings.db_url)

    def after_fork(self) -> None:
        self._engine.dispose(close=False)

    def revision(self) -> dict[str, int]:
        with Session(self._engine) as session:
            return data_revisions(session)

    def load(self) -> Places:
        """Areas, facilities, callers, the location tables and the desks, with the counters read first:
        an import landing during the read is then read again at the next poll, never missed."""
        settings = self._settings
        revision = self.revision()
        region = load_region_from_db(self._engine)
        for service in SERVICES.values():  # build the services' point sets now, not on a call
            region.nearby.group(service.facility_kinds)
        tables = load_location_tables_from_db(
            self._engine,
            region.areas,
            set(region.facilities),
            shipped_area_codes=SHIPPED_AREA_CODES,
            did_file=settings.did_file,
            kode_pos_file=settings.kode_pos_file,
            area_codes_file=settings.area_codes_file,
        )
        desks = load_desk_table(settings, list(region.facilities.values()))
        return Places(region, tables, desks, default_desk(settings, desks), revision)


def routing_policy(settings: Settings) -> RoutingPolicy:
    return RoutingPolicy(
        settings.dispatcher_endpoint,
        settings.ring_timeout_s,
        settings.dispatcher_timeout_s,
        settings.max_targets,
        settings.ring_budget_s,
        settings.min_ring_s,
        check_precedence(settings.location_precedence),
        settings.ivr_attempts > 0,
    )


def build_router(
    settings: Settings, roster: RosterSource | None = None, loader: PlacesLoader | None = None
) -> Router:
    places = (loader or PlacesLoader(settings)).load()
    # The national snapshot is ~10^6 long-lived objects: keep the cyclic GC from rescanning them during
    # calls (pauses of milliseconds) and from touching their pages in forked workers (copy-on-write).
    gc.collect()
    gc.freeze()
    return Router.from_places(places, roster or build_roster(settings), routing_policy(settings))


def build_places_watcher(settings: Settings, router: Router, loader: PlacesLoader) -> PlacesWatcher:
    """What keeps a worker's router in step with re-imports (`siaga import …`): `start()` it in the
    worker, after `loader.after_fork()`."""
    return PlacesWatcher(router, loader.revision, loader.load, settings.places_refresh_s)
