"""`siaga serve`: the FastAGI engine, wired from settings. The only place that composes the live engine."""

from __future__ import annotations

import logging

from agi.route import DecisionLog, make_route_handler
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from siaga.engine import build_roster, build_router
from siaga.settings import Settings

log = logging.getLogger("siaga.serve")


def serve(settings: Settings) -> int:
    roster = build_roster(settings)
    router = build_router(settings, roster)
    scripts = ScriptTable()
    scripts.register("route", make_route_handler(router, DecisionLog(settings.decision_log)))
    server = FastAgiServer(
        settings.agi_host,
        settings.agi_port,
        scripts,
        workers=settings.agi_workers,
        on_worker_start=roster.after_fork,
        allowed_peers=settings.agi_allowed_peers,
    )
    log.info(
        "siaga engine: %d areas, %d facilities, %d known callers; decisions in %s",
        len(router.region.areas),
        len(router.region.facilities),
        len(router.region.callers),
        settings.decision_log,
    )
    server.serve_forever()
    return 0
