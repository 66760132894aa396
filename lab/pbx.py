"""Our Asterisk, configured from settings and the staff table: every operator in the data can register."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ami.login import manager_secret
from desks.config import complaint_desk, default_desk, load_desk_table
from desks.topics import topic_queues
from dispatch.model import UnitRow
from kernel.db import make_engine
from kernel.settings import Settings
from lab.asterisk import Asterisk, AsteriskConfig, AsteriskError, OperatorAccount, render_config
from lab.tls import ensure_certificates
from shifts.model import Staff
from shifts.sipsecrets import endpoint_passwords

log = logging.getLogger("siaga.pbx")


@dataclass(frozen=True)
class NodePlace:
    """Where one Asterisk of several stands (lab/cluster.py): its own loopback address for SIP and media,
    its own system name (call ids), the other node's engine for when its own is gone, and the proxy whose
    address is the caller trunk. The defaults are the single node as it always was."""

    sip_host: str = "127.0.0.1"
    system_name: str = "siaga"
    agi_next: str = ""
    trunk_match: str = "127.0.0.1"


SINGLE_NODE = NodePlace()


def asterisk_for(settings: Settings) -> Asterisk:
    return Asterisk(settings.asterisk_root, settings.run_dir / "asterisk")


def phone_endpoints(settings: Settings) -> list[str]:
    """Every phone Asterisk knows: the staff table's endpoints, the ambulance units' phones (units.csv's
    `endpoint`: the crew is rung there when sent) and the deprecated single dispatcher endpoint."""
    with Session(make_engine(settings.db_url)) as session:
        endpoints = set(session.scalars(select(Staff.endpoint)))
        endpoints |= set(session.scalars(select(UnitRow.endpoint)))
    if settings.dispatcher_endpoint:  # deprecated: see Settings.deprecations
        endpoints.add(settings.dispatcher_endpoint)
    return sorted(endpoints)


def operator_accounts(
    settings: Settings, contact: str = "", contacts: Mapping[str, str] | None = None
) -> list[OperatorAccount]:
    """Every phone (`phone_endpoints`), each with its own SIP secret (made now for a new endpoint:
    shifts.sipsecrets). `contact`, a URI template with
    `{endpoint}`, gives each a fixed contact instead of a registration (load labs point them at a UAS);
    `contacts` overrides it per endpoint. The endpoints of `browser_phones` are WebRTC phones (web/phone)."""
    contacts = contacts or {}
    endpoints = phone_endpoints(settings)
    passwords = endpoint_passwords(settings, endpoints, create=True)
    unknown = sorted(set(settings.browser_phones) - set(endpoints))
    if unknown:
        log.error("browser_phones names no endpoint of the staff table: %s", ", ".join(unknown))
    return [
        OperatorAccount(
            e,
            passwords[e],
            contacts.get(e) or (contact.format(endpoint=e) if contact else ""),
            browser=e in settings.browser_phones,
        )
        for e in endpoints
    ]


def start_asterisk(
    settings: Settings,
    *,
    contact: str = "",
    contacts: Mapping[str, str] | None = None,
    trunk_context: str = "",
    extra_dialplan: str = "",
    desk_ring_in_use: bool = False,
    place: NodePlace = SINGLE_NODE,
) -> int:
    """Render the configuration from settings and the staff table, then start Asterisk. The keyword
    options are for labs: fixed contacts (see `operator_accounts`), and a context of their own in front
    of the hotline's."""

    asterisk = asterisk_for(settings)
    # Asterisk's user owns its run directory (lab.asterisk.hand_over) under a uid from the root's
    # passwd, which on the host may be someone else's (uid 101 is postgres on our Debian 12 machines):
    # the host reaches that directory only through ours, closed to everyone but root.
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    settings.run_dir.chmod(0o700)
    render_asterisk(
        settings,
        asterisk.run_dir,
        contact=contact,
        contacts=contacts,
        trunk_context=trunk_context,
        extra_dialplan=extra_dialplan,
        desk_ring_in_use=desk_ring_in_use,
        place=place,
    )
    return asterisk.start()


def render_asterisk(
    settings: Settings,
    run_dir: Path,
    *,
    contact: str = "",
    contacts: Mapping[str, str] | None = None,
    trunk_context: str = "",
    extra_dialplan: str = "",
    desk_ring_in_use: bool = False,
    place: NodePlace = SINGLE_NODE,
) -> None:
    """The configuration `start_asterisk` starts with, written into `run_dir` only: `siaga node render`
    writes a real machine's copy with the same renderer (lab/node_files.py)."""
    desks = load_desk_table(settings)
    config = AsteriskConfig(
        sip_bind=f"{place.sip_host}:{settings.sip_port}",
        trunk_match=place.trunk_match,
        agi_next=place.agi_next,
        system_name=place.system_name,
        rtp_start=settings.rtp_start,
        rtp_end=settings.rtp_end,
        agi_address=f"{settings.agi_host}:{settings.agi_port}",
        dispatcher_endpoint=settings.dispatcher_endpoint,
        dispatcher_timeout_s=settings.dispatcher_timeout_s,
        agi_timeout_s=settings.agi_timeout_s,
        ring_budget_s=settings.ring_budget_s,
        min_ring_s=settings.min_ring_s,
        ivr_attempts=settings.ivr_attempts,
        ivr_digit_timeout_s=settings.ivr_digit_timeout_s,
        nameservers=settings.asterisk_nameservers,
        ami_port=settings.ami_port,
        ami_secret=manager_secret(settings),
        desks=tuple(sorted(desks.desks)),
        topic_queues=tuple(topic_queues(d.code for d in desks.of_kind("consultation"))),
        consultation_desks=tuple(d.code for d in desks.of_kind("consultation")),
        default_desk=default_desk(settings, desks),
        desk_wrapup_s=settings.desk_wrapup_s,
        desk_ring_in_use=desk_ring_in_use,
        complaints_number=settings.complaint_number,
        complaint_desk=complaint_desk(settings, desks),
        complaint_other_key=len(settings.complaint_categories),
        wss_bind=f"{place.sip_host}:{settings.wss_port}" if settings.browser_phones else "",
        **({"trunk_context": trunk_context} if trunk_context else {}),
    )
    render_config(
        run_dir,
        config,
        operator_accounts(settings, contact, contacts),
        extra_dialplan=extra_dialplan,
        prompts_dir=settings.prompts_dir,
        # Browser phones: the site's certificate, made now if set-up has not (kept if it is there).
        tls=ensure_certificates(settings.tls_path, ("localhost", place.sip_host))
        if settings.browser_phones
        else None,
    )


def asterisk_registrations(settings: Settings) -> Callable[[], set[str] | None]:
    """How the console asks which softphones are registered with our Asterisk: its contacts, or None
    (unknown) when it is not running or does not answer."""
    asterisk = asterisk_for(settings)

    def ask() -> set[str] | None:
        if asterisk.pid() is None:
            return None
        try:
            return asterisk.registered_endpoints()
        except AsteriskError as exc:
            log.warning("softphone registrations unknown: %s", exc)
            return None

    return ask
