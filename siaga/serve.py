"""`siaga serve`: the FastAGI engine, wired from settings. The only place that composes the live engine."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from agi.callback import make_offer_handler, make_request_handler
from agi.complaint import make_open_handler, make_status_handler
from agi.crew import make_brief_handler
from agi.crew import make_status_handler as make_unit_status_handler
from agi.outcome import make_outcome_handler
from agi.pending import run_pending_drain
from agi.route import DecisionLog, RouteOptions, make_route_handler
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from ami.login import manager_client
from complaints.service import rules_from_settings
from desks.callback_runner import CallbackPlacer, run_callbacks
from desks.callback_store import CallbackStore
from desks.config import Desk, load_desk_table
from desks.skills import check_topics, read_skills
from desks.staffed import check_desks_staffed
from desks.sync import run_desk_sync
from dispatch.crew_alerts import CrewAlerter, run_crew_alerts
from dispatch.recommend import DispatchSettings
from dispatch.screenpop import AmbulanceAdvice
from dispatch.travel import GeodesicTravel
from kernel.children import Supervised
from kernel.db import make_engine
from kernel.settings import Settings
from routing.records.store import apply_callbacks
from routing.records.writer import RecordKeeper, records_engine
from routing.router import Router
from shifts.store import RosterSource
from siaga.engine import PlacesLoader, build_places_watcher, build_roster, build_router
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)
from siaga.scheduler import start_scheduler

log = logging.getLogger("siaga.serve")


@dataclass
class EngineParts:
    server: FastAgiServer
    router: Router
    roster: RosterSource
    records: RecordKeeper  # `records.start_writer()` before serving, `stop_writer()` after


def build_server(settings: Settings) -> EngineParts:
    """The engine as `siaga serve` runs it: every AGI script, record keeping, the worker hooks.

    Also used by bench/agi_throughput.py, so the benchmark measures exactly what serves calls.
    """
    roster = build_roster(settings)
    places = PlacesLoader(settings)
    router = build_router(settings, roster, places)
    # Re-imported places reach every worker within places_refresh_s, read on a thread of the worker and
    # swapped in whole between calls (routing/live.py).
    watcher = build_places_watcher(settings, router, places)
    scripts = ScriptTable()
    records = RecordKeeper(
        settings.records_spool,
        lambda: records_engine(settings.db_url),
        settings.records_retry_s,
    )
    # The screen-pop's ambulance line (dispatch/screenpop.py): each worker keeps its own snapshot.
    ambulance = AmbulanceAdvice(
        lambda: records_engine(settings.db_url),
        DispatchSettings.from_settings(settings),
        GeodesicTravel(settings.dispatch_road_factor, settings.dispatch_speed_kmh),
    )
    options = RouteOptions(
        settings.carrier_location_header, bool(settings.device_state_check), ambulance=ambulance.text
    )

    def after_fork() -> None:
        roster.after_fork()
        ambulance.after_fork()
        places.after_fork()
        watcher.start()

    scripts.register(
        "route",
        make_route_handler(router, DecisionLog(settings.decision_log), records=records, options=options),
    )
    scripts.register("outcome", make_outcome_handler(records, settings.dispatcher_endpoint))
    # Callbacks at consultation desks (desks/callbacks.py): the offer as a caller joins, the request on 1.
    consultation = frozenset(d.code for d in load_desk_table(settings).of_kind("consultation"))
    scripts.register(
        "callback-offer",
        make_offer_handler(consultation, settings.callback_offer_wait_s, bool(settings.callback_dial)),
    )
    scripts.register(
        "callback-request",
        make_request_handler(CallbackStore(lambda: records_engine(settings.db_url)), consultation),
    )
    # The complaints line (agi/complaint.py): a recorded complaint in, a complaint's status out. Settings
    # it cannot use cost the complaints line (its callers reach an officer), never the engine's start.
    try:
        complaint_rules = rules_from_settings(settings)
    except ValueError as exc:
        log.error("complaints by phone go to an officer until this is fixed: %s", exc)
        complaint_rules = None
    scripts.register(
        "complaint-open",
        make_open_handler(
            lambda: records_engine(settings.db_url),
            settings.complaint_recordings_path,
            settings.complaint_categories,
            rules=complaint_rules,
        ),
    )
    scripts.register("complaint-status", make_status_handler(lambda: records_engine(settings.db_url)))
    # An ambulance crew's dispatch call and status keys (agi/crew.py).
    scripts.register("incident-brief", make_brief_handler(lambda: records_engine(settings.db_url)))
    scripts.register("unit-status", make_unit_status_handler(lambda: records_engine(settings.db_url)))

    server = FastAgiServer(
        settings.agi_host,
        settings.agi_port,
        scripts,
        workers=settings.agi_workers,
        on_worker_start=after_fork,
        allowed_peers=settings.agi_allowed_peers,
    )
    return EngineParts(server, router, roster, records)


def serve(settings: Settings) -> int:
    parts = build_server(settings)
    server, router, roster = parts.server, parts.router, parts.roster
    log.info(
        "siaga engine: %d areas, %d facilities, %d known callers; decisions in %s",
        len(router.region.areas),
        len(router.region.facilities),
        len(router.region.callers),
        settings.decision_log,
    )
    # Helper processes are forked before any thread of ours exists (see kernel/children.py), and
    # restarted by the AGI server's supervisor loop whenever one dies, as its workers are.
    pid_dir = helpers_dir(settings)
    helpers = [
        Supervised("call record writer", parts.records.run_writer, pid_dir),
        Supervised(
            "AstDB report collector", lambda stop: run_collector(settings, parts.records, stop), pid_dir
        ),
    ]
    desks = list(load_desk_table(settings).desks.values())
    check_desk_skills(settings, desks)
    if desks:
        helpers.append(
            Supervised(
                "desk member sync", lambda stop: run_desk_members(settings, roster, desks, stop), pid_dir
            )
        )
    if settings.callback_dial and any(d.kind == "consultation" for d in desks):
        helpers.append(
            Supervised("callback placer", lambda stop: run_callback_placer(settings, stop), pid_dir)
        )
    helpers.append(Supervised("crew alerter", lambda stop: run_crew_alerter(settings, stop), pid_dir))
    if settings.scheduler:
        helpers.append(
            Supervised("roster scheduler", lambda stop: run_scheduler(settings, roster, stop), pid_dir)
        )
    parts.records.directory.mkdir(parents=True, exist_ok=True)
    for helper in helpers:
        helper.start()

    def supervise_helpers() -> None:
        for helper in helpers:
            helper.check()

    server.on_supervisor_tick = supervise_helpers
    try:
        server.serve_forever()
    finally:
        for helper in helpers:
            helper.stop()
    return 0


def helpers_dir(settings: Settings) -> Path:
    """Where the engine's helper processes leave their pid files (`<name>.pid`)."""
    return settings.run_dir / "engine" / "helpers"


