"""An officer answers a complaint in the console (a real browser); the public page then shows how long the
first response took, and the officer's public note, without the caller's number or text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from complaints.service import open_complaint, rules_from_settings
from kernel.db import make_engine
from kernel.settings import Settings
from tests.web.browser import log_in, screenshot
from tests.web.conftest import PASSWORDS, ServedApp

CALLER = "081377788899"


def test_officer_answers_and_public_page_shows_first_response(
    page: Page, served: ServedApp, settings: Settings
) -> None:
    received = datetime.now(UTC) - timedelta(hours=2)
    with Session(make_engine(settings.db_url)) as session, session.begin():
        number = open_complaint(
            session,
            caller=CALLER,
            category="pelayanan",
            text="<b>Antrean</b> terlalu lama",
            facility="pkm-kagok",
            channel="web",
            recording=None,
            now=received,
            rules=rules_from_settings(settings),
        )
    log_in(page, served.url, "kota", PASSWORDS["kota"])
    page.goto(f"{served.url}/complaints")
    row = page.locator(f'tr[data-number="{number}"]')
    expect(row).to_have_attribute("data-status", "received")
    row.get_by_role("link", name=number).click()
    expect(page.locator("#complaint-text")).to_have_text("<b>Antrean</b> terlalu lama")  # shown as text
    form = page.locator("#status-form")
    form.get_by_label("New status").select_option("verified")
    form.get_by_label("Response note").fill("Sudah kami teruskan ke Puskesmas Kagok")
    form.get_by_label("show the note on the public page").check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("status: verified")
    screenshot(page, "complaint-officer")

    page.goto(f"{served.url}/aduan/{number}")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "verified")
    first = page.locator("#first-response")
    seconds = int(first.get_attribute("data-seconds") or "-1")
    assert 2 * 3600 - 5 <= seconds <= 2 * 3600 + 120
    expect(first).to_contain_text("2 jam")
    expect(page.locator("#complaint-history")).to_contain_text("Sudah kami teruskan")
    body = page.locator("main").inner_text()
    assert CALLER not in body and "Antrean" not in body
    screenshot(page, "complaint-public")
