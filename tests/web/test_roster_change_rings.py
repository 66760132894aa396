"""A roster change made in the browser changes which softphone rings on the next real call.

The same lab as tests/telephony (real Asterisk, the engine, pjsua2 answering bots, SIPp callers from a
house in Gayamsari), plus the web console on the lab's database, driven in headless Chromium.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kernel.db import make_engine
from tests.telephony.conftest import NEAREST, SECOND, CallLab, lab  # noqa: F401  (the lab fixture)
from tests.web.browser import clear_of_shift_change, log_in
from tests.web.conftest import ServedApp, free_port, no_asterisk
from web.access import add_user
from web.app import build_services, create_app
from web.directory.services import Registrations

pytestmark = pytest.mark.telephony

PASSWORD = "lab-admin-password"


def _console(lab: CallLab) -> ServedApp:  # noqa: F811
    with Session(make_engine(lab.settings.db_url)) as session, session.begin():
        add_user(session, "lab-admin", "admin", [], PASSWORD, set())
    services = build_services(lab.settings, registrations=Registrations(no_asterisk))
    return ServedApp(create_app(lab.settings, services), free_port())


def _engine_catches_up(lab: CallLab) -> None:  # noqa: F811
    time.sleep(lab.settings.roster_refresh_s * 2 + 0.3)


def test_removing_and_adding_a_shift_in_the_browser_changes_who_answers(lab: CallLab, page: Page) -> None:  # noqa: F811
    clear_of_shift_change(timedelta(minutes=2))
    lab.given_on_duty(f"{NEAREST}-op1", f"{SECOND}-op1")
    answered, _ = lab.call_from("0247000021")
    assert answered == [f"{NEAREST}-op1"], "before any change the nearest puskesmas answers"

    with _console(lab) as console:
        log_in(page, console.url, "lab-admin", PASSWORD)
        # given_on_duty rostered op1 from an hour ago: that shift belongs to the date it started.
        started = (datetime.now(UTC) - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Jakarta")).date()
        page.goto(f"{console.url}/roster?facility={NEAREST}&week={started.isoformat()}")
        shift = page.locator(f'tr[data-staff-row="{NEAREST}-op1"] button.shift.custom.on')
        expect(shift).to_have_count(1)
        shift.click()
        page.get_by_role("button", name="Remove from roster").click()
        expect(page.locator(f'tr[data-staff-row="{NEAREST}-op1"] button.shift.on')).to_have_count(0)
        _engine_catches_up(lab)

        answered, _ = lab.call_from("0247000022")
        assert answered == [f"{SECOND}-op1"]
        assert not lab.rang(f"{NEAREST}-op1", "0247000022"), "the operator taken off the roster was rung"

        # Put op1 back on the shift running now, by clicking it in this week's grid.
        page.goto(f"{console.url}/roster?facility={NEAREST}")
        page.locator(f'tr[data-staff-row="{NEAREST}-op1"] button.shift.now').click()
        expect(page.locator(f'tr[data-staff-row="{NEAREST}-op1"] button.shift.now.on')).to_have_count(1)
        _engine_catches_up(lab)

        answered, _ = lab.call_from("0247000023")
        assert answered == [f"{NEAREST}-op1"]
