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


def operator_accounts(settings: Settings) -> list[OperatorAccount]:
    with Session(make_engine(settings.db_url)) as session:
        endpoints = set(session.scalars(select(Staff.endpoint)))
    endpoints.add(settings.dispatcher_endpoint)
    return [OperatorAccount(e, settings.operator_password) for e in sorted(endpoints)]


def start_asterisk(settings: Settings) -> int:
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
    )
    render_config(asterisk.run_dir, config, operator_accounts(settings), prompts_dir=settings.prompts_dir)
    return asterisk.start()