def run_desk_members(
    settings: Settings, roster: RosterSource, desks: list[Desk], stop: threading.Event
) -> None:
    """Each desk's queue members kept equal to its staff on duty (desks/sync.py), and each consultation
    topic queue to those of them with the skill (desks/topics.py)."""
    roster.after_fork()
    db = make_engine(settings.db_url)  # opened in this helper, after the fork

    def skills() -> dict[str, frozenset[str]]:
        with Session(db) as session:
            return read_skills(session)

    run_desk_sync(
        lambda: manager_client(settings).connect(),
        roster.snapshot,
        desks,
        settings.desk_sync_s,
        stop,
        skills=skills,
    )


def run_crew_alerter(settings: Settings, stop: threading.Event) -> None:
    """Dispatched units' crews messaged and rung through Asterisk (dispatch/crew_alerts.py); the database
    engine and manager connections are opened in this helper."""
    alerter = CrewAlerter(
        lambda timeout_s: manager_client(settings, timeout_s), lambda: records_engine(settings.db_url)
    )
    run_crew_alerts(alerter, settings.crew_alert_poll_s, stop)


def run_callback_placer(settings: Settings, stop: threading.Event) -> None:
    """Callbacks asked for at consultation desks, placed by Asterisk when a member is free
    (desks/callback_runner.py), each request's state copied onto its call record (routing/records);
    the database engine and manager connections are opened in this helper."""
    store = CallbackStore(lambda: records_engine(settings.db_url))

    def sync_records() -> int:
        with Session(store.engine) as session, session.begin():
            done = apply_callbacks(session, store.unsynced())
        return store.mark_synced(done)

    placer = CallbackPlacer(
        lambda timeout_s: manager_client(settings, timeout_s),
        store,
        dial=settings.callback_dial,
        max_tries=settings.callback_tries,
        retry_s=settings.callback_retry_s,
        ring_s=settings.callback_ring_s,
        wrapup_s=settings.desk_wrapup_s,
        sync_records=sync_records,
    )
    consultation = [d.code for d in load_desk_table(settings).of_kind("consultation")]
    run_callbacks(placer, settings.callback_poll_s, stop, consultation)


def check_desk_skills(settings: Settings, desks: list[Desk]) -> None:
    """Refuse to start while a desk has nobody on its roster (desks/staffed.py) or a consultation desk's
    staff leave a menu topic unanswered (desks/skills.py): the staff table may have changed since the
    region was loaded. The connection is closed again before any helper or worker is forked."""
    consultation = [d.code for d in desks if d.kind == "consultation"]
    if not desks:
        return
    db = make_engine(settings.db_url)
    try:
        with Session(db) as session:
            # A desk nobody is rostered at could never answer (desks/staffed.py).
            check_desks_staffed(session, {d.code: d.kind for d in desks}, "staff and roster")
            if consultation:
                check_topics(session, consultation, "staff_skills")
    finally:
        db.dispose()


def run_collector(settings: Settings, records: RecordKeeper, stop: threading.Event) -> None:
    """Reports Asterisk kept in AstDB while the engine was away, collected through the manager interface."""
    run_pending_drain(
        lambda: manager_client(settings).connect(),
        records,
        settings.dispatcher_endpoint,
        settings.pending_drain_s,
        stop,
    )


def run_scheduler(settings: Settings, roster: RosterSource, stop: threading.Event) -> None:
    """The roster's jobs (shift boundaries, coverage warnings, daily summary) until told to stop."""
    roster.after_fork()
    scheduler = start_scheduler(settings, roster)
    if scheduler is None:
        return
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=False)
