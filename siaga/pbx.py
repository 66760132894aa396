"""Our Asterisk, configured from settings and the staff table: every operator in the data can register."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shifts.model import Staff
from siaga.asterisk import Asterisk, AsteriskConfig, OperatorAccount, render_config
from siaga.db import make_engine
from siaga.settings import Settings


def asterisk_for(settings: Settings) -> Asterisk:
    return Asterisk(settings.asterisk_root, settings.run_dir / "asterisk")


def operator_accounts(settings: Settings, contact: str = "") -> list[OperatorAccount]:
    """Every endpoint of the staff table (and the dispatcher). `contact`, a URI template with
    `{endpoint}`, gives each a fixed contact instead of a registration: load labs point them at a UAS."""
    with Session(make_engine(settings.db_url)) as session:
        endpoints = set(session.scalars(select(Staff.endpoint)))
    endpoints.add(settings.dispatcher_endpoint)
    return [
        OperatorAccount(e, settings.operator_password, contact.format(endpoint=e) if contact else "")
        for e in sorted(endpoints)
    ]


def start_asterisk(
    settings: Settings, *, contact: str = "", trunk_context: str = "", extra_dialplan: str = ""
) -> int:
    """Render the configuration from settings and the staff table, then start Asterisk. The keyword
    options are for labs: fixed contacts (see `operator_accounts`), and a context of their own in front
    of the hotline's."""
    asterisk = asterisk_for(settings)
    config = AsteriskConfig(
        sip_bind=f"127.0.0.1:{settings.sip_port}",
        agi_address=f"{settings.agi_host}:{settings.agi_port}",
        dispatcher_endpoint=settings.dispatcher_endpoint,
        dispatcher_timeout_s=settings.dispatcher_timeout_s,
        agi_timeout_s=settings.agi_timeout_s,
        ring_budget_s=settings.ring_budget_s,
        min_ring_s=settings.min_ring_s,
        ivr_attempts=settings.ivr_attempts,
        ivr_digit_timeout_s=settings.ivr_digit_timeout_s,
        nameservers=settings.asterisk_nameservers,
        **({"trunk_context": trunk_context} if trunk_context else {}),
    )
    render_config(
        asterisk.run_dir,
        config,
        operator_accounts(settings, contact),
        extra_dialplan=extra_dialplan,
        prompts_dir=settings.prompts_dir,
    )
    return asterisk.start()
